"""The background work's commands: worker, clock, run, sync, jobs.

    milepost worker [--once] [--celery]   the embedded scheduler (default), every due job once,
                                          or a Celery worker (scale-out)
    milepost clock                        the scale-out clock: enqueues, runs nothing itself
    milepost run [--host H] [--port P]    web app and embedded worker in one process (a laptop)
    milepost sync [--connection ID]       sync now
    milepost jobs [--limit N] [--job NAME] recent job runs
    milepost retry INTENT_ID | --all-failed  a failed intent (or all) back to pending

SIGTERM and Ctrl-C stop the scheduler after the running jobs finish, so a worker exits
cleanly; a killed one leaves nothing lost (see jobs/outbox.py).

The long-running ones (worker, clock, run, the Celery worker) log JSON lines on stdout
(`connector.logs`, `[logging]`), their "running" line included; `worker --once` and `sync` log the same lines on stderr, so
their summary on stdout stays readable by a script.
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from pathlib import Path
from typing import Any

from connector.platforms.errors import ConfigurationError
from connector.store.errors import StoreError
from connector.store.job_runs import recent_runs
from connector.store.models import ConnectionRow
from connector.store.retries import failed_intents, retry_all_failed, retry_intent

from .context import CommandError, Context

log = logging.getLogger("milepost.cli")
NO_TOKEN_KEYS = (
    "MILEPOST_TOKEN_KEYS is not set: the worker decrypts each connection's OAuth tokens with "
    "the key(s) the web app uses (MILEPOST_SECURITY__TOKEN_KEYS also works); a new key: "
    "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
)


def _context(ctx: Context, mode: str = "embedded") -> Any:
    """The jobs' context, or one line saying what is missing (an uninitialised database, no
    token key) instead of a traceback from deep inside custody."""
    from jobs.context import build_context

    ctx.ready()  # refuses an uninitialised database with the usual message
    try:
        return build_context(ctx.settings, mode=mode)
    except ConfigurationError as error:
        if error.code == "token_keys":
            raise CommandError(NO_TOKEN_KEYS) from None
        raise


def _logging(ctx: Context, to: str = "stdout", web: bool = False) -> None:
    """This process's logs as `[logging]` says; a process serving web requests also redacts
    credentials in URLs (portal tokens, OAuth codes) from every line."""
    from connector import logs

    filters = {}
    if web:
        from connector.web.redaction import RedactingFilter

        filters["redact"] = RedactingFilter
    logs.configure(ctx.settings.logging.level, ctx.settings.logging.format, to, filters)


def _logging_is_ours(**_: Any) -> None:
    """Celery's `setup_logging` signal: connected, Celery leaves logging as `_logging` set it."""


def _until_stopped() -> threading.Event:
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    return stop


def cmd_worker(ctx: Context, args: argparse.Namespace) -> int:
    if args.celery:
        from celery.signals import setup_logging

        from jobs.celery_app import app

        _logging(ctx)
        setup_logging.connect(_logging_is_ours, weak=False)  # Celery then configures none
        app.worker_main(["--quiet", "worker", f"--loglevel={ctx.settings.logging.level}",
                         f"--concurrency={args.concurrency}", "--without-gossip", "--without-mingle"])
        return 0
    from jobs.clock import embedded_scheduler
    from jobs.runner import run_once

    job_ctx = _context(ctx)
    try:
        if args.once:
            _logging(ctx, "stderr")
            results = run_once(job_ctx)
            for name, counts in results.items():
                shown = ", ".join(f"{k} {v}" for k, v in counts.items()) or "nothing to do"
                failed = f" [{counts.outcome}: see `milepost jobs`]" if counts.failed else ""
                ctx.out.print(f"{name}: {shown}{failed}", markup=False)
            return 1 if any(counts.failed for counts in results.values()) else 0
        _logging(ctx)
        scheduler = embedded_scheduler(job_ctx)
        stop = _until_stopped()
        scheduler.start()
        log.info("milepost worker running (embedded); Ctrl-C to stop")
        stop.wait()
        scheduler.shutdown(wait=True)
        return 0
    finally:
        job_ctx.close()


def cmd_clock(ctx: Context, args: argparse.Namespace) -> int:
    from jobs.celery_app import enqueue
    from jobs.clock import enqueueing_scheduler

    _logging(ctx)
    job_ctx = _context(ctx, "celery")
    scheduler = enqueueing_scheduler(job_ctx, enqueue, blocking=False)
    stop = _until_stopped()
    scheduler.start()
    log.info("milepost clock running; Ctrl-C to stop")
    stop.wait()
    scheduler.shutdown(wait=True)
    job_ctx.close()
    return 0


def cmd_run(ctx: Context, args: argparse.Namespace) -> int:
    from werkzeug.serving import make_server

    from connector.web import create_app
    from jobs.clock import embedded_scheduler

    _logging(ctx, web=True)
    job_ctx = _context(ctx)
    scheduler = embedded_scheduler(job_ctx)
    server = make_server(args.host, args.port, create_app(ctx.settings), threaded=True)
    stop = _until_stopped()
    scheduler.start()
    threading.Thread(target=server.serve_forever, name="web", daemon=True).start()
    log.info("milepost on http://%s:%s with the worker; Ctrl-C to stop", args.host, server.server_port)
    stop.wait()
    server.shutdown()
    scheduler.shutdown(wait=True)
    job_ctx.close()
    return 0


def cmd_sync(ctx: Context, args: argparse.Namespace) -> int:
    from jobs.runner import sync_all

    if args.connection is not None:
        with ctx.ready()() as session:
            if session.get(ConnectionRow, args.connection) is None:
                raise CommandError(f"no connection {args.connection}: `milepost connections` lists them")
    _logging(ctx, "stderr")
    job_ctx = _context(ctx)
    try:
        synced = sync_all(job_ctx, args.connection)
    finally:
        job_ctx.close()
    count = synced["connections"]
    ctx.out.print(f"synced {count} connection(s)"
                  + (f", {synced['failed']} failed" if synced["failed"] else ""), markup=False)
    cmd_jobs(ctx, argparse.Namespace(limit=count, job="sync_connection"))
    return 1 if synced.failed else 0


def cmd_jobs(ctx: Context, args: argparse.Namespace) -> int:
    with ctx.ready()() as session:
        runs = recent_runs(session, args.job, args.limit)
    if not runs:
        ctx.out.print("no job runs yet", markup=False)
    for run in runs:
        took = f"{(run.finished_at - run.started_at).total_seconds():.1f}s" if run.finished_at else "-"
        counts = ", ".join(f"{k} {v}" for k, v in (run.counts or {}).items())
        where = f" connection {run.connection_id}" if run.connection_id else ""
        line = f"{run.started_at.isoformat(timespec='seconds')} {run.job}{where}: {run.outcome} ({took})"
        ctx.out.print(line + (f" {counts}" if counts else "") + (f" — {run.error}" if run.error else ""),
                      markup=False)
    return 0


def cmd_retry(ctx: Context, args: argparse.Namespace) -> int:
    """A failed intent (or every one) back to pending with a fresh count of attempts; the next
    drain carries it. Without arguments, lists the failed intents and their ids."""
    if args.intent is not None and args.all_failed:
        raise CommandError("retry: give an INTENT_ID or --all-failed, not both")
    if args.intent is None and not args.all_failed:
        with ctx.ready()() as session:
            failed = failed_intents(session)
        if not failed:
            ctx.out.print("no failed intents", markup=False)
        for intent in failed:
            ctx.out.print(f"{intent.id} {intent.idempotency_key}: {intent.error}", markup=False)
        return 0
    with ctx.transaction() as session:
        if args.all_failed:
            count = retry_all_failed(session)
        else:
            try:
                retry_intent(session, args.intent)
            except StoreError as error:
                raise CommandError(str(error)) from None
            count = 1
    ctx.out.print(f"re-queued {count} failed intent(s); the worker's next drain carries them", markup=False)
    return 0


def demo_background(ctx: Context, database: str, run: Any, books: Path | None = None) -> int:
    """The demo's second half: the sandbox, an OAuth connection, the worker, a payment back.

    Runs an in-process sandbox (auto-consent), connects its first QuickBooks company, lets the
    worker drain the outbox into draft invoices, records a payment in the sandbox books, syncs
    it home and prints the report again. With `books`, the sandbox's books are written there
    at the end, so the invoices the demo created can be looked at afterwards
    (`milepost sandbox serve --state FILE`).
    """
    import os
    import secrets
    from dataclasses import replace

    from connector.platforms import install
    from connector.platforms.custody import TokenCipher
    from connector.platforms.endpoints import endpoints_from_sandbox
    from connector.sandbox.client import SandboxServer
    from connector.web.connections import install_quickbooks
    from jobs.context import build_context
    from jobs.runner import run_job, sync_all

    os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")
    key = TokenCipher.generate_key()
    with SandboxServer(auto_consent=True) as sandbox:
        settings = ctx.settings.with_database(database)
        settings = replace(settings, sandbox=replace(settings.sandbox, url=sandbox.url, enabled=True),
                           security=replace(settings.security, token_keys=(key,)))
        endpoints = endpoints_from_sandbox(sandbox.url)
        job_ctx = build_context(settings, environ={}, endpoints=endpoints)
        try:
            ctx.out.rule("Connect QuickBooks (sandbox) by OAuth, auto-consent")
            redirect = settings.quickbooks.redirect_uri
            url = install.quickbooks_authorization_url(endpoints[0], redirect, secrets.token_urlsafe(8))
            callback = install.follow_consent(url)
            [(view, _)] = install_quickbooks(job_ctx.sessions, endpoints[0], job_ctx.cipher, redirect,
                                             callback["code"], callback["realmId"])
            ctx.out.print(f"connection {view.id}: {view.name} (realm {view.tenant_id})", markup=False)
            ctx.out.rule("The worker drains the outbox: draft invoices appear in the books")
            counts = run_job(job_ctx, "drain_outbox")
            ctx.out.print(f"drain_outbox: {counts}", markup=False)
            invoices = [(i.platform_id, i.number, i.total) for i in _invoices(job_ctx)]
            for platform_id, number, total in invoices:
                ctx.out.print(f"  QuickBooks invoice {number} (id {platform_id}): {total}", markup=False)
            if not invoices:
                return 1
            paid = invoices[min(1, len(invoices) - 1)]  # milestone 1's invoice, after the deposit
            ctx.out.rule(f"The customer pays invoice {paid[1]} in QuickBooks; the sync brings it home")
            sandbox.control.record_payment(view.tenant_id, paid[0])
            sync_all(job_ctx)
        finally:
            job_ctx.close()
            if books is not None:
                sandbox.state.save(books)
    if books is not None:
        ctx.out.print(f"The sandbox's books are kept in {books}: "
                      f"milepost sandbox serve --state {books}", markup=False)
    return int(run(["--database", database, "report", "ACME-WEB", "--format", "table",
                    "--at", "2027-01-26T18:00"]))


def _invoices(job_ctx: Any) -> list[Any]:
    from sqlalchemy import select

    from connector.store.models import InvoiceRow

    with job_ctx.sessions() as session:
        return list(session.scalars(select(InvoiceRow).order_by(InvoiceRow.id)))
