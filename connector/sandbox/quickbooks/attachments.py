"""Attachables (notes and files on transactions) and invoice PDFs.

python-quickbooks uploads a file as a hand-built multipart body with ``\\n`` line ends and a
base64 part, to ``/upload``; QuickBooks answers ``{"AttachableResponse":[{"Attachable":...}]}``.
File bytes are kept beside the entity, and served back through ``TempDownloadUri``.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import datetime
from decimal import Decimal

from .books import Company
from .errors import QBOError, invalid_reference, required
from .records import READ_ONLY, clean, fetch

MAX_FILE_BYTES = 100 * 1024 * 1024  # "100 MB" read as MiB (README assumptions)
# Intuit's Attachable reference: the file types /upload takes, by extension, with the content
# types QuickBooks lists for each (image/jpg and image/tif as written there, the usual
# spellings beside them; application/rtf and application/xml are what mimetypes guesses).
CONTENT_TYPES: dict[str, frozenset[str]] = {
    "ai": frozenset({"application/postscript"}),
    "eps": frozenset({"application/postscript"}),
    "csv": frozenset({"text/csv"}),
    "doc": frozenset({"application/msword"}),
    "docx": frozenset({"application/vnd.openxmlformats-officedocument.wordprocessingml.document"}),
    "gif": frozenset({"image/gif"}),
    "jpeg": frozenset({"image/jpeg", "image/jpg"}),
    "jpg": frozenset({"image/jpeg", "image/jpg"}),
    "ods": frozenset({"application/vnd.oasis.opendocument.spreadsheet"}),
    "pdf": frozenset({"application/pdf"}),
    "png": frozenset({"image/png"}),
    "rtf": frozenset({"text/rtf", "application/rtf"}),
    "tif": frozenset({"image/tiff", "image/tif"}),
    "txt": frozenset({"text/plain"}),
    "xls": frozenset({"application/vnd.ms-excel"}),
    "xlsx": frozenset({"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}),
    "xml": frozenset({"text/xml", "application/xml"}),
}


def _unsupported(detail: str, element: str) -> QBOError:
    return QBOError(2010, "Request has invalid or unsupported property", detail, element=element)


def check_file(obj: dict, size: int) -> None:
    """Refuse a file QuickBooks would not keep: too big, or not one of its file types.

    An absent ContentType is taken from the extension, as the QuickBooks UI does."""
    name = str(obj.get("FileName") or "")
    extension = name.rpartition(".")[2].lower() if "." in name else ""
    allowed = CONTENT_TYPES.get(extension)
    if allowed is None:
        raise _unsupported(f"The file type of {name} is not supported. Supported file types: "
                           f"{', '.join(sorted(CONTENT_TYPES))}", "FileName")
    kind = str(obj.get("ContentType") or "").split(";")[0].strip().lower()
    if not kind:
        obj["ContentType"] = sorted(allowed)[0]
    elif kind not in allowed:
        raise _unsupported(f"ContentType {kind} is not supported for {name}; expected "
                           f"{' or '.join(sorted(allowed))}", "ContentType")
    if size > MAX_FILE_BYTES:
        raise _unsupported(f"{name} is {size:,} bytes; the limit is 100 MB per file", "Size")


def parse_multipart(body: bytes, content_type: str) -> dict[str, tuple[dict, bytes]]:
    """Parts by name: (headers, payload); lenient about CRLF vs LF as QuickBooks is."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if match is None:
        raise QBOError(2010, "Request has invalid or unsupported property", "missing boundary")
    parts: dict[str, tuple[dict, bytes]] = {}
    for chunk in body.split(b"--" + match.group(1).encode()):
        text = chunk.strip(b"\r\n")
        if not text or text == b"--":
            continue
        pieces = re.split(rb"\r?\n\r?\n", text, maxsplit=1)
        head, payload = (pieces[0], pieces[1]) if len(pieces) == 2 else (pieces[0], b"")
        headers = {}
        for line in head.decode("utf-8", "replace").splitlines():
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        name = re.search(r'name="([^"]+)"', headers.get("content-disposition", ""))
        if name:
            parts[name.group(1)] = (headers, payload.strip(b"\r\n"))
    return parts


def _check_refs(company: Company, obj: dict) -> None:
    for ref in obj.get("AttachableRef", []):
        entity_ref = ref.get("EntityRef") or {}
        entity, value = entity_ref.get("type", ""), str(entity_ref.get("value", ""))
        if company.get(entity, value) is None:
            raise invalid_reference(entity or "Entity", value)


def save_attachable(company: Company, body: dict, now: datetime, content: bytes | None,
                    files: dict[str, bytes], base_url: str) -> dict:
    obj = {k: v for k, v in clean(body).items() if k not in READ_ONLY}
    _check_refs(company, obj)
    if content is None and not obj.get("Note"):
        raise required("Note")
    if content is not None:
        if not obj.get("FileName"):
            raise required("FileName")
        check_file(obj, len(content))
    if body.get("Id") not in (None, "", 0, "0"):
        existing = fetch(company, "Attachable", body["Id"])
        obj = {**existing, **obj, "SyncToken": str(int(existing["SyncToken"]) + 1)}
    else:
        obj["Id"], obj["SyncToken"] = company.new_id(), "0"
    if content is not None:
        files[f"{company.realm_id}/{obj['Id']}"] = content
        obj["Size"] = len(content)
        obj["TempDownloadUri"] = f"{base_url}/quickbooks/download/{company.realm_id}/{obj['Id']}"
        obj["FileAccessUri"] = f"/v3/company/{company.realm_id}/download/{obj['Id']}"
    return company.put("Attachable", obj, now, created=obj["SyncToken"] == "0")


def upload(company: Company, raw: bytes, content_type: str, now: datetime,
           files: dict[str, bytes], base_url: str) -> dict:
    parts = parse_multipart(raw, content_type)
    meta = next((p for n, p in parts.items() if n.startswith("file_metadata")), None)
    content = next((p for n, p in parts.items() if n.startswith("file_content")), None)
    if meta is None or content is None:
        raise required("file_content_01")
    try:
        body = json.loads(meta[1], parse_float=Decimal)
    except ValueError:
        raise QBOError(2010, "Request has invalid or unsupported property",
                       "file_metadata_01 is not JSON") from None
    payload = content[1]
    if content[0].get("content-transfer-encoding", "").lower() == "base64":
        try:
            payload = base64.b64decode(b"".join(payload.split()), validate=True)
        except binascii.Error:
            raise QBOError(2010, "Request has invalid or unsupported property",
                           "file_content_01 is not valid base64") from None
    if not body.get("ContentType") and content[0].get("content-type", "") not in (
            "", "application/octet-stream"):
        body["ContentType"] = content[0]["content-type"]
    return save_attachable(company, body, now, payload, files, base_url)


def invoice_pdf(invoice: dict, company: Company) -> bytes:
    """A small but valid one-page PDF naming the invoice, its customer and its balance."""
    lines = [f"{company.name}", f"Invoice {invoice.get('DocNumber', invoice['Id'])}",
             f"Customer: {invoice['CustomerRef'].get('name', '')}",
             f"Date: {invoice.get('TxnDate', '')}  Due: {invoice.get('DueDate', '')}",
             f"Total: {invoice.get('TotalAmt')}  Balance due: {invoice.get('Balance')}"]
    text = "BT /F1 12 Tf 72 720 Td " + " 0 -18 Td ".join(
        "(" + line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ") Tj"
        for line in lines) + " ET"
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
               b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
               b"<< /Length %d >>\nstream\n" % len(text) + text.encode("latin-1", "replace")
               + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)
