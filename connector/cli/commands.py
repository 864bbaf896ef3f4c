"""The commands: each reads its arguments, calls the domain through the store, prints a line.

Commands are thin. Rules live in `connector.billing`; persistence and its one-transaction
guarantee in `connector.store.service`. A command either completes or raises (CommandError, a
domain or store error), in which case its transaction was rolled back and nothing was written.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from connector.billing import intents, lifecycle
from connector.billing.errors import ScheduleInvalid, ValidationProblem
from connector.billing.model import AuditEvent, Milestone, MilestoneState, Project
from connector.billing.money import D, Money
from connector.billing.schedule import ParsedSchedule, format_for, load_schedule
from connector.store import service
from connector.store.billing import biller, deem_lapsed
from connector.store.db import safe_url
from connector.store.repository import BillingRepository
from jobs.connections import evidence_policy

from .context import CommandError, Context, parse_at

DEFAULT_CONFIG = """\
# Milepost configuration (see config.example.toml for every key).
[database]
url = "sqlite:///./var/milepost.db"

[app]
default_time_zone = "UTC"
"""


def cmd_init(ctx: Context, args: argparse.Namespace) -> int:
    config = Path(args.config or "milepost.toml")
    if not config.exists() and not args.no_config:
        config.write_text(DEFAULT_CONFIG, encoding="utf-8")
        ctx.out.print(f"wrote {config}")
    revision = ctx.init()
    ctx.out.print(f"database {safe_url(ctx.settings.database.url)} at revision {revision}")
    return 0


# --- schedules ------------------------------------------------------------------------------


def read_schedule_file(ctx: Context, path: str) -> ParsedSchedule:
    """Parse and validate a schedule file; ScheduleInvalid carries every problem."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"{path}: cannot read ({exc.strerror})") from None
    except UnicodeDecodeError as exc:
        raise ScheduleInvalid([ValidationProblem(
            "schedule", "encoding", f"not UTF-8 text (byte {exc.start}): save the file as UTF-8")]) from None
    fmt = format_for(file.name)
    return load_schedule(text, fmt, default_time_zone=ctx.settings.app.default_time_zone)


def print_problems(ctx: Context, problems: tuple[ValidationProblem, ...]) -> None:
    for problem in problems:
        ctx.out.print(str(problem), markup=False)


def print_refused(ctx: Context, where: str, invalid: ScheduleInvalid) -> None:
    """Every problem of a refused schedule, then the line saying nothing was imported."""
    print_problems(ctx, invalid.problems)
    ctx.err.print(f"{where}: {len(invalid.errors)} error(s); nothing imported", markup=False)


def checked_schedule(ctx: Context, path: str) -> ParsedSchedule | None:
    """The schedule in the file with its warnings printed, or None with every error printed:
    validate and import tell a user the same things about the same file."""
    try:
        parsed = read_schedule_file(ctx, path)
    except ScheduleInvalid as invalid:
        print_refused(ctx, path, invalid)
        return None
    print_problems(ctx, parsed.warnings)
    return parsed


def cmd_schedule_validate(ctx: Context, args: argparse.Namespace) -> int:
    if (parsed := checked_schedule(ctx, args.file)) is None:
        return 1
    count = len(parsed.milestones)
    ctx.out.print(f"{args.file}: valid ({parsed.project.key}, {count} milestones)", markup=False)
    return 0


def cmd_schedule_import(ctx: Context, args: argparse.Namespace) -> int:
    if (parsed := checked_schedule(ctx, args.file)) is None:
        return 1
    project = parsed.project
    event = AuditEvent(
        project_key=project.key, seq=None, kind="imported", at=datetime.now(UTC),
        actor=args.by, data={"file": Path(args.file).name, "milestones": str(len(parsed.milestones))},
    )
    with ctx.transaction() as session:
        service.import_schedule(session, project, parsed.milestones, event, mapping=parsed.mapping)
    ctx.out.print(f"imported {project.key}: {len(parsed.milestones)} milestones", markup=False)
    return 0


# --- lifecycle ------------------------------------------------------------------------------


def _project(ctx: Context, key: str) -> Project:
    with ctx.ready()() as session:
        project, _ = BillingRepository(session).load(key)
    return project


def cmd_sign(ctx: Context, args: argparse.Namespace) -> int:
    """Record the signature; on_signature milestones (and the deposit) become billable."""
    at = parse_at(args.at, _project(ctx, args.key).time_zone)
    with ctx.transaction() as session:
        signed, due = service.sign_project(session, args.key, at, args.by, biller(at))
    deposit = intents.deposit_amount(signed)
    queued = f"; deposit invoice queued ({deposit})" if deposit is not None else ""
    ctx.out.print(
        f"{args.key} signed {at.isoformat()}; milestones invoice due: {_seqs(due)}{queued}",
        markup=False,
    )
    return 0


ACTS = {  # the `milestone` subcommands and their help
    "submit": "submit the deliverable for acceptance (the approval window starts)",
    "accept": "the approver accepts it (an invoice intent is queued)",
    "reject": "the approver rejects it, with --reason",
    "partial": "the approver accepts a share: --percent of the milestone or --amount",
}


def cmd_milestone(ctx: Context, args: argparse.Namespace) -> int:
    project = _project(ctx, args.key)
    at = parse_at(args.at, project.time_zone)
    files = [Path(f) for f in args.evidence or ()]
    names = tuple(f.name for f in files)
    by = args.by or "cli"

    def step(p: Project, m: Milestone, schedule: Sequence[Milestone]) -> tuple[Milestone, AuditEvent]:
        if args.action == "submit":
            return lifecycle.submit(p, m, at, by, names)
        if args.action == "accept":
            return lifecycle.accept(p, m, at, by, evidence=names, reason=args.reason or "")
        if args.action == "reject":
            return lifecycle.reject(p, m, at, by, args.reason or "", evidence=names)
        return _partial(p, m, schedule, at, by, names, args)

    with ctx.transaction() as session:
        stored = service.transition(
            session, args.key, args.seq, step, bill=biller(at), evidence_files=files,
            evidence_policy=evidence_policy(ctx.settings, session, args.key) if files else None,
        )
    _print_state(ctx, args.key, stored, project.time_zone)
    return 0


def _partial(
    p: Project, m: Milestone, schedule: Sequence[Milestone], at: datetime, by: str,
    names: tuple[str, ...], args: argparse.Namespace,
) -> tuple[Milestone, AuditEvent]:
    if (args.percent is None) == (args.amount is None):
        raise CommandError("partial: give exactly one of --percent and --amount")
    amount = Money(D(args.amount), p.currency) if args.amount is not None else None
    return lifecycle.accept_partially(
        p, m, at, by, schedule=schedule, percent=args.percent, amount=amount,
        reason=args.reason or "", evidence=names,
    )


def _print_state(ctx: Context, key: str, m: Milestone, time_zone: str) -> None:
    line = f"{key} milestone {m.seq} ({m.name}): {m.state.value}"
    if m.approval_deadline is not None and m.state is MilestoneState.SUBMITTED:
        deadline = m.approval_deadline.astimezone(ZoneInfo(time_zone))
        line += f", approval window ends {deadline.isoformat(timespec='seconds')}"
    if m.accepted_by:
        line += f", accepted by {m.accepted_by}"
    if m.billed is not None:
        line += f", billed {m.billed}"
    ctx.out.print(line, markup=False)


def cmd_deem(ctx: Context, args: argparse.Namespace) -> int:
    """Deem accepted every submitted milestone whose approval window has lapsed by --at."""
    zone = _project(ctx, args.key).time_zone if args.key else ctx.settings.app.default_time_zone
    at = parse_at(args.at, zone)
    deemed = deem_lapsed(ctx.ready(), at, args.key)
    for key, milestone in deemed:
        _print_state(ctx, key, milestone, _project(ctx, key).time_zone)
    if not deemed:
        ctx.out.print("no approval window has lapsed")
    return 0


def _seqs(seqs: list[int]) -> str:
    return ", ".join(str(s) for s in seqs) or "none"
