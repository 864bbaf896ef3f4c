"""What each platform accepts as a file attached to an invoice: one place for the limits.

Milepost checks evidence against these when it is recorded (`milepost milestone submit ...
--evidence FILE`), so a file the linked books would refuse fails the submit with a message
naming the file and the rule, never the draft invoice afterwards (where it would fail on every
retry). The gateways attach only files that passed, and the sandbox refuses what the real
services refuse by reading the same table.

Sources (the platforms' own pages were not all at hand; where a figure comes from an
integrator's table, it is named):
- Xero: "you can attach up to 10 files per document" and the types bmp, csv, doc, docx, gif,
  jpeg, jpg, odf, pdf, png, ppt, pptx, rar, rtf, tif, tiff, txt, xls, xlsx, zip (Xero developer
  community, the "Files in Xero" API release note); 10 MB per file and the later additions 7z,
  eml, keynote, msg, numbers, ods, odt, pages (Codat's and Workato's Xero attachment tables; a
  40 MB file is refused, issue 9).
- QuickBooks Online: 100 MB per file; ai, csv, doc, docx, eps, gif, jpeg, jpg, ods, pdf, png,
  rtf, tif, txt, xls, xlsx, xml (Intuit's Attachable reference, as transcribed in Intuit's own
  intuit/quickbooks-online-mcp-server, src/helpers/attachable-mime.ts; Codat's table adds
  "pages", which Intuit does not list, so it is left out and the sandbox refuses it too;
  QuickBooks accepts listed types only, issue 9; uploads go through Intuit's /upload).
  QuickBooks states no per-invoice count, so Milepost's own cap of 10 files per milestone
  applies.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePath

MB = 1024 * 1024
MAX_FILES_PER_MILESTONE = 10


@dataclass(frozen=True)
class AttachmentRules:
    """Which files a document may carry: a size cap, a count cap and the allowed extensions."""

    max_bytes: int
    max_files: int
    extensions: frozenset[str]
    platforms: tuple[str, ...] = ()

    def describe(self) -> str:
        return " and ".join(p.title() if p != "quickbooks" else "QuickBooks" for p in self.platforms) or "Milepost"


PLATFORM_RULES: dict[str, AttachmentRules] = {
    "xero": AttachmentRules(
        max_bytes=10 * MB,
        max_files=10,
        extensions=frozenset({
            "7z", "bmp", "csv", "doc", "docx", "eml", "gif", "jpeg", "jpg", "keynote", "msg",
            "numbers", "odf", "ods", "odt", "pages", "pdf", "png", "ppt", "pptx", "rar", "rtf",
            "tif", "tiff", "txt", "xls", "xlsx", "zip",
        }),
        platforms=("xero",),
    ),
    "quickbooks": AttachmentRules(
        max_bytes=100 * MB,
        max_files=MAX_FILES_PER_MILESTONE,
        extensions=frozenset({
            "ai", "csv", "doc", "docx", "eps", "gif", "jpeg", "jpg", "ods", "pdf", "png", "rtf",
            "tif", "txt", "xls", "xlsx", "xml",
        }),
        platforms=("quickbooks",),
    ),
}


def extension(filename: str) -> str:
    """The file's type as the platforms judge it: its last suffix, lower case, without the dot."""
    return PurePath(filename).suffix.lower().lstrip(".")


def rules_for(platforms: Iterable[str], max_bytes: int) -> AttachmentRules:
    """The rules a file must meet to be accepted by every one of `platforms` (all of them when
    none is known yet: a project not linked may still bill through either), under Milepost's
    own size cap `max_bytes`."""
    chosen = [PLATFORM_RULES[p] for p in dict.fromkeys(platforms) if p in PLATFORM_RULES]
    if not chosen:
        chosen = list(PLATFORM_RULES.values())
    extensions = frozenset.intersection(*(r.extensions for r in chosen))
    return AttachmentRules(
        max_bytes=min([max_bytes, *(r.max_bytes for r in chosen)]),
        max_files=min([MAX_FILES_PER_MILESTONE, *(r.max_files for r in chosen)]),
        extensions=extensions,
        platforms=tuple(p for r in chosen for p in r.platforms),
    )


def type_problem(filename: str, rules: AttachmentRules) -> str | None:
    """Why the platform(s) would refuse this file's type, or None."""
    ext = extension(filename)
    if ext in rules.extensions:
        return None
    allowed = ", ".join(sorted(rules.extensions))
    kind = f".{ext} files" if ext else "files without an extension"
    return f"{rules.describe()} does not accept {kind} as attachments; allowed: {allowed}"


def file_upload_allowed(filename: str, size: int, platform: str) -> str | None:
    """For a platform (or its stand-in) receiving one upload: why it refuses it, or None."""
    rules = PLATFORM_RULES[platform]
    if size > rules.max_bytes:
        return f"the file is larger than {rules.max_bytes // MB} MB"
    return type_problem(filename, rules)
