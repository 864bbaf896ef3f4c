"""The schedule file, a public interface: TOML, JSON of the same structure, or CSV.

TOML and JSON hold `{"project": {...}, "milestones": [...]}` with the field names of the issue's
example (`key`, `currency`, `contract_total`, ..., `[[milestones]]` with `seq`, `name`,
`deliverable`, `acceptance_criteria`, `approver`, `evidence`, `trigger`, `percent` or `amount`,
`planned_date`, optional `billing = "progress"`). Amounts are decimal strings; dates ISO 8601.

CSV has one row per milestone with these columns (header row required, order free):
`seq,name,deliverable,acceptance_criteria,approver_name,approver_role,approver_email,evidence,
trigger,percent,amount,planned_date,billing` (evidence kinds separated by `;`). The project's
fields come from a header block of comment lines before the column row, one dotted key each:

    # project.key = ACME-WEB
    # project.customer.name = Acme Corp
    # project.late_fee.percent_per_month = 1.5

or from the `project` argument of `load_schedule` (which wins over the header block).

Nothing becomes a Project until validation finds no error (see `validation`).
"""

from __future__ import annotations

import csv
import io
import json
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .errors import ScheduleInvalid, ValidationProblem
from .model import Milestone, Project
from .validation import read_schedule

FORMATS = ("toml", "json", "csv")
CSV_COLUMNS = (
    "seq", "name", "deliverable", "acceptance_criteria", "approver_name", "approver_role",
    "approver_email", "evidence", "trigger", "percent", "amount", "planned_date", "billing",
)
_INT_FIELDS = {"payment_terms_days", "approval_window_days", "pause_work_after_days", "grace_days"}


@dataclass(frozen=True)
class ParsedSchedule:
    project: Project
    milestones: tuple[Milestone, ...]
    warnings: tuple[ValidationProblem, ...] = ()
    # `[project.mapping]`: the project's own items/accounts/tax codes, kept as given; the store
    # checks the keys (mappings.settings.MappingSettings) and the books check the codes.
    mapping: Mapping[str, Any] = field(default_factory=dict)


def format_for(filename: str) -> str:
    """The format named by a file's extension (.toml, .json, .csv)."""
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if ext not in FORMATS:
        raise ScheduleInvalid([ValidationProblem(
            "schedule", "unknown_format", f"unknown schedule format {ext!r}: use .toml, .json or .csv")])
    return ext


def parse_text(text: str, fmt: str, *, project: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The raw schedule dict, before validation. Syntax errors raise ScheduleInvalid."""
    try:
        if fmt == "toml":
            raw: Any = tomllib.loads(text)
        elif fmt == "json":
            raw = json.loads(text)
        elif fmt == "csv":
            raw = _parse_csv(text)
        else:
            raise ValueError(f"unknown schedule format {fmt!r}: use toml, json or csv")
    except RecursionError as exc:  # nested thousands deep: refused, not a crash
        raise ScheduleInvalid([ValidationProblem("schedule", "too_deep", "the schedule is nested too deeply")]) from exc
    except (tomllib.TOMLDecodeError, json.JSONDecodeError, ValueError, csv.Error) as exc:
        raise ScheduleInvalid([ValidationProblem("schedule", "syntax", str(exc))]) from exc
    if not isinstance(raw, dict):
        raise ScheduleInvalid([ValidationProblem("schedule", "not_table", "a schedule is a table")])
    if project:
        raw["project"] = _merge(raw.get("project") or {}, project)
    return raw


def load_schedule(
    text: str,
    fmt: str,
    *,
    project: Mapping[str, Any] | None = None,
    default_time_zone: str = "UTC",
) -> ParsedSchedule:
    """Parse and validate; raise ScheduleInvalid carrying every problem if any is an error."""
    raw = parse_text(text, fmt, project=project)
    return build_schedule(raw, default_time_zone=default_time_zone)


def build_schedule(raw: Mapping[str, Any], *, default_time_zone: str = "UTC") -> ParsedSchedule:
    """Validate a raw schedule dict (e.g. from a template or a form) and build the records."""
    result = read_schedule(raw, default_time_zone=default_time_zone)
    if result.errors or result.project is None:
        raise ScheduleInvalid(result.problems)
    mapping = (raw.get("project") or {}).get("mapping") or {}
    if not isinstance(mapping, Mapping):
        raise ScheduleInvalid([ValidationProblem(
            "project.mapping", "not_table", "project.mapping is a table of mapping settings")])
    return ParsedSchedule(result.project, tuple(result.milestones), tuple(result.warnings), dict(mapping))


def _merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _parse_csv(text: str) -> dict[str, Any]:
    lines = text.splitlines()
    project: dict[str, Any] = {}
    body_start = 0
    for body_start, line in enumerate(lines):  # noqa: B007 - the index is used after the loop
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            break
        if "=" in stripped:
            dotted, value = stripped.lstrip("#").split("=", 1)
            _set_dotted(project, dotted.strip(), value.strip())
    rows = list(csv.DictReader(io.StringIO("\n".join(lines[body_start:]))))
    return {"project": project.get("project", {}), "milestones": [_csv_row(r) for r in rows]}


def _set_dotted(target: dict[str, Any], dotted: str, value: str) -> None:
    *parents, leaf = dotted.split(".")
    for part in parents:
        target = target.setdefault(part, {})
        if not isinstance(target, dict):
            raise ValueError(f"header line {dotted[:80]!r}: {part!r} is a value, not a table")
    if isinstance(target.get(leaf), dict):
        raise ValueError(f"header line {dotted[:80]!r}: {leaf!r} is a table, not a value")
    digits = value.isascii() and value.isdigit() and len(value) <= 12
    target[leaf] = int(value) if leaf in _INT_FIELDS and digits else value


def _csv_row(row: Mapping[str, str | None]) -> dict[str, Any]:
    cell = {k.strip(): (v or "").strip() for k, v in row.items() if k}
    milestone: dict[str, Any] = {
        key: cell[key]
        for key in ("seq", "name", "deliverable", "acceptance_criteria", "trigger", "percent",
                    "amount", "planned_date", "billing")
        if cell.get(key)
    }
    milestone["approver"] = {
        k: cell[f"approver_{k}"] for k in ("name", "role", "email") if cell.get(f"approver_{k}")
    }
    evidence = cell.get("evidence", "")
    milestone["evidence"] = [e.strip() for e in evidence.split(";") if e.strip()]
    return milestone


# --- writing ---------------------------------------------------------------------------------

def schedule_to_raw(project: Project, milestones: Sequence[Milestone]) -> dict[str, Any]:
    """The raw dict of a schedule, with the public field names (inverse of `build_schedule`)."""
    p: dict[str, Any] = {
        "key": project.key,
        "name": project.name,
        "currency": project.currency,
        "contract_total": str(project.contract_total),
        "contract_date": project.contract_date.isoformat(),
        "time_zone": project.time_zone,
        "payment_terms_days": project.payment_terms_days,
        "approval_window_days": project.approval_window_days,
        "holiday_calendar": project.holiday_calendar,
    }
    if project.pause_work_after_days is not None:
        p["pause_work_after_days"] = project.pause_work_after_days
    customer = {"name": project.customer.name, "email": project.customer.email}
    if project.customer.company:
        customer["company"] = project.customer.company
    p["customer"] = customer
    fee = project.late_fee
    p["late_fee"] = {"percent_per_month": f"{fee.percent_per_month:f}", "flat": f"{fee.flat:f}",
                     "grace_days": fee.grace_days}
    if not fee.as_separate_invoice:
        p["late_fee"]["as"] = "line"
    steps = project.retainage.steps
    if len(steps) == 1 and steps[0].until_billed_percent is None:
        p["retainage_percent"] = f"{steps[0].percent:f}"
    elif steps:
        p["retainage"] = {"steps": [_step(s.percent, s.until_billed_percent) for s in steps]}
    if project.deposit is not None:
        d = project.deposit
        dep: dict[str, Any] = {"percent": f"{d.percent:f}"} if d.percent is not None else {"amount": str(d.amount)}
        dep["credit"] = d.credit.value
        p["deposit"] = dep
    return {"project": p, "milestones": [_milestone_raw(m) for m in milestones if not m.removed]}


def _step(percent: Any, until: Any) -> dict[str, str]:
    step = {"percent": f"{percent:f}"}
    if until is not None:
        step["until_billed_percent"] = f"{until:f}"
    return step


def _milestone_raw(m: Milestone) -> dict[str, Any]:
    raw: dict[str, Any] = {"seq": m.seq, "name": m.name, "deliverable": m.deliverable,
                           "acceptance_criteria": m.acceptance_criteria}
    approver = {"name": m.approver.name, "role": m.approver.role, "email": m.approver.email}
    raw["approver"] = {k: v for k, v in approver.items() if v}
    raw["evidence"] = list(m.evidence_required)
    raw["trigger"] = m.trigger.value
    if m.fixed_amount is not None:
        raw["amount"] = str(m.fixed_amount)
    elif m.percent is not None:
        raw["percent"] = f"{m.percent:f}"
    if m.planned_date is not None:
        raw["planned_date"] = m.planned_date.isoformat()
    if m.billing_mode.value != "milestone":
        raw["billing"] = m.billing_mode.value
    return raw


def dump_schedule(project: Project, milestones: Sequence[Milestone]) -> str:
    """The schedule as a TOML file that `load_schedule(..., "toml")` reads back to the same."""
    return raw_to_toml(schedule_to_raw(project, milestones))


def raw_to_toml(raw: Mapping[str, Any]) -> str:
    """Write a raw schedule dict as TOML: a [project] table and one [[milestones]] per row."""
    out = ["[project]"]
    out += [f"{key} = {_toml_value(value)}" for key, value in raw.get("project", {}).items()]
    for m in raw.get("milestones", []):
        out += ["", "[[milestones]]"]
        out += [f"{key} = {_toml_value(value)}" for key, value in m.items()]
    return "\n".join(out) + "\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, date):
        return json.dumps(value.isoformat())
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value))
