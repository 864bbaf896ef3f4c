"""`milepost demo`: a sample five-phase contract taken from signature to a partial acceptance.

It drives the real commands (the same `main(argv)` a user runs) against a fresh SQLite
database, with explicit `--at` times so the approval window really lapses. Then
`jobs.demo_background` connects the sandbox, lets the worker create the draft invoices and
syncs a payment home; with `--dir`, the sandbox's books stay in `sandbox.json` beside the database.
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .context import CommandError, Context
from .sample import DEPOSIT, KEY, project_table

SAMPLE_SCHEDULE = project_table(extra=DEPOSIT) + """
[[milestones]]
seq = 1
name = "Discovery complete"
deliverable = "Requirements document v1.3, scope summary, timeline"
acceptance_criteria = "Discovery doc approved by the project lead"
approver = { name = "Dana Lee", role = "Project lead", email = "dana@acme.example" }
evidence = ["requirements document"]
trigger = "on_acceptance"
percent = "20"
planned_date = "2026-11-20"

[[milestones]]
seq = 2
name = "Design approved"
deliverable = "Wireframes and visual design for 12 templates"
acceptance_criteria = "Designs signed off in the review meeting"
approver = { name = "Dana Lee", role = "Project lead", email = "dana@acme.example" }
evidence = ["design files"]
trigger = "on_acceptance"
percent = "20"
planned_date = "2026-12-11"

[[milestones]]
seq = 3
name = "Build complete"
deliverable = "Site built on staging with content migrated"
acceptance_criteria = "All templates implemented on staging"
approver = { name = "Dana Lee", role = "Project lead", email = "dana@acme.example" }
evidence = ["staging link"]
trigger = "on_acceptance"
percent = "30"
planned_date = "2027-01-22"

[[milestones]]
seq = 4
name = "QA passed"
deliverable = "Test report with no open severity-1 defects"
acceptance_criteria = "QA report accepted"
approver = { name = "Raj Patel", role = "IT manager", email = "raj@acme.example" }
evidence = ["test report"]
trigger = "on_acceptance"
percent = "15"
planned_date = "2027-02-05"

[[milestones]]
seq = 5
name = "Launch"
deliverable = "Production launch and handover"
acceptance_criteria = "Site live on the production domain"
approver = { name = "Dana Lee", role = "Project lead", email = "dana@acme.example" }
evidence = ["launch checklist"]
trigger = "on_acceptance"
percent = "15"
planned_date = "2027-02-19"
"""


@dataclass(frozen=True)
class Step:
    title: str
    argv: list[str]


def demo_steps(workdir: Path) -> list[Step]:
    """The story, one real command per step."""
    schedule = workdir / "acme-web.toml"
    requirements = workdir / "requirements-v1.3.pdf"
    designs = workdir / "designs.pdf"
    staging = workdir / "staging-walkthrough.txt"
    return [
        Step("Validate the schedule", ["schedule", "validate", str(schedule)]),
        Step("Import it", ["schedule", "import", str(schedule), "--by", "Sam (studio)"]),
        Step("The contract is signed: the 10% deposit is invoiced",
             ["sign", KEY, "--at", "2026-11-02T10:00", "--by", "Dana Lee"]),
        Step("Milestone 1 submitted with the requirements document",
             ["milestone", "submit", KEY, "1", "--at", "2026-11-17T16:00", "--by", "Sam (studio)",
              "--evidence", str(requirements)]),
        Step("Dana accepts it: an invoice intent is queued",
             ["milestone", "accept", KEY, "1", "--at", "2026-11-20T11:30", "--by", "Dana Lee"]),
        Step("Milestone 2 submitted; nobody answers",
             ["milestone", "submit", KEY, "2", "--at", "2026-12-07T09:00", "--by", "Sam (studio)",
              "--evidence", str(designs)]),
        Step("Three business days later the window lapses: deemed accepted",
             ["deem", KEY, "--at", "2026-12-11T09:00"]),
        Step("Change order CO-1: QA grows to 9,000.00, launch moves a week",
             ["change-order", KEY, "--ref", "CO-1", "--approver", "Dana Lee", "--date", "2026-12-14",
              "--reason", "Accessibility audit added to QA", "--set", "4.amount=9000.00",
              "--set", "5.planned_date=2027-02-26"]),
        Step("Milestone 3 submitted",
             ["milestone", "submit", KEY, "3", "--at", "2027-01-22T15:00", "--by", "Sam (studio)",
              "--evidence", str(staging)]),
        Step("Dana accepts 60% of it; the rest stays open",
             ["milestone", "partial", KEY, "3", "--percent", "60", "--at", "2027-01-26T10:00",
              "--by", "Dana Lee", "--reason", "Blog templates still to do"]),
        Step("Where the contract stands",
             ["report", KEY, "--format", "table", "--at", "2027-01-26T12:00"]),
    ]


def write_inputs(workdir: Path) -> None:
    (workdir / "acme-web.toml").write_text(SAMPLE_SCHEDULE, encoding="utf-8")
    (workdir / "requirements-v1.3.pdf").write_bytes(b"%PDF-1.4\n% Requirements document v1.3\n")
    (workdir / "designs.pdf").write_bytes(b"%PDF-1.4\n% Designs, signed off\n")
    (workdir / "staging-walkthrough.txt").write_text("https://staging.acme.example\n", encoding="utf-8")


def run_demo(ctx: Context, workdir: Path, run: Callable[[list[str]], int],
             books: Path | None = None) -> int:
    """Run every step with `run` (the CLI's main), stopping at the first failure; with `books`,
    the sandbox's books are kept in that file."""
    workdir = workdir.resolve()
    write_inputs(workdir)
    database = f"sqlite:///{workdir / 'demo.db'}"
    ctx.out.print(f"[bold]Milepost demo[/bold] — database {workdir / 'demo.db'}")
    steps = [Step("Create the database", ["init", "--no-config"]), *demo_steps(workdir)]
    # Evidence is read only from under the working folder: the demo works in its own.
    with contextlib.chdir(workdir):
        for number, step in enumerate(steps, 1):
            ctx.out.rule(f"{number}. {step.title}")
            ctx.out.print("$ milepost " + " ".join(_short(a, workdir) for a in step.argv), markup=False)
            status = run(["--database", database, *step.argv])
            if status != 0:
                raise CommandError(f"demo step {number} ({step.title}) failed with status {status}")
    from .jobs import demo_background

    return demo_background(ctx, database, run, books=books)


def cmd_demo(ctx: Context, args: argparse.Namespace) -> int:
    from . import main

    if args.dir:
        workdir = Path(args.dir)
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "demo.db").unlink(missing_ok=True)
        return run_demo(ctx, workdir, main, books=workdir / "sandbox.json")
    with tempfile.TemporaryDirectory(prefix="milepost-demo-") as tmp:
        return run_demo(ctx, Path(tmp), main)


def _short(arg: str, workdir: Path) -> str:
    text = arg.replace(str(workdir) + "/", "")
    return f'"{text}"' if " " in text else text
