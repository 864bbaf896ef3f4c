"""What a void and a credit share: a request about one platform invoice, carried by the outbox.

Both are asked for in one transaction (`store.voids`, `store.credits`), stored as the outbox
row's JSON payload (`json`, with the row's kind) and claimed by the drain with the row's attempt
count and connection (`ClaimedRequest`), so `jobs.drains` carries either the same way.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, ClassVar, Generic, Self, TypeVar


@dataclass(frozen=True)
class InvoiceRequest:
    """Which invoice (stored row, platform, id, number), for which milestone generation, why,
    who asks, and under which idempotency key the books see it."""

    KIND: ClassVar[str] = ""

    idempotency_key: str
    project_key: str
    seq: int
    generation: int
    reason: str
    by: str
    invoice_row_id: int
    platform: str
    platform_id: str
    number: str

    def json(self) -> dict[str, Any]:
        return {"kind": self.KIND, **asdict(self)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        return cls(**{k: v for k, v in data.items() if k != "kind"})

    @property
    def invoice_label(self) -> str:
        return self.number or self.platform_id


R = TypeVar("R", bound=InvoiceRequest)


@dataclass(frozen=True)
class ClaimedRequest(Generic[R]):
    id: int
    request: R
    attempts: int  # including this one
    connection_id: int | None
