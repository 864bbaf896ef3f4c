"""What every command shares: the settings, the console, and one database per invocation."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from rich.console import Console
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from connector.config import Settings
from connector.store.db import (
    current_revision,
    engine_for,
    head_revision,
    migrate,
    safe_url,
    session_factory,
    transaction,
)


class CommandError(Exception):
    """A user-facing failure: its message is the one line the CLI prints before exiting 1."""


@dataclass
class Context:
    settings: Settings
    out: Console = field(default_factory=lambda: Console(highlight=False, soft_wrap=True))
    err: Console = field(default_factory=lambda: Console(stderr=True, highlight=False, soft_wrap=True))
    _engine: Engine | None = None
    _sessions: sessionmaker[Session] | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = engine_for(self.settings)
        return self._engine

    def ready(self) -> sessionmaker[Session]:
        """Sessions on a database at the latest schema; `milepost init` is what migrates it."""
        if self._sessions is None:
            if current_revision(self.engine) != head_revision():
                where = safe_url(self.settings.database.url)
                raise CommandError(f"database {where} is not initialised or out of date: run `milepost init`")
            self._sessions = session_factory(self.engine, self.settings.mail)
        return self._sessions

    def init(self) -> str:
        """Create or upgrade the schema; return the revision it is now at."""
        migrate(self.engine)
        return current_revision(self.engine) or ""

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with transaction(self.ready()) as session:
            yield session

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


def parse_at(value: str | None, time_zone: str) -> datetime:
    """`--at`: an ISO date or datetime; without an offset it is read in the project's time zone."""
    if value is None:
        return datetime.now(UTC)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--at: {value!r} is not an ISO 8601 date or datetime") from None
    if len(value) == 10:  # a bare date: the start of that day where the project is
        parsed = datetime.combine(parsed.date(), time(0))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(time_zone))
    if not 2000 <= parsed.year <= 2100:  # as the schedule's dates; 9999-12-31-14:00 overflows UTC
        raise CommandError("--at: dates run from 2000-01-01 to 2100-12-31 [date_out_of_range]")
    return parsed
