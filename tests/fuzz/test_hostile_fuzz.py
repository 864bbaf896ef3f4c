"""Fuzzing every door a stranger can knock on, against PostgreSQL (issue 11, "Must show").

Hypothesis builds schedules (the good ACME-WEB schedule with one to four fields replaced by
hostile values, misspelled keys added, or its milestones multiplied) and sends them as JSON to
the API and as TOML and CSV files to `milepost schedule import`; it builds milestone decision
and void bodies for the API, and signed webhook deliveries for both platforms. For every one:

- no answer is a 5xx and nothing raises (the test client propagates exceptions; the CLI never
  prints a database error);
- a refusal writes nothing: the row count of every table is the same before and after;
- a refusal names a field and a rule (API: every `errors` entry; CLI: `field: message [rule]`).

The example counts are kept moderate so the module runs in a minute or two on two cores;
MILEPOST_FUZZ_EXAMPLES=N runs N per door instead. Examples are derandomized, so a failure
reproduces; change the seed by raising the count.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
import re
import tomllib
from collections.abc import Iterator
from datetime import date
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connector.billing.schedule import CSV_COLUMNS
from connector.cli import main
from tests.hostile import REALM, TENANT, api, deliver, postgres_app, problems, row_counts
from tests.integration.cli.schedules import GOOD

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

EXAMPLES = int(os.environ.get("MILEPOST_FUZZ_EXAMPLES", "30"))
FUZZ = settings(
    max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
PROBLEM_LINE = re.compile(r"^\S.*?: .* \[[a-z_]+\]$")
_serial = itertools.count(1)


@pytest.fixture(scope="module")
def served() -> Iterator[Any]:
    with postgres_app() as both:
        yield both


@pytest.fixture(scope="module")
def project(served) -> str:  # type: ignore[no-untyped-def]
    """A project whose milestones the decision bodies are aimed at (first one submitted)."""
    client = served[0].test_client()
    body = tomllib.loads(GOOD)
    body["project"]["key"] = "FUZZ-DECIDE"
    assert api(client, "POST", "/schedules", body).status_code == 201
    answer = api(client, "POST", "/projects/FUZZ-DECIDE/milestones/1/submit",
                 {"by": "Sam", "evidence": ["requirements.pdf"]})
    assert answer.status_code == 200, answer.get_json()
    return "FUZZ-DECIDE"


# --- hostile values ----------------------------------------------------------------------

any_char = st.characters(categories=["Lu", "Ll", "Nd", "Zs", "Po", "Pd", "Cc", "Cf", "Cs", "So"])
texts = st.one_of(
    st.text(any_char, max_size=30),
    st.sampled_from(["", " ", "x" * 33, "K" * 65, "N" * 201, "e" * 321 + "@x.example", "W" * 4001,
                     "ACME/../OTHER", "ACME\u202eBEW", "\x00", "a\x00b", "\ud800", "on_date",
                     "progress", "USD", "XXX", "US", "America/New_York", "Mars/Olympus",
                     "dana@acme.example", "line", "final", "pro_rata"]),
)
numbers = st.one_of(
    st.integers(-(2**70), 2**70),
    st.sampled_from([0, -1, 1, 60, 61, 365, 366, 999, 1000, 2**31 - 1, 2**31, 2**63, 10**30]),
)
decimal_texts = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["1e30", "1E+2", "-1e-30", "NaN", "Infinity", "-0", "9" * 13, "9" * 12 + ".5",
                     "0.00000000001", "1,000.00", "12.5", "100", "100.0000000001", "٣", "+.5", "5."]),
)
day_texts = st.one_of(
    st.dates(min_value=date(1, 1, 1)).map(date.isoformat),
    st.sampled_from(["1999-12-31", "2101-01-01", "9999-12-31", "2026-02-30", "2026-11-20",
                     "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "2026-11-20T10:00:00"]),
)
scalars = st.one_of(texts, numbers, decimal_texts, day_texts, st.booleans(), st.none(),
                    st.floats(allow_nan=True, allow_infinity=True))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)), max_leaves=6)


def _paths(raw: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix] if prefix else []
    if isinstance(raw, dict):
        for key, value in raw.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(raw, list):
        for i, value in enumerate(raw):
            found += _paths(value, (*prefix, i))
    return found


BASE = tomllib.loads(GOOD)
BASE["project"]["retainage"] = {"steps": [{"percent": "10", "until_billed_percent": "50"}]}
BASE["project"]["deposit"] = {"percent": "10"}
BASE["project"]["mapping"] = {"sales_item": "Services", "tracking": {"Region": "North"}}
PATHS = _paths(BASE)
UNKNOWN = ["retainage_percnt", "aproval_window_days", "seqq", "emial", "evidense", "$schema", "x"]


@st.composite
def schedules(draw: st.DrawFn) -> dict:
    """The good schedule (a fresh key) with up to four hostile changes."""
    raw = json.loads(json.dumps(BASE, default=str))
    raw["project"]["key"] = f"FZ-{next(_serial)}"
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["replace", "replace", "replace", "unknown", "multiply"]))
        if kind == "multiply":
            count = draw(st.sampled_from([0, 8, 99, 100, 101, 150]))
            one = raw["milestones"][0] if raw.get("milestones") and isinstance(raw["milestones"], list) else {}
            raw["milestones"] = [dict(one, seq=n) if isinstance(one, dict) else one for n in range(1, count + 1)]
            continue
        path = draw(st.sampled_from(PATHS))
        target: Any = raw
        for step in path[:-1]:
            try:
                target = target[step]
            except (KeyError, IndexError, TypeError):
                target = None
                break
        if not isinstance(target, dict | list):
            continue
        if kind == "unknown" and isinstance(target, dict):
            target[draw(st.sampled_from(UNKNOWN))] = draw(scalars)
        elif isinstance(target, dict) or (isinstance(path[-1], int) and path[-1] < len(target)):
            target[path[-1]] = draw(values)
    return raw


# --- checks ------------------------------------------------------------------------------

def refusal_writes_nothing(engine, send):  # type: ignore[no-untyped-def]
    """Send; a 4xx must leave every table as it was and name a field and a rule."""
    before = row_counts(engine)
    answer = send()
    assert answer.status_code < 500, answer.get_data(as_text=True)[:300]
    if answer.status_code >= 400:
        assert row_counts(engine) == before
    return answer


def api_refusal_is_named(answer) -> None:  # type: ignore[no-untyped-def]
    if answer.status_code >= 400:
        problems(answer)


@FUZZ
@given(raw=schedules())
def test_json_schedules_through_the_api(served, raw):  # type: ignore[no-untyped-def]
    app, engine = served
    answer = refusal_writes_nothing(engine, lambda: api(app.test_client(), "POST", "/schedules", raw))
    assert answer.status_code in (201, 400, 409)
    api_refusal_is_named(answer)


# TOML has no null and CSV only text: the same hostile schedules written as files.

def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return {"nan": "nan", "inf": "inf", "-inf": "-inf"}.get(repr(value), repr(value))
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value if v is not None) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(str(k))} = {toml_value(v)}" for k, v in value.items()
                                if v is not None) + " }"
    return json.dumps(str(value))  # escapes controls; a lone surrogate stays an escape TOML refuses


def to_toml(raw: dict) -> str:
    return "".join(f"{json.dumps(str(k))} = {toml_value(v)}\n" for k, v in raw.items() if v is not None)


def to_csv(raw: dict) -> str:
    out = io.StringIO()
    project = raw.get("project") if isinstance(raw.get("project"), dict) else {}
    for dotted, value in _flat(project, "project"):
        out.write(f"# {dotted} = {value}\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    milestones = raw.get("milestones") if isinstance(raw.get("milestones"), list) else []
    for m in milestones:
        m = m if isinstance(m, dict) else {}
        approver = m.get("approver") if isinstance(m.get("approver"), dict) else {}
        evidence = m.get("evidence")
        cells = {**{k: m.get(k) for k in CSV_COLUMNS},
                 **{f"approver_{k}": approver.get(k) for k in ("name", "role", "email")},
                 "evidence": ";".join(map(str, evidence)) if isinstance(evidence, list) else evidence}
        writer.writerow(["" if cells.get(c) is None else str(cells[c]) for c in CSV_COLUMNS])
    return out.getvalue()


def _flat(table: dict, prefix: str) -> Iterator[tuple[str, str]]:
    for key, value in table.items():
        if isinstance(value, dict):
            yield from _flat(value, f"{prefix}.{key}")
        elif value is not None and not isinstance(value, list):  # a header line holds no list
            yield f"{prefix}.{key}", str(value).replace("\n", " ").replace("\r", " ")


def import_file(served, tmp_path, capsys, text: str, suffix: str) -> None:  # type: ignore[no-untyped-def]
    _, engine = served
    path = tmp_path / f"schedule.{suffix}"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    url = engine.url.render_as_string(hide_password=False)
    before = row_counts(engine)
    capsys.readouterr()
    code = main(["--database", url, "schedule", "import", str(path)])
    out, err = capsys.readouterr()
    assert code in (0, 1), (code, out, err)
    assert "database error" not in err, err
    if code == 1:
        assert row_counts(engine) == before
        lines = [line for line in out.splitlines() if line.strip()]
        named = [line for line in lines if PROBLEM_LINE.match(line)]
        assert named or "exists already" in err, (out, err)


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """No stray milepost.toml or MILEPOST_* variable from the developer's shell."""
    for name in list(os.environ):
        if name.startswith("MILEPOST_") and name != "MILEPOST_FUZZ_EXAMPLES":
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "100000")  # one problem, one line
    return tmp_path


@FUZZ
@given(raw=schedules())
def test_toml_schedules_through_the_cli(served, in_tmp, capsys, raw):  # type: ignore[no-untyped-def]
    import_file(served, in_tmp, capsys, to_toml(raw), "toml")


@FUZZ
@given(raw=schedules())
def test_csv_schedules_through_the_cli(served, in_tmp, capsys, raw):  # type: ignore[no-untyped-def]
    import_file(served, in_tmp, capsys, to_csv(raw), "csv")


# --- decisions and voids -----------------------------------------------------------------

FIELDS = ["by", "at", "reason", "percent", "amount", "evidence", "reasn"]
bodies = st.one_of(
    st.dictionaries(st.sampled_from(FIELDS), values, max_size=5),
    st.fixed_dictionaries({"by": texts}, optional={"reason": texts, "at": day_texts,
                                                   "percent": decimal_texts, "amount": decimal_texts,
                                                   "evidence": st.lists(texts, max_size=25)}),
    values,
)
seqs = st.sampled_from([1, 1, 1, 2, 3, 0, 999, 2**31 - 1, 2**31, 2**63])
actions = st.sampled_from(["submit", "accept", "partial", "reject", "void", "approve"])


@FUZZ
@given(body=bodies, seq=seqs, action=actions)
def test_decision_and_void_bodies_through_the_api(served, project, body, seq, action):  # type: ignore[no-untyped-def]
    app, engine = served
    answer = refusal_writes_nothing(engine, lambda: api(
        app.test_client(), "POST", f"/projects/{project}/milestones/{seq}/{action}", body))
    assert answer.status_code in (200, 202, 400, 404, 409)
    api_refusal_is_named(answer)


@FUZZ
@given(key=texts)
def test_project_keys_in_paths(served, key):  # type: ignore[no-untyped-def]
    app, engine = served
    quoted = quote(key.encode("utf-8", "surrogatepass"), safe="") or "x"
    answer = refusal_writes_nothing(engine, lambda: api(app.test_client(), "GET", f"/projects/{quoted}/report"))
    assert answer.status_code in (200, 308, 404)  # 308: werkzeug normalizes a "/" or ".."


# --- signed webhook deliveries -----------------------------------------------------------

qbo_shaped = st.fixed_dictionaries({"eventNotifications": st.lists(st.fixed_dictionaries(
    {"realmId": st.one_of(st.just(REALM), values),
     "dataChangeEvent": st.one_of(values, st.fixed_dictionaries({"entities": st.lists(st.fixed_dictionaries(
         {"name": values, "id": values, "operation": values, "lastUpdated": values}), max_size=2)}))}),
    max_size=2)})
cloud_events = st.lists(st.fixed_dictionaries({"id": values, "intuitaccountid": st.one_of(st.just(REALM), values)}), max_size=3)
xero_shaped = st.fixed_dictionaries({"events": st.one_of(values, st.lists(st.fixed_dictionaries(
    {"tenantId": st.one_of(st.just(TENANT), values), "eventCategory": values, "eventType": values,
     "resourceId": values, "eventDateUtc": values}), max_size=2))})
deliveries = st.one_of(
    st.tuples(st.just("quickbooks"), st.one_of(qbo_shaped, cloud_events, values)),
    st.tuples(st.just("xero"), st.one_of(xero_shaped, values)),
)


@FUZZ
@given(delivery=deliveries)
def test_signed_webhook_deliveries(served, delivery):  # type: ignore[no-untyped-def]
    app, engine = served
    platform, payload = delivery
    body = json.dumps(payload, default=str).encode()
    answer = refusal_writes_nothing(engine, lambda: deliver(app.test_client(), platform, body))
    assert answer.status_code in (200, 400)
