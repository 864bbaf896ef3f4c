"""Logs for operators: one JSON object a line, each carrying what it belongs to.

Every long-running process (the web app under gunicorn or `milepost run`, `milepost worker`,
the Celery worker, `milepost clock`) logs through `configure`, or gunicorn's `logconfig_dict`
built by `dict_config`, so all of them write the same lines:

    {"time": "2026-12-01T16:45:03.120Z", "level": "INFO", "logger": "milepost.platforms.http",
     "message": "quickbooks POST /v3/company/9130/invoice 200 (212 ms)", "job": "drain_outbox",
     "job_run_id": 41, "intuit_tid": "1-6744d9c1a9f3e2b44c0b7a11"}

`time` is ISO 8601 in UTC; `request_id` (the web request's: its `X-Request-ID`, or one made
for it), `job` and `job_run_id` (the `job_runs` row), and the platform's own request id
(`intuit_tid` for QuickBooks, `xero_correlation_id` for Xero: what their support asks for) are
attached to every line logged while they hold. They live in a context variable: `bound(...)`
sets fields for a block (a request, a job run) and puts the previous ones back when it ends,
and `note(...)` adds a field until the enclosing block ends (the platform clients note each
answer's id as they see it; outside a block a note is dropped). Threads start with none, so a worker thread's job never inherits
another's fields.

The formatting is python-json-logger's (a maintained library: extras, exceptions and values
JSON does not know are handled there); this module decides the names and the order, removes
terminal colour codes (werkzeug's), keeps APScheduler's two INFO lines per job run and Celery's
per-task lines at WARNING (`job_runs` records every run worth reading), and leaves secrets to
the filters given to it (`connector.web.redaction.RedactingFilter` for request lines) and to
the callers that already scrub (platform errors, `jobs.runs.describe`).

Nothing here is imported by `milepost --help` or the short commands, which do not configure
logging: their warnings reach stderr as Python's plain last-resort lines.
"""

from __future__ import annotations

import logging
import logging.config
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from pythonjsonlogger.json import JsonFormatter as _LibraryJsonFormatter

_FIELDS: ContextVar[Mapping[str, object]] = ContextVar("milepost_log_fields",
                                                       default=MappingProxyType({}))
_BOUND: ContextVar[bool] = ContextVar("milepost_log_bound", default=False)
# Libraries whose routine INFO lines repeat every tick: only their warnings are worth a line.
QUIET = ("apscheduler", "celery.app.trace", "celery.worker.strategy", "werkzeug")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


@contextmanager
def bound(**fields: object) -> Iterator[None]:
    """Attach `fields` (None values left out) to every line logged in this block."""
    token = _FIELDS.set({**_FIELDS.get(), **{k: v for k, v in fields.items() if v is not None}})
    inside = _BOUND.set(True)
    try:
        yield
    finally:
        _BOUND.reset(inside)
        _FIELDS.reset(token)


def note(**fields: object) -> None:
    """Attach `fields` to the lines that follow, until the enclosing `bound` block ends; outside
    any block (nothing would ever take them back) they are not kept."""
    if _BOUND.get():
        _FIELDS.set({**_FIELDS.get(), **{k: v for k, v in fields.items() if v is not None}})


def current() -> Mapping[str, object]:
    """The fields attached to lines logged here now."""
    return _FIELDS.get()


class ContextFilter(logging.Filter):
    """Copies the bound fields onto each record (a field the call passed itself wins)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in _FIELDS.get().items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


class JsonFormatter(_LibraryJsonFormatter):
    """time, level, logger, message, then the bound fields and any `extra`, one line."""

    def __init__(self) -> None:
        super().__init__("%(levelname)s %(name)s %(message)s",
                         rename_fields={"levelname": "level", "name": "logger"})

    def add_fields(self, log_data: dict[str, Any], record: logging.LogRecord,
                   message_dict: dict[str, Any]) -> None:
        log_data["time"] = iso_time(record.created)
        super().add_fields(log_data, record, message_dict)
        if isinstance(log_data.get("message"), str):
            log_data["message"] = _ANSI.sub("", log_data["message"])


class TextFormatter(logging.Formatter):
    """Plain lines for a person at a terminal, the bound fields after the message."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        line = _ANSI.sub("", super().format(record))
        fields = " ".join(f"{k}={v}" for k, v in _FIELDS.get().items())
        return f"{line} [{fields}]" if fields else line


def iso_time(created: float) -> str:
    """`2026-12-01T16:45:03.120Z`: a record's time, in UTC, to the millisecond."""
    moment = datetime.fromtimestamp(created, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class ConsoleHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to sys.stdout or sys.stderr as they are when each record is written, so a
    process (or a test) that replaces them later is still written to."""

    def __init__(self, to: str = "stdout") -> None:
        self._to = "stderr" if to == "stderr" else "stdout"
        super().__init__()

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return getattr(sys, self._to)

    @stream.setter
    def stream(self, _value: Any) -> None:
        """StreamHandler sets its stream; this one always looks it up."""


def dict_config(level: str = "INFO", fmt: str = "json", to: str = "stdout",
                filters: Mapping[str, Callable[[], logging.Filter]] | None = None) -> dict[str, Any]:
    """A `logging.config.dictConfig` document (also gunicorn's `logconfig_dict`): the root
    logger writes `fmt` lines to `to`; gunicorn's own loggers go through it (its access lines
    held back); QUIET ones are held at WARNING. `filters` (name -> factory) run on every line before it is written."""
    extra = dict(filters or {})
    quiet = max(logging.WARNING, logging.getLevelName(level))
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": ContextFilter},
                    **{name: {"()": factory} for name, factory in extra.items()}},
        "formatters": {"line": {"()": JsonFormatter if fmt == "json" else TextFormatter}},
        "handlers": {"console": {"()": ConsoleHandler, "to": to, "formatter": "line",
                                 "filters": ["context", *extra]}},
        "root": {"level": level, "handlers": ["console"]},
        "loggers": {
            "gunicorn.error": {"level": level, "handlers": [], "propagate": True},
            # The app writes each request's line itself, with its request id (web.request_log).
            "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": True},
            **{name: {"level": logging.getLevelName(quiet)} for name in QUIET},
        },
    }


def configure(level: str = "INFO", fmt: str = "json", to: str = "stdout",
              filters: Mapping[str, Callable[[], logging.Filter]] | None = None) -> bool:
    """Make this process log as `dict_config` says; True when it did. Like
    `logging.basicConfig`, a process whose root logger already has someone else's handlers
    (an application embedding Milepost, a test runner capturing logs) is left as it is."""
    if any(not isinstance(handler, ConsoleHandler) for handler in logging.getLogger().handlers):
        return False
    logging.config.dictConfig(dict_config(level, fmt, to, filters))
    logging.captureWarnings(True)  # a library's warning is a line like the others (py.warnings)
    return True
