"""The Xero sandbox and Milepost judge an attachment by the same limits.

The sandbox imports nothing from Milepost (connector/sandbox/README.md), so it keeps its own
copy of Xero's attachment rules; Milepost checks evidence against mappings.attachments when it
is recorded. If the two drifted, evidence Milepost accepts could be refused by the sandbox (or
the sandbox would accept what Xero refuses), so they must stay equal.
"""

from __future__ import annotations

from connector.sandbox.xero import writes
from mappings.attachments import PLATFORM_RULES


def test_the_xero_sandbox_uses_the_same_attachment_limits_as_milepost() -> None:
    xero = PLATFORM_RULES["xero"]

    assert writes.ATTACHMENT_TYPES == xero.extensions
    assert writes.ATTACHMENT_MAX_BYTES == xero.max_bytes
    assert writes.ATTACHMENTS_PER_DOCUMENT == xero.max_files
