"""Alembic environment: the engine comes from the caller (`db.migrate`) or from Settings."""

from __future__ import annotations

from alembic import context

from connector.store.db import engine_for
from connector.store.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        from connector.config import load_settings

        engine = engine_for(load_settings())
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported: run `milepost init`")
run_migrations_online()
