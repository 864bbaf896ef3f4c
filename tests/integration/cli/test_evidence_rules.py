"""Issue 11 finding 9 and issue 9 finding 6: evidence is checked when it is recorded.

Only regular files under the working folder (or `[app] evidence_root`), at most 10 MB, of a
type the platforms accept (mappings.attachments: Xero's and QuickBooks' lists), at most 10 per
milestone. A refusal names the file and the rule, exits 1 and writes nothing.
"""

from __future__ import annotations

import json
import os

import pytest
from sqlalchemy import func, select

from connector.store.db import make_engine, session_factory
from connector.store.models import EvidenceRow, OutboxRow

from .schedules import GOOD, import_with_evidence

MB = 1024 * 1024


@pytest.fixture
def acme(milepost, tmp_path):
    return import_with_evidence(milepost, tmp_path, GOOD, "requirements-v1.3.pdf", b"%PDF requirements")


def stored(database_url) -> tuple[int, int]:
    """(evidence rows, outbox rows)."""
    engine = make_engine(database_url)
    try:
        with session_factory(engine)() as session:
            return (int(session.scalar(select(func.count()).select_from(EvidenceRow)) or 0),
                    int(session.scalar(select(func.count()).select_from(OutboxRow)) or 0))
    finally:
        engine.dispose()


def state(milepost, seq: int = 1) -> str:
    report = json.loads(milepost("report", "ACME-WEB", "--format", "json").out)
    return next(m["state"] for m in report["milestones"] if m["seq"] == seq)


def refused(milepost, database_url, *files: str, rule: str, action: str = "submit") -> str:
    result = milepost("milestone", action, "ACME-WEB", "1", "--evidence", *files)
    assert result.code == 1, result.out
    assert f"[{rule}]" in result.err
    assert "evidence" in result.err
    return result.err


def test_the_process_environment_is_never_evidence(milepost, acme, database_url):
    err = refused(milepost, database_url, "/proc/self/environ", rule="outside_evidence_root")
    assert "/proc/self/environ" in err
    assert state(milepost) == "planned"
    assert stored(database_url) == (0, 0)


def test_a_symlink_leading_outside_the_folder_is_refused(milepost, acme, database_url, tmp_path_factory, tmp_path):
    outside = tmp_path_factory.mktemp("elsewhere") / "secrets.pdf"
    outside.write_bytes(b"%PDF not yours")
    link = tmp_path / "innocent.pdf"
    link.symlink_to(outside)

    refused(milepost, database_url, str(link), rule="outside_evidence_root")

    assert stored(database_url) == (0, 0)


def test_a_symlink_within_the_folder_is_read(milepost, acme, database_url, tmp_path):
    (tmp_path / "drafts").mkdir()
    (tmp_path / "drafts" / "scope.pdf").write_bytes(b"%PDF scope")
    (tmp_path / "scope.pdf").symlink_to(tmp_path / "drafts" / "scope.pdf")

    assert milepost("milestone", "submit", "ACME-WEB", "1", "--evidence", "scope.pdf").code == 0
    assert stored(database_url) == (1, 0)


def test_a_fifo_is_refused_without_being_opened(milepost, acme, database_url, tmp_path):
    fifo = tmp_path / "pipe.pdf"
    os.mkfifo(fifo)  # opening it for reading would block until a writer came

    refused(milepost, database_url, str(fifo), rule="not_regular_file")


def test_an_11_mb_file_is_refused(milepost, acme, database_url, tmp_path):
    big = tmp_path / "scan.pdf"
    with big.open("wb") as handle:
        handle.truncate(11 * MB)

    err = refused(milepost, database_url, str(big), rule="file_too_large")

    assert "10 MB" in err
    assert stored(database_url) == (0, 0)


def test_an_exe_is_refused_naming_the_allowed_types(milepost, acme, database_url, tmp_path):
    exe = tmp_path / "setup.exe"
    exe.write_bytes(b"MZ\x90\x00")

    err = refused(milepost, database_url, str(exe), rule="file_type_not_accepted")

    assert ".exe" in err
    assert "pdf" in err
    assert state(milepost) == "planned"


def test_an_eleventh_file_is_refused(milepost, acme, database_url, tmp_path):
    ten = []
    for n in range(10):
        (tmp_path / f"page-{n}.pdf").write_bytes(f"%PDF page {n}".encode())
        ten.append(str(tmp_path / f"page-{n}.pdf"))
    assert milepost("milestone", "submit", "ACME-WEB", "1", "--evidence", *ten).code == 0
    (tmp_path / "one-more.pdf").write_bytes(b"%PDF one more")

    err = refused(milepost, database_url, str(tmp_path / "one-more.pdf"), rule="too_many_files",
                  action="accept")

    assert "at most 10 files" in err
    assert state(milepost) == "submitted"  # the acceptance was not recorded either
    assert stored(database_url) == (10, 0)


def test_a_file_given_again_replaces_and_does_not_count_twice(milepost, acme, database_url, tmp_path):
    ten = []
    for n in range(10):
        (tmp_path / f"page-{n}.pdf").write_bytes(f"%PDF page {n}".encode())
        ten.append(str(tmp_path / f"page-{n}.pdf"))
    assert milepost("milestone", "submit", "ACME-WEB", "1", "--evidence", *ten).code == 0
    assert milepost("milestone", "accept", "ACME-WEB", "1", "--evidence", ten[0]).code == 0


def test_a_configured_evidence_root_is_where_files_are_read(milepost, acme, database_url, tmp_path_factory,
                                                           monkeypatch):
    root = tmp_path_factory.mktemp("evidence-root")
    (root / "handover.pdf").write_bytes(b"%PDF handover")
    monkeypatch.setenv("MILEPOST_APP__EVIDENCE_ROOT", str(root))

    assert milepost("milestone", "submit", "ACME-WEB", "1", "--evidence", str(root / "handover.pdf")).code == 0
    assert stored(database_url) == (1, 0)


def test_the_size_cap_is_configurable(milepost, acme, database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("MILEPOST_APP__EVIDENCE_MAX_MB", "1")
    scan = tmp_path / "scan.pdf"
    with scan.open("wb") as handle:
        handle.truncate(2 * MB)

    err = refused(milepost, database_url, str(scan), rule="file_too_large")

    assert "1 MB" in err


def test_progress_evidence_is_checked_too(milepost, database_url, tmp_path):
    from .test_progress_and_monthly import PROGRESS

    import_with_evidence(milepost, tmp_path, PROGRESS, "build-log.pdf", b"%PDF build log")
    result = milepost("milestone", "progress", "ACME-WEB", "3", "--percent", "25",
                      "--evidence", "/proc/self/environ")
    assert result.code == 1
    assert "[outside_evidence_root]" in result.err
    assert stored(database_url) == (0, 0)
