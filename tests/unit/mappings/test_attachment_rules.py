"""The platforms' attachment limits, kept in one place (mappings.attachments) for the evidence
checks, the gateways and the sandbox."""

from __future__ import annotations

from mappings.attachments import MB, file_upload_allowed, rules_for, type_problem


def test_a_project_linked_to_xero_may_send_a_zip_but_not_one_linked_to_quickbooks() -> None:
    # Xero's list has zip (Xero developer community, "Files in Xero"); QuickBooks' does not
    # (Codat's QuickBooks Online attachment table; see mappings/attachments.py).
    assert type_problem("designs.zip", rules_for(["xero"], 10 * MB)) is None
    assert "QuickBooks" in (type_problem("designs.zip", rules_for(["quickbooks"], 10 * MB)) or "")


def test_with_no_platform_known_a_file_must_suit_both() -> None:
    rules = rules_for([], 10 * MB)
    assert type_problem("scope.PDF", rules) is None  # the extension is read case-blind
    assert type_problem("designs.zip", rules) is not None
    assert type_problem("notes.xml", rules) is not None  # QuickBooks only


def test_the_size_cap_is_the_lowest_of_milepost_and_the_platform() -> None:
    assert rules_for(["quickbooks"], 10 * MB).max_bytes == 10 * MB
    assert rules_for(["quickbooks"], 200 * MB).max_bytes == 100 * MB
    assert rules_for(["xero"], 200 * MB).max_bytes == 10 * MB
    assert rules_for(["xero"], 200 * MB).max_files == 10


def test_what_a_platform_refuses_on_upload() -> None:
    assert file_upload_allowed("scan.pdf", 10 * MB, "xero") is None
    assert "10 MB" in (file_upload_allowed("scan.pdf", 10 * MB + 1, "xero") or "")
    assert file_upload_allowed("scan.pdf", 40 * MB, "quickbooks") is None
    assert ".exe" in (file_upload_allowed("setup.exe", 10, "quickbooks") or "")
    assert "without an extension" in (file_upload_allowed("README", 10, "xero") or "")
