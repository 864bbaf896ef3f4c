"""What the store refuses, as errors a caller (CLI, web, worker) can act on.

```
StoreError
├── ProjectNotFound      no project with that key
├── MilestoneNotFound    the project has no milestone with that sequence number
├── DuplicateProject     a project with that key exists already (imports never overwrite)
├── DuplicateChangeOrder the change order's reference was applied before
├── DuplicateMonthlyInvoice the month's invoice was queued before (a month is invoiced once)
└── ConcurrentUpdate     someone else changed the milestone first: reload and try again
```
"""

from __future__ import annotations


class StoreError(Exception):
    """The root of the store's errors."""


class ProjectNotFound(StoreError, LookupError):
    def __init__(self, key: str) -> None:
        super().__init__(f"no project with key {key!r}")
        self.key = key


class MilestoneNotFound(StoreError, LookupError):
    def __init__(self, key: str, seq: int) -> None:
        super().__init__(f"project {key!r} has no milestone {seq}")
        self.key = key
        self.seq = seq


class DuplicateProject(StoreError):
    def __init__(self, key: str) -> None:
        super().__init__(f"a project with key {key!r} exists already")
        self.key = key


class DuplicateChangeOrder(StoreError):
    def __init__(self, key: str, reference: str) -> None:
        super().__init__(f"change order {reference!r} was already applied to project {key!r}")
        self.key = key
        self.reference = reference


class DuplicateMonthlyInvoice(StoreError):
    def __init__(self, key: str, month: str) -> None:
        super().__init__(f"{key}: the monthly invoice for {month} is already queued")
        self.key = key
        self.month = month


class ConcurrentUpdate(StoreError):
    """Two writers raced on one milestone; this one lost and nothing of it was written."""

    def __init__(self, key: str, seq: int, expected_version: int) -> None:
        super().__init__(
            f"milestone {seq} of {key!r} was changed by someone else (expected version "
            f"{expected_version}); reload and try again"
        )
        self.key = key
        self.seq = seq
        self.expected_version = expected_version
