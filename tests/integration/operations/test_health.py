"""`/healthz` and `/readyz` as a load balancer asks them: no sign-in, no key, no secret said."""

from __future__ import annotations

from dataclasses import replace

import pytest
from flask import Flask

from connector.config import Settings
from connector.web import create_app
from tests.log_lines import captured, from_logger

NOWHERE_DB = "postgresql+psycopg://milepost:db-pass-s3cret@127.0.0.1:1/nothing"
NOWHERE_REDIS = "redis://:redis-pass-s3cret@127.0.0.1:1/0"
LOCAL_REDIS = "redis://127.0.0.1:6379/0"


def _app(database_url: str, broker_url: str = "") -> Flask:
    base = Settings().with_database(database_url)
    app = create_app(replace(base, worker=replace(base.worker, broker_url=broker_url)), environ={})
    app.config["TESTING"] = True
    return app


def test_healthz_answers_ok_without_a_sign_in_even_with_the_database_down() -> None:
    answer = _app(NOWHERE_DB).test_client().get("/healthz")

    assert answer.status_code == 200
    assert answer.get_json() == {"status": "ok"}


def test_readyz_is_ok_when_the_database_answers(engine, database_url) -> None:
    answer = _app(database_url).test_client().get("/readyz")

    assert answer.status_code == 200
    assert answer.get_json() == {"status": "ok", "checks": {"database": "ok"}}


def test_readyz_is_503_naming_the_database_when_its_url_points_nowhere() -> None:
    with captured() as lines:
        answer = _app(NOWHERE_DB).test_client().get("/readyz")

    assert answer.status_code == 503
    assert answer.get_json() == {"status": "unavailable", "checks": {"database": "unreachable"}}
    assert "db-pass-s3cret" not in answer.get_data(as_text=True)
    [why] = from_logger(lines, "milepost.web.health")
    assert why["level"] == "WARNING"
    assert "database" in why["message"]
    assert "db-pass-s3cret" not in str(lines)


def test_readyz_is_503_naming_redis_when_scaled_out_and_redis_is_down(sqlite_url) -> None:
    with captured() as lines:
        answer = _app(sqlite_url, broker_url=NOWHERE_REDIS).test_client().get("/readyz")

    assert answer.status_code == 503
    assert answer.get_json() == {"status": "unavailable",
                                 "checks": {"database": "ok", "redis": "unreachable"}}
    assert "redis-pass-s3cret" not in answer.get_data(as_text=True) + str(lines)


@pytest.mark.redis
def test_readyz_checks_redis_when_scaled_out_and_is_ok_when_it_answers(sqlite_url) -> None:
    answer = _app(sqlite_url, broker_url=LOCAL_REDIS).test_client().get("/readyz")

    assert answer.status_code == 200
    assert answer.get_json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}


def test_probes_leave_no_request_line_but_carry_a_request_id(sqlite_url) -> None:
    client = _app(sqlite_url).test_client()
    with captured() as lines:
        ready = client.get("/readyz")
        alive = client.get("/healthz")

    assert ready.headers["X-Request-ID"]
    assert alive.headers["X-Request-ID"]
    assert from_logger(lines, "milepost.web.access") == []
