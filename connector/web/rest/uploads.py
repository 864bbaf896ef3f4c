"""A milestone step sent as multipart/form-data: its fields, and the evidence files themselves.

The fields are the JSON body's (`by`, `at`, `reason`, `percent`, `amount`), read by the same
model; each `evidence` part is a file, checked by the store as the CLI's `--evidence` files
are (name, type, size, count; `connector.store.evidence`). The request may be as large as the
files allowed ([app] evidence_max_mb each, 10 of them) and no larger: beyond that it is 413.
"""

from __future__ import annotations

from typing import IO, Any

from flask import request
from werkzeug.datastructures import FileStorage

from connector.config import Settings
from connector.store.evidence import Upload
from mappings.attachments import MAX_FILES_PER_MILESTONE, MB

from .bodies import DecisionForm
from .problems import Problem, problem

FIELDS = tuple(name for name in DecisionForm.model_fields if name != "evidence")


def allow_files(settings: Settings) -> None:
    """Let this request carry the evidence it may (the app's own cap is for JSON bodies)."""
    request.max_content_length = settings.app.evidence_max_mb * MB * MAX_FILES_PER_MILESTONE + MB


def _upload(part: FileStorage) -> Upload:
    stream: IO[bytes] = part.stream
    stream.seek(0, 2)
    size = stream.tell()

    def read(most: int) -> bytes:
        stream.seek(0)
        return stream.read(most)

    return Upload(part.filename or "", size, read)


def form_step() -> tuple[dict[str, Any], list[Upload], list[Problem]]:
    """The step's fields as the JSON body would give them, its files, and any problem with the
    form's parts (an unknown part, a field given twice, a file where a field belongs)."""
    found: list[Problem] = []
    fields: dict[str, Any] = {}
    for name, values in request.form.to_dict(flat=False).items():
        if name == "evidence":
            found.append(problem("evidence", "not_file", "evidence: send each file as a file part"))
        elif len(values) > 1:
            found.append(problem(name[:40], "repeated", f"{name[:40]}: give it once"))
        elif values[0] != "":  # a form's empty field is a field not given
            fields[name] = values[0]
    uploads: list[Upload] = []
    for name, parts in request.files.to_dict(flat=False).items():
        if name != "evidence":
            where = "evidence" if name.startswith("evidence") else name[:40]
            found.append(problem(where, "unknown_field", f"{name[:40]!r}: files go in `evidence` parts"))
            continue
        uploads.extend(_upload(part) for part in parts)
    if len(uploads) > MAX_FILES_PER_MILESTONE:
        found.append(problem("evidence", "too_many_files",
                             f"evidence: at most {MAX_FILES_PER_MILESTONE} files per milestone"))
    return fields, uploads, found
