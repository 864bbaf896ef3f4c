"""Milepost against the platforms' ceilings: calls per sync, share of the rate limits, latency,
memory and CPU of the worker. Each figure runs the sandbox in its own process
(`SandboxProcess`) and, where the figure is the worker's, a real `milepost worker` process.

- sync calls: a QuickBooks company of `sync_invoices` invoices (bulk-seeded), synced once so
  the cursor is set, then 1% of them paid in the books; the calls of Milepost's next sync (the
  change feed, `jobs/sync.py`) against those of the obvious sync, which reads every open
  invoice by id. Both are the sandbox's own count of the company's API requests.
- ceiling share: `companies` QuickBooks companies and as many Xero organisations, each with a
  backlog of accepted milestones, the sandbox's real limits on, one embedded worker. The
  sandbox's tally gives each company's busiest `busy_seconds` (a minute in a full run): their
  sum over what the platforms allow in that time (500/minute per company, 60 per organisation)
  is the share. 429s are counted by the sandbox; duplicates are idempotency keys carried by
  more than one invoice in the books (read from a saved copy of the sandbox's state).
- latency: milestones accepted through the API at `per_second`, from the accepting call to the
  draft first seen in the sandbox (its invoices read every 50 ms, so a figure may be up to
  50 ms late), with the embedded worker, then with `milepost worker --celery` and
  `milepost clock` on Redis.
- peak RSS: the worker's peak resident memory (VmHWM) through its first sync of a company of
  `rss_invoices` invoices and `rss_customers` customers; `idle_rss_mb` (details) is its peak
  once started, before the company is connected: what its imports and pools take.
- CPU per draft: the worker's CPU time (user + system) from its first draft to its last, over
  the drafts in between, spread over ten companies so the run stays inside their limits.
"""

from __future__ import annotations

import itertools
import logging
import statistics
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests
from sqlalchemy import func, select

from connector.sandbox.client import SandboxServer
from connector.store.models import InvoiceRow, JobRunRow, OutboxRow, ProjectRow
from connector.web.decisions import Decision, decide
from jobs.runner import run_sync
from mappings.quickbooks import key_from_private_note
from tests.e2e.test_scale_out import connect_xero_organisations
from tests.jobs_harness import Stack, stop_process, wait_for
from tests.sandbox_books import invoice_keys

from .platforms import submitted_projects
from .processes import SandboxProcess, cpu_seconds, peak_rss_mb

QUICKBOOKS_PER_MINUTE, XERO_PER_MINUTE = 500, 60  # what the platforms allow each company
MINOR_VERSION = "75"


@dataclass(frozen=True)
class Loads:
    sync_invoices: int
    companies: int
    busy_seconds: float
    backlog_quickbooks: int  # accepted milestones waiting per company
    backlog_xero: int
    acceptances: int
    rss_invoices: int
    rss_customers: int
    drafts: int
    cli_runs: int  # starts of each command, the median taken
    per_second: float = 2.0
    seed_chunk: int = 10_000  # invoices per bulk-seeding call (each call answers within seconds)


# a QuickBooks draft costs a little over 2 calls and a Xero one 2.5: 240 and 40 a company are
# more than a minute of each one's budget (475 and 57 calls), so a worker that keeps up fills it
FULL_LOADS = Loads(sync_invoices=20_000, companies=10, busy_seconds=60, backlog_quickbooks=240,
                   backlog_xero=40, acceptances=200, rss_invoices=100_000, rss_customers=20_000,
                   drafts=1000, cli_runs=5)
TINY_LOADS = Loads(sync_invoices=200, companies=1, busy_seconds=3, backlog_quickbooks=3,
                   backlog_xero=2, acceptances=3, rss_invoices=1000, rss_customers=200, drafts=30,
                   cli_runs=1)


def _now() -> datetime:
    return datetime.now(UTC)


@contextmanager
def _stack(database_url: str, *, limits: bool, **worker: Any) -> Iterator[Stack]:
    """A sandbox process (its rate limits on or off) and a Milepost database beside it."""
    with SandboxProcess() as sandbox:
        sandbox.control.set_rate_limits(limits)
        stack = Stack.build(sandbox, database_url, **worker)
        try:
            yield stack
        finally:
            stack.stop()


def _api_requests(stack: Stack, service: str, company: str) -> int:
    return stack.sandbox.control.request_count(service, company=company)


def _seed(stack: Stack, realm: str, invoices: int, customers: int, chunk: int) -> list[str]:
    """Bulk-seed the company; the new invoices' ids, oldest first."""
    ids: list[str] = []
    control = stack.sandbox.control
    first = True
    while len(ids) < invoices:
        size = min(chunk, invoices - len(ids))
        made = control.seed_quickbooks(realm, customers=customers if first else 0, invoices=size)
        ids += [str(n) for n in range(int(made["invoices"]["first_id"]), int(made["invoices"]["last_id"]) + 1)]
        first = False
    return ids


def _connection_stats(stack: Stack, connection: int) -> Any:
    with stack.reading() as session:
        return session.scalars(select(JobRunRow).where(JobRunRow.connection_id == connection)).all()


# -- calls per sync ----------------------------------------------------------------------------
def _read_by_id(stack: Stack, connection: int, realm: str, ids: list[str]) -> int:
    """The naive sync: GET every open invoice by id (four at a time, keep-alive)."""
    token = stack.context().gateway_for(connection)._tokens().access_token  # type: ignore[attr-defined]
    base = f"{stack.sandbox.url}/v3/company/{realm}/invoice"
    local = threading.local()

    def read(invoice_id: str) -> int:
        http = getattr(local, "http", None) or requests.Session()
        local.http = http
        answer = http.get(f"{base}/{invoice_id}", params={"minorversion": MINOR_VERSION}, timeout=30,
                          headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
        answer.raise_for_status()
        return 1

    with ThreadPoolExecutor(4) as pool:
        return sum(pool.map(read, ids))


def sync_calls(loads: Loads, database_url: str) -> dict[str, Any]:
    with _stack(database_url, limits=False) as stack:
        stack.context().gate = None  # the count of calls, not the pace
        control = stack.sandbox.control
        realm = control.add_quickbooks_company("Bench Sync Builders")
        ids = _seed(stack, realm, loads.sync_invoices, loads.sync_invoices // 10, loads.seed_chunk)
        # QuickBooks' clock (the cursor) counts whole seconds and a change in the cursor's own
        # second is read again (nothing may be missed): seeded in that second, every invoice
        # would count as changed since the cursor, which is not the company this figure is about
        time.sleep(1.1)
        connection, _ = stack.connect_quickbooks(realm)
        first = _api_requests(stack, "quickbooks", realm)
        run_sync(stack.context(), connection)  # the first sync reads everything and sets the cursor
        first = _api_requests(stack, "quickbooks", realm) - first
        changed = ids[::100]
        for invoice_id in changed:
            control.record_payment(realm, invoice_id, amount="1.00")
        before = _api_requests(stack, "quickbooks", realm)
        counts = run_sync(stack.context(), connection)
        milepost = _api_requests(stack, "quickbooks", realm) - before
        before = _api_requests(stack, "quickbooks", realm)
        read = _read_by_id(stack, connection, realm, ids)  # every invoice is still open
        naive = _api_requests(stack, "quickbooks", realm) - before
    if read != naive:
        raise RuntimeError(f"the naive sync read {read} invoices but the sandbox counted {naive} calls")
    return {"sync_calls_milepost": milepost, "sync_calls_naive": naive,
            "details": {"invoices": len(ids), "changed": len(changed), "first_sync_calls": first,
                        "sync_counts": dict(counts)}}


# -- the share of the ceiling --------------------------------------------------------------------
def _books_keys(sandbox: SandboxServer, companies: dict[int, tuple[str, str]]) -> Counter[str | None]:
    """Idempotency key -> how many invoices in the sandbox's books carry it."""
    assert isinstance(sandbox, SandboxProcess)
    return invoice_keys(sandbox.books(), companies.values())


def _accept(stack: Stack, keys: list[str]) -> None:
    for key in keys:
        decide(stack.context().sessions, key, 1, Decision("accept", "Dana Lee", _now()))


def _backlog(stack: Stack, companies: dict[int, tuple[str, str]], loads: Loads) -> int:
    """Accepted milestones, round-robin over the connections so the outbox interleaves them;
    built by a few threads at once (most of the time is the database's round trips)."""
    rounds = max(loads.backlog_quickbooks, loads.backlog_xero)
    turns = [(connection, platform) for turn in range(rounds) for connection, (platform, _) in companies.items()
             if turn < (loads.backlog_quickbooks if platform == "quickbooks" else loads.backlog_xero)]

    def one(turn: tuple[int, str]) -> int:
        connection, platform = turn
        _accept(stack, submitted_projects(stack, connection, 1, "USD" if platform == "quickbooks" else "NZD"))
        return 1

    stack.context()  # built once, before the threads share it
    with ThreadPoolExecutor(4) as pool:
        return sum(pool.map(one, turns))


def _outbox(stack: Stack) -> Counter[str]:
    with stack.reading() as session:
        return Counter(session.scalars(select(OutboxRow.status)))


def ceiling(loads: Loads, database_url: str) -> dict[str, Any]:
    with _stack(database_url, limits=True) as stack:
        control = stack.sandbox.control
        realms = [control.add_quickbooks_company(f"Ceiling Builders {n}") for n in range(loads.companies)]
        tenants = [control.add_xero_organisation(f"Ceiling Studio {n}", "NZ") for n in range(loads.companies)]
        companies = {stack.connect_quickbooks(realm)[0]: ("quickbooks", realm) for realm in realms}
        companies |= {cid: ("xero", tenant) for cid, tenant in connect_xero_organisations(stack, tenants)}
        built = time.monotonic()
        intents = _backlog(stack, companies, loads)
        built = time.monotonic() - built
        control.answers(clear=True)
        worker = stack.spawn("worker")
        started = wait_for(lambda: control.answers()["answers"] and time.monotonic(), timeout=120, every=0.1)
        time.sleep(max(0.0, started + loads.busy_seconds + 0.5 - time.monotonic()))
        tally = control.answers(window=loads.busy_seconds)
        stop_process(worker)
        left = _outbox(stack)
        keys = _books_keys(stack.sandbox, companies)
    busiest = {(b["service"], b["company"]): b["requests"] for b in tally["busiest"]}
    ours = {company for _, company in companies.values()}
    calls = sum(n for (_, company), n in busiest.items() if company in ours)
    allowed = loads.companies * (QUICKBOOKS_PER_MINUTE + XERO_PER_MINUTE) * loads.busy_seconds / 60
    by_platform = {platform: sum(n for (service, company), n in busiest.items()
                                 if service == platform and company in ours)
                   for platform in ("quickbooks", "xero")}
    return {
        "ceiling_share": round(calls / allowed, 3),
        "responses_429": sum(a["count"] for a in tally["answers"] if a["status"] == 429),
        "duplicates": sum(n - 1 for key, n in keys.items() if key and n > 1),
        "details": {
            "busy_seconds": loads.busy_seconds, "calls": calls, "allowed": allowed,
            "quickbooks_share": round(by_platform["quickbooks"] / (
                loads.companies * QUICKBOOKS_PER_MINUTE * loads.busy_seconds / 60), 3),
            "xero_share": round(by_platform["xero"] / (
                loads.companies * XERO_PER_MINUTE * loads.busy_seconds / 60), 3),
            "intents": intents, "backlog_seconds": round(built, 1), "outbox_after": dict(left),
        },
    }


# -- latency -------------------------------------------------------------------------------------
class DraftWatcher:
    """Reads the company's invoices every `every` seconds; when each key's draft was first seen."""

    def __init__(self, stack: Stack, connection: int, realm: str, every: float = 0.05) -> None:
        token = stack.context().gateway_for(connection)._tokens().access_token  # type: ignore[attr-defined]
        self._url = f"{stack.sandbox.url}/v3/company/{realm}/query"
        self._headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        self._every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="draft-watcher", daemon=True)
        self.seen: dict[str, float] = {}

    def _watch(self) -> None:
        http, position = requests.Session(), 1
        while not self._stop.is_set():
            query = f"SELECT * FROM Invoice STARTPOSITION {position} MAXRESULTS 1000"
            answer = http.get(self._url, params={"query": query, "minorversion": MINOR_VERSION},
                              headers=self._headers, timeout=30)
            answer.raise_for_status()
            found = answer.json().get("QueryResponse", {}).get("Invoice", [])
            at = time.monotonic()
            for invoice in found:
                key = key_from_private_note(invoice.get("PrivateNote"))
                if key:
                    self.seen.setdefault(key, at)
            position += len(found)
            self._stop.wait(self._every)

    def __enter__(self) -> DraftWatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)


def _percentile(values: list[float], share: float) -> float:
    ranked = sorted(values)
    return ranked[min(len(ranked) - 1, max(0, round(share * len(ranked)) - 1))]


def _idempotency_keys(stack: Stack) -> dict[str, str]:
    """Project key -> the idempotency key of its invoice intent."""
    with stack.reading() as session:
        return dict(session.execute(select(ProjectRow.key, OutboxRow.idempotency_key)
                                    .join(OutboxRow, OutboxRow.project_id == ProjectRow.id)).all())


def _workers(stack: Stack, mode: str, broker: str) -> list[Any]:
    if mode == "embedded":
        return [stack.spawn("worker")]
    env = {"MILEPOST_WORKER__BROKER_URL": broker}
    return [stack.spawn("worker", "--celery", "--concurrency", "2", **env), stack.spawn("clock", **env)]


def latency(loads: Loads, database_url: str, mode: str) -> list[float]:
    """Seconds from each acceptance to its draft in the sandbox, in acceptance order."""
    broker = f"redis://127.0.0.1:6379/{(uuid.uuid4().int % 8) + 8}"
    # limits off: the watcher's reads must not eat the company's budget (Milepost's own
    # limiter still paces the worker, as it always does)
    with _stack(database_url, limits=False, broker_url=broker) as stack:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not a line per API call
        stack.start_web()
        realm = stack.sandbox.control.add_quickbooks_company(f"Latency Builders {mode}")
        connection, _ = stack.connect_quickbooks(realm)
        warm, *keys = submitted_projects(stack, connection, loads.acceptances + 1, "USD")
        accepted: dict[str, float] = {}
        with DraftWatcher(stack, connection, realm) as watcher:
            workers = _workers(stack, mode, broker)
            _accept(stack, [warm])  # the first draft waits for the workers to start: not counted
            wait_for(lambda: len(watcher.seen) == 1, timeout=120, every=0.1)
            started = time.monotonic()
            for n, key in enumerate(keys):
                time.sleep(max(0.0, started + n / loads.per_second - time.monotonic()))
                accepted[key] = time.monotonic()
                stack.api("POST", f"/projects/{key}/milestones/1/accept", {"by": "Dana Lee"})
            wait_for(lambda: len(watcher.seen) == len(keys) + 1, timeout=300, every=0.2)
            for process in workers:
                stop_process(process)
        intent_of = _idempotency_keys(stack)
        return [watcher.seen[intent_of[key]] - accepted[key] for key in keys]


def latencies(loads: Loads, urls: dict[str, str]) -> dict[str, Any]:
    figures: dict[str, Any] = {f"latency_p{p}_s": {} for p in (50, 95, 99)}
    details: dict[str, Any] = {}
    for mode, url in urls.items():
        waits = latency(loads, url, mode)
        for p in (50, 95, 99):
            figures[f"latency_p{p}_s"][mode] = round(_percentile(waits, p / 100), 3)
        details[mode] = {"acceptances": len(waits), "max_s": round(max(waits), 3),
                         "mean_s": round(statistics.fmean(waits), 3)}
    return {**figures, "details": details}


# -- the worker's memory and CPU ------------------------------------------------------------------
def _sample(process: Any, until: Callable[[], bool], timeout: float, every: float = 0.05) -> float:
    """Poll the process's peak RSS until `until()`; the last reading (VmHWM only grows)."""
    deadline = time.monotonic() + timeout
    peak = 0.0
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the worker exited with {process.returncode}")
        peak = peak_rss_mb(process.pid)
        if until():
            return max(peak, peak_rss_mb(process.pid))
        time.sleep(every)
    raise RuntimeError(f"the worker did not finish within {timeout} s")


def _settled_peak(process: Any, quiet: float = 3.0, timeout: float = 60.0) -> float:
    """The process's peak RSS once it has stopped growing (under 1 MiB in `quiet` seconds)."""
    readings: list[tuple[float, float]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the worker exited with {process.returncode}")
        now, peak = time.monotonic(), peak_rss_mb(process.pid)
        readings.append((now, peak))
        earlier = [value for at, value in readings if at <= now - quiet]
        if earlier and peak - earlier[-1] < 1.0:
            return peak
        time.sleep(0.25)
    raise RuntimeError(f"the worker's memory did not settle within {timeout} s")


def first_sync_memory(loads: Loads, database_url: str) -> dict[str, Any]:
    with _stack(database_url, limits=True) as stack:
        realm = stack.sandbox.control.add_quickbooks_company("Bench Memory Builders")
        _seed(stack, realm, loads.rss_invoices, loads.rss_customers, loads.seed_chunk)
        worker = stack.spawn("worker")
        idle = _settled_peak(worker)  # started, nothing connected yet: its imports and pools
        connection, _ = stack.connect_quickbooks(realm)

        def synced() -> bool:
            return any(run.job == "sync_connection" and run.finished_at is not None
                       for run in _connection_stats(stack, connection))

        peak = _sample(worker, synced, timeout=600)
        [run] = [r for r in _connection_stats(stack, connection) if r.job == "sync_connection"]
        stop_process(worker)
    if run.outcome != "ok":
        raise RuntimeError(f"the first sync ended {run.outcome}: {run.error}")
    return {"peak_rss_mb": round(peak, 1),
            "details": {"idle_rss_mb": round(idle, 1),
                        "invoices": loads.rss_invoices, "customers": loads.rss_customers,
                        "sync_seconds": round((run.finished_at - run.started_at).total_seconds(), 1)}}


def cpu_per_draft(loads: Loads, database_url: str) -> dict[str, Any]:
    with _stack(database_url, limits=True) as stack:
        control = stack.sandbox.control
        realms = [control.add_quickbooks_company(f"Bench CPU Builders {n}") for n in range(10)]
        connected = [stack.connect_quickbooks(realm)[0] for realm in realms]
        for connection in connected:  # synced now, so the worker's CPU goes on drafts alone
            run_sync(stack.context(), connection)
        connections = itertools.cycle(connected)
        for _ in range(loads.drafts):
            _accept(stack, submitted_projects(stack, next(connections), 1, "USD"))

        def drafted() -> int:
            with stack.reading() as session:
                return int(session.scalar(select(func.count()).select_from(InvoiceRow)) or 0)

        worker = stack.spawn("worker")
        first = wait_for(lambda: (n := drafted()) and (n, cpu_seconds(worker.pid)), timeout=120, every=0.05)
        last = wait_for(lambda: (n := drafted()) == loads.drafts and (n, cpu_seconds(worker.pid)),
                        timeout=600, every=0.05)
        stop_process(worker)
    drafts, seconds = last[0] - first[0], last[1] - first[1]
    return {"cpu_ms_per_invoice": round(1000 * seconds / max(1, drafts), 2),
            "details": {"drafts": drafts, "cpu_seconds": round(seconds, 2)}}
