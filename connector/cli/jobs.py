"""The background work's commands: worker, clock, run, sync, jobs.

    milepost worker [--once] [--celery]   the embedded scheduler (default), every due job once,
                                          or a Celery worker (scale-out)
    milepost clock                        the scale-out clock: enqueues, runs nothing itself
    milepost run [--host H] [--port P]    web app and embedded worker in one process (a laptop)
    milepost sync [--connection ID]       sync now
    milepost jobs [--limit N] [--job NAME] recent job runs

SIGTERM and Ctrl-C stop the scheduler after the running jobs finish, so a worker exits
cleanly; a killed one leaves nothing lost (see jobs/outbox.py).
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from typing import Any

from connector.store.job_runs import recent_runs

from .context import Context


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    worker = sub.add_parser("worker", help="run the background jobs")
    worker.add_argument("--once", action="store_true", help="run every due job once and exit")
    worker.add_argument("--celery", action="store_true", help="run a Celery worker (scale-out)")
    worker.add_argument("--concurrency", type=int, default=2, help="Celery worker processes")
    worker.set_defaults(handler=cmd_worker)
    clock = sub.add_parser("clock", help="scale-out: enqueue jobs on the timetable")
    clock.set_defaults(handler=cmd_clock)
    run = sub.add_parser("run", help="the web app and the worker in one process")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=5000)
    run.set_defaults(handler=cmd_run)
    sync = sub.add_parser("sync", help="sync payments and statuses now")
    sync.add_argument("--connection", type=int, help="one connection id (default: all active)")
    sync.set_defaults(handler=cmd_sync)
    runs = sub.add_parser("jobs", help="list recent job runs")
    runs.add_argument("--limit", type=int, default=20)
    runs.add_argument("--job", help="only this job")
    runs.set_defaults(handler=cmd_jobs)


def _context(ctx: Context, mode: str = "embedded") -> Any:
    from jobs.context import build_context

    ctx.ready()  # refuses an uninitialised database with the usual message
    return build_context(ctx.settings, mode=mode)


def _logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def _until_stopped() -> threading.Event:
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    return stop


def cmd_worker(ctx: Context, args: argparse.Namespace) -> int:
    if args.celery:
        from jobs.celery_app import app

        _logging()
        app.worker_main(["worker", "--loglevel=INFO", f"--concurrency={args.concurrency}",
                         "--without-gossip", "--without-mingle"])
        return 0
    from jobs.clock import embedded_scheduler
    from jobs.runner import run_once

    job_ctx = _context(ctx)
    try:
        if args.once:
            for name, counts in run_once(job_ctx).items():
                shown = ", ".join(f"{k} {v}" for k, v in counts.items()) or "nothing to do"
                ctx.out.print(f"{name}: {shown}", markup=False)
            return 0
        _logging()
        scheduler = embedded_scheduler(job_ctx)
        stop = _until_stopped()
        scheduler.start()
        ctx.out.print("milepost worker running (embedded); Ctrl-C to stop", markup=False)
        stop.wait()
        scheduler.shutdown(wait=True)
        return 0
    finally:
        job_ctx.close()


def cmd_clock(ctx: Context, args: argparse.Namespace) -> int:
    from jobs.celery_app import enqueue
    from jobs.clock import enqueueing_scheduler

    _logging()
    job_ctx = _context(ctx, "celery")
    scheduler = enqueueing_scheduler(job_ctx, enqueue, blocking=False)
    stop = _until_stopped()
    scheduler.start()
    ctx.out.print("milepost clock running; Ctrl-C to stop", markup=False)
    stop.wait()
    scheduler.shutdown(wait=True)
    job_ctx.close()
    return 0


def cmd_run(ctx: Context, args: argparse.Namespace) -> int:
    from werkzeug.serving import make_server

    from connector.web import create_app
    from jobs.clock import embedded_scheduler

    _logging()
    job_ctx = _context(ctx)
    scheduler = embedded_scheduler(job_ctx)
    server = make_server(args.host, args.port, create_app(ctx.settings), threaded=True)
    stop = _until_stopped()
    scheduler.start()
    threading.Thread(target=server.serve_forever, name="web", daemon=True).start()
    ctx.out.print(f"milepost on http://{args.host}:{server.server_port} with the worker; "
                  "Ctrl-C to stop", markup=False)
    stop.wait()
    server.shutdown()
    scheduler.shutdown(wait=True)
    job_ctx.close()
    return 0


def cmd_sync(ctx: Context, args: argparse.Namespace) -> int:
    from jobs.runner import sync_all

    job_ctx = _context(ctx)
    try:
        count = sync_all(job_ctx, args.connection)
    finally:
        job_ctx.close()
    ctx.out.print(f"synced {count} connection(s)", markup=False)
    return cmd_jobs(ctx, argparse.Namespace(limit=count, job="sync_connection"))


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
