"""A stored file is read only when it is uploaded, and never sent when the platform would refuse
it (a file recorded before evidence was checked): the refusal is final, not retried."""

from __future__ import annotations

import pytest

from connector.platforms.errors import RetriableError, ValidationRejected
from connector.platforms.gateway import Attachment


def test_a_stored_file_is_read_when_it_is_sent() -> None:
    reads = []

    def load() -> bytes:
        reads.append(1)
        return b"%PDF signed off"

    file = Attachment("signed.pdf", content_type="application/pdf", loader=load)
    assert reads == []
    assert file.data("xero") == b"%PDF signed off"
    assert reads == [1]


@pytest.mark.parametrize(("name", "size", "platform", "why"), [
    ("setup.exe", 10, "quickbooks", ".exe"),
    ("designs.zip", 10, "quickbooks", ".zip"),
    ("scan.pdf", 10 * 1024 * 1024 + 1, "xero", "10 MB"),
])
def test_a_file_the_platform_refuses_is_not_sent(name, size, platform, why) -> None:
    file = Attachment(name, loader=lambda: bytes(size))
    with pytest.raises(ValidationRejected, match=why) as refused:
        file.data(platform)
    assert not isinstance(refused.value, RetriableError)
