"""`python -m tests.bench.table [FILE]`: the README's "Measured" tables, rendered from a results file.

Reads tests/bench/baseline.json (or FILE) and rewrites what lies between the two marker lines
in README.md: the machine, then each figure against its goal, then the throughput figures.
`make baseline` runs the full bench into baseline.json and then this.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .goals import GOALS, shown, verdict

BASELINE = Path(__file__).with_name("baseline.json")
README = Path(__file__).resolve().parents[2] / "README.md"
BEGIN, END = "<!-- bench:begin (python -m tests.bench.table) -->", "<!-- bench:end -->"

WORK = {  # throughput figure -> what it is
    "allocation_7_milestones": "allocate a 7-milestone schedule",
    "report_7_milestones": "report on a 7-milestone project",
    "allocation_1000_projects": "allocate 1,000 different projects",
    "report_1000_projects": "report on 1,000 different projects",
    "import_1000_projects_sqlite": "import schedules, one transaction each, SQLite",
    "import_1000_projects_postgres": "import schedules, one transaction each, PostgreSQL",
    "sandbox_reads_sdk": "sandbox reads through the gateway (python-quickbooks)",
    "sandbox_reads_raw_http": "the same reads as bare keep-alive HTTP",
    "webhook_answer_quickbooks": "a QuickBooks webhook delivery answered, per entity",
}


def machine_line(document: dict[str, Any]) -> str:
    m = document["machine"]
    memory = f"{int(m['memory'].split()[0]) / 1024 / 1024:.0f} GB RAM" if m.get("memory") else ""
    return (f"Taken on {m['taken_at'][:10]} at commit {m['commit']}: {m['cpus']} vCPUs ({m['cpu']}), "
            f"{memory}, {m['os']}, Python {m['python']}, SQLite {m['sqlite']}, PostgreSQL "
            f"{m['postgresql']}; {document['mode']} run, {document['wall_seconds']:.0f} s wall time; "
            f"load average {m.get('load_average_at_start', ['?'])[0]} at the start and "
            f"{m.get('load_average_at_end', ['?'])[0]} at the end (1-minute, on "
            f"{m['cpus']} cores: other work shared the machine when it is above {m['cpus']}).")


def render(document: dict[str, Any]) -> str:
    figures = document["figures"]
    lines = [machine_line(document), "", "| Figure | Measured | Goal | |", "|---|---|---|---|"]
    for goal in GOALS:
        measured = "; ".join(shown(figures[key]) for key in goal.keys if key in figures)
        lines.append(f"| {goal.what} (`{'`, `'.join(goal.keys)}`) | {measured} | {goal.goal or '-'} | "
                     f"{verdict(goal, figures)} |")
    lines += ["", "| Work | Items | Rate | Peak memory (items) |", "|---|---|---|---|"]
    for name, figure in document["results"].items():
        lines.append(f"| {WORK.get(name, name)} | {figure['count']:,} | {figure['per_second']:,.1f} "
                     f"{figure['unit']}/s | {figure['peak_kib']:,.1f} KiB ({figure['peak_count']:,}) |")
    return "\n".join(lines)


def rewrite(readme: str, table: str) -> str:
    head, begin, rest = readme.partition(BEGIN)
    _, end, tail = rest.partition(END)
    if not begin or not end:
        raise SystemExit(f"README.md has no {BEGIN} ... {END} block to rewrite")
    return f"{head}{BEGIN}\n{table}\n{END}{tail}"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    document = json.loads(Path(args[0] if args else BASELINE).read_text(encoding="utf-8"))
    README.write_text(rewrite(README.read_text(encoding="utf-8"), render(document)), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
