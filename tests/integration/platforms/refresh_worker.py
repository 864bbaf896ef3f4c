"""A worker process that refreshes one connection's tokens, for the two-process custody tests.

Run under multiprocessing's spawn context: nothing is shared with the test process but the
database, the sandbox and the arguments, exactly like two Milepost workers on two machines.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from connector.platforms import custody
from connector.platforms.custody import TokenCipher, TokenSet
from connector.platforms.endpoints import QuickBooksEndpoints, XeroEndpoints
from connector.platforms.token_endpoint import quickbooks_refresher, xero_refresher
from connector.store.db import make_engine, session_factory


def refresh_once(
    url: str, connection_id: int, key: str, endpoints: QuickBooksEndpoints | XeroEndpoints, barrier: Any, results: Any
) -> None:
    engine = make_engine(url)
    factory = session_factory(engine)
    if isinstance(endpoints, XeroEndpoints):
        platform_refresh = xero_refresher(endpoints)
    else:
        platform_refresh = quickbooks_refresher(endpoints)
    calls = []

    def refresher(tokens: TokenSet) -> TokenSet:
        calls.append(1)
        fresh = platform_refresh(tokens)
        time.sleep(0.3)  # hold the lock a moment, so the other worker surely arrives during it
        return fresh

    barrier.wait()
    try:
        tokens = custody.refresh_if_needed(
            factory, connection_id, refresher, TokenCipher([key]), now=datetime.now(UTC)
        )
        results.put((tokens.access_token, len(calls)))
    finally:
        engine.dispose()


def race_refreshes(
    url: str, connection_ids: Sequence[int], key: str, endpoints: QuickBooksEndpoints | XeroEndpoints
) -> list[tuple[str, int]]:
    """Two (or more) worker processes refresh at the same moment, one per connection id;
    returns each one's (access token it ended with, platform refreshes it made)."""
    spawn = multiprocessing.get_context("spawn")
    barrier, results = spawn.Barrier(len(connection_ids)), spawn.Queue()
    workers = [
        spawn.Process(target=refresh_once, args=(url, connection_id, key, endpoints, barrier, results))
        for connection_id in connection_ids
    ]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
    return outcomes
