"""What the drain reads from the store for a claimed batch of intents, read once for the batch.

Before a draft is created the drain must know, for each intent, the connection it goes to (its
route), that connection's platform and mapping settings with the project's own, the evidence
files to attach, the customer's id in those books when one is known, and the estimate or quote
the project came from. Read per intent that was seven queries a draft (most of the worker's CPU
per draft is the store's, issue 15); here each is one query for the whole batch, read in the
claim's own transaction. `jobs.outbox` composes each intent's delivery from them as before.

The reads are as fresh as the claim, and a batch is carried in seconds. The one thing the batch
itself changes is the known customer: a customer created or matched for one intent is the
known customer of the next intent for the same customer, so the drain tells `remember` when it
records one in the store.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from connector.billing.model import Customer, SourceDocument
from connector.store import outbox as store_outbox
from connector.store.evidence import EvidenceFile, StoredFiles
from connector.store.links import linked_connections
from connector.store.mapping_rows import customer_key, known_customers, project_mappings
from connector.store.models import DEFAULT_ORGANISATION_ID, ConnectionRow
from connector.store.sources import sources_by_project

from .connections import (
    Route,
    active_connections,
    chosen_route,
    project_organisations,
    stored_mappings,
)


class BatchReads:
    """The store's answers for one claimed batch (see the module docstring)."""

    def __init__(self, session: Session, sessions: sessionmaker[Session],
                 claimed: Sequence[store_outbox.ClaimedIntent]) -> None:
        keys = sorted({item.intent.project_key for item in claimed})
        unrouted = sorted({item.intent.project_key for item in claimed if item.connection_id is None})
        linked = linked_connections(session, unrouted)
        organisations = project_organisations(session, unrouted)
        active = functools.cache(lambda organisation: active_connections(session, organisation))

        def route_of(key: str, connection_id: int | None) -> Route:
            if connection_id is not None:
                return Route(connection_id)
            organisation = organisations.get(key, DEFAULT_ORGANISATION_ID)
            return chosen_route(key, linked.get(key), lambda: active(organisation))

        self._routes = {(item.intent.project_key, item.connection_id):
                        route_of(item.intent.project_key, item.connection_id) for item in claimed}
        routed = {route.connection_id for route in self._routes.values() if route.connection_id is not None}
        self._platforms: dict[int, str] = {
            connection_id: platform for connection_id, platform in session.execute(
                select(ConnectionRow.id, ConnectionRow.platform).where(ConnectionRow.id.in_(sorted(routed))))
        } if routed else {}
        self._own = stored_mappings(session, routed)
        self._projects = project_mappings(session, keys)
        self._files = StoredFiles.read(session, keys, sessions)
        self._customers = known_customers(session, [
            (route.connection_id, item.intent.customer) for item in claimed
            if (route := self.route(item)).connection_id is not None])
        self._sources = sources_by_project(session, keys)

    def route(self, item: store_outbox.ClaimedIntent) -> Route:
        return self._routes[(item.intent.project_key, item.connection_id)]

    def platform(self, connection_id: int) -> str | None:
        """The connection's platform; None when there is no such connection."""
        return self._platforms.get(connection_id)

    def connection_mapping(self, connection_id: int) -> dict[str, Any]:
        return self._own.get(connection_id, {})

    def project_mapping(self, project_key: str) -> dict[str, Any]:
        return self._projects.get(project_key, {})

    def files(self, project_key: str, seqs: Sequence[int]) -> list[EvidenceFile]:
        return self._files.files(project_key, seqs) if seqs else []

    def known_customer(self, connection_id: int, customer: Customer) -> str | None:
        return self._customers.get((connection_id, customer_key(customer)))

    def remember(self, connection_id: int, customer: Customer, platform_id: str) -> None:
        """The drain recorded this customer's id in the store: the batch's next intents use it."""
        self._customers[(connection_id, customer_key(customer))] = platform_id

    def source(self, project_key: str, connection_id: int) -> SourceDocument | None:
        """The document the project came from, when its invoices go to the same books."""
        found = self._sources.get(project_key)
        return found[1] if found is not None and found[0] == connection_id else None


@dataclass(frozen=True)
class ClaimedWithReads:
    """A claimed intent and its batch's reads: what `drain` hands `jobs.outbox._deliver`."""

    claimed: store_outbox.ClaimedIntent
    reads: BatchReads

    @property
    def id(self) -> int:
        return self.claimed.id


def with_reads(session: Session, sessions: sessionmaker[Session],
               claimed: Sequence[store_outbox.ClaimedIntent]) -> list[ClaimedWithReads]:
    """The claimed intents, each with the batch's reads, read in `session` (the claim's own
    transaction); `sessions` is for reading an evidence file's bytes when it is sent."""
    if not claimed:
        return []
    reads = BatchReads(session, sessions, claimed)
    return [ClaimedWithReads(item, reads) for item in claimed]
