"""Which failures belong to the infrastructure (the database, Redis, the broker), not to the work.

A job that meets one of these has not learnt anything about the intent, invoice or project it
was handling: the same item will go through once the service is back. So it is never counted
against the item (no attempt spent, never failed for good) and never recorded as a bug in it;
the item is put back and the run ends with the error, because the next item would meet the
same outage. Everything else keeps its own meaning (a platform fault, a refusal, a bug).

The classes are the libraries' own "could not talk to the server" errors: SQLAlchemy's
`OperationalError` / `InterfaceError` (and any DBAPI error flagged as a dropped connection),
its pool's `TimeoutError`, redis-py's `ConnectionError` / `TimeoutError` (the locks and the
rate gate's storage in Celery mode) and kombu's `OperationalError` (the broker). redis-py and
kombu are looked up among the modules already imported rather than imported here: an error of
a library the process never loaded cannot have been raised, and a command that only reads the
store (`milepost report`) should not load them.
"""

from __future__ import annotations

import sys

from sqlalchemy import exc as sa

_SQLALCHEMY: tuple[type[BaseException], ...] = (sa.OperationalError, sa.InterfaceError, sa.TimeoutError)
_ELSEWHERE = {  # module -> its "could not talk to the server" errors
    "redis.exceptions": ("ConnectionError", "TimeoutError"),
    "kombu.exceptions": ("OperationalError",),
}


def infrastructure_errors() -> tuple[type[BaseException], ...]:
    """The outage classes of SQLAlchemy and of redis-py and kombu when they are loaded."""
    found = list(_SQLALCHEMY)
    for module, names in _ELSEWHERE.items():
        if (loaded := sys.modules.get(module)) is not None:
            found += [getattr(loaded, name) for name in names]
    return tuple(found)


def is_infrastructure(error: BaseException) -> bool:
    """True for an outage of a service Milepost runs on, whatever wrapped it on the way up."""
    seen: set[int] = set()
    outages = infrastructure_errors()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, outages):
            return True
        if isinstance(current, sa.DBAPIError) and current.connection_invalidated:
            return True
        current = current.__cause__
    return False
