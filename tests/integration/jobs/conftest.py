"""The sandbox for the module, a fresh stack (database, web app, connections) per test."""

from tests.stack_fixtures import (  # noqa: F401 - pytest finds fixtures by name
    sandbox,
    stack,
    xero_traffic_follows_the_spec,
)
