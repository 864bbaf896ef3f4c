"""Engines, sessions and migrations: the only place that knows how to reach the database.

The schema comes from Alembic (`migrate`), never from `create_all`, so a deployed database and
a test database are built by the same steps. SQLite gets WAL and a busy timeout so the web app,
the worker and the CLI can share one file; foreign keys are switched on, which SQLite does not
do by default.

Engines are built with `hide_parameters=True`: a failed statement's error (and `echo`) shows
the SQL but never the values bound to it, which are customers' names, e-mails and amounts, so
no log line carries them.

Alembic is imported only to migrate: every command checks that the database is at the newest
revision, and that check reads `alembic_version` and the migration files' own `revision` /
`down_revision` lines directly, so a quick command (`milepost report`) never pays for Alembic.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from connector.config import MailSettings, Settings

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
MAIL_INFO = "milepost.mail"  # session.info key: the [mail] settings when e-mail is on


def safe_url(url: str) -> str:
    """The URL as it may be shown to a person: the password hidden."""
    return make_url(url).render_as_string(hide_password=True)


def make_engine(url: str, *, echo: bool = False, busy_timeout_ms: int = 5000) -> Engine:
    """An engine for `url`; for a SQLite file, its directory is created when missing."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, parsed.database, echo, busy_timeout_ms)
    if parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    # the drain's lanes (`jobs.drains.LANES`) and the scheduler's threads may each hold a
    # connection at once: past SQLAlchemy's default 5 + 10, a lane would wait for one
    return create_engine(url, echo=echo, pool_pre_ping=True, hide_parameters=True, max_overflow=30)


def _sqlite_engine(url: str, database: str | None, echo: bool, busy_timeout_ms: int) -> Engine:
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, echo=echo, hide_parameters=True,
                           connect_args={"timeout": busy_timeout_ms / 1000})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling defers BEGIN; let SQLAlchemy emit it instead so a
        # write transaction takes the lock up front (BEGIN IMMEDIATE below) and never deadlocks.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def engine_for(settings: Settings) -> Engine:
    db = settings.database
    return make_engine(db.url, echo=db.echo, busy_timeout_ms=db.busy_timeout_ms)


def session_factory(engine: Engine, mail: MailSettings | None = None) -> sessionmaker[Session]:
    """Sessions on `engine`. With `[mail]` configured, its settings ride on every session
    (`session.info`), so the store queues approver and bookkeeper e-mail in the transaction of
    the event that causes it (`store.mail_outbox`); without it nothing is queued."""
    info = {MAIL_INFO: mail} if mail is not None and mail.configured else {}
    return sessionmaker(engine, expire_on_commit=False, info=info)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: committed when the block ends, rolled back whole if it raises."""
    with factory() as session, session.begin():
        yield session


def alembic_config(engine: Engine | None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to `revision` (what `milepost init` does)."""
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    """The schema revision the database is at (None for an empty database): the row Alembic
    keeps in `alembic_version`."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        versions = list(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())
    if len(versions) > 1:
        raise RuntimeError(f"the database is at several revisions at once: {', '.join(versions)}")
    return versions[0] if versions else None


def head_revision() -> str | None:
    """The newest revision the code knows: the one no other migration names as its
    `down_revision`. Alembic decides when the files do not name exactly one (a branch)."""
    revisions: set[str] = set()
    parents: set[str | None] = set()
    for script in (MIGRATIONS / "versions").glob("*.py"):
        found = _assigned(script, ("revision", "down_revision"))
        if isinstance(found.get("revision"), str):
            revisions.add(found["revision"])
        down = found.get("down_revision")
        parents.update(down if isinstance(down, tuple | list) else [down])
    heads = revisions - parents
    if len(heads) == 1:
        return heads.pop()
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(None)).get_current_head()


def _assigned(script: Path, names: tuple[str, ...]) -> dict[str, Any]:
    """The literal values a migration file assigns to `names` at module level."""
    found: dict[str, Any] = {}
    for node in ast.parse(script.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id in names:
            found[target.id] = ast.literal_eval(value)
    return found
