"""Evidence files as the outbox attaches them to a platform invoice.

`milepost milestone submit|accept ... --evidence FILE` (and `progress`) keep each file's bytes
in the `evidence` table beside its name and fingerprint; a name given without a file (the
portal's and the API's evidence list) has no content and is not attached. The invoice for a
milestone carries every file recorded for it; a monthly invoice carries the files of every
milestone it bills. One file name is attached once: a file given again replaces the older one.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import EvidenceRow, MilestoneRow, ProjectRow


@dataclass(frozen=True)
class EvidenceFile:
    filename: str
    content: bytes = field(repr=False)
    content_type: str


def content_type_for(filename: str) -> str:
    """The MIME type the books should show the file as (both platforms ask for one)."""
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


def evidence_files(session: Session, project_key: str, seqs: Sequence[int]) -> list[EvidenceFile]:
    """The stored files of these milestones, oldest first, one per file name (the latest)."""
    if not seqs:
        return []
    rows = session.execute(
        select(EvidenceRow.name, EvidenceRow.content, EvidenceRow.content_type)
        .join(MilestoneRow, MilestoneRow.id == EvidenceRow.milestone_id)
        .join(ProjectRow, ProjectRow.id == MilestoneRow.project_id)
        .where(ProjectRow.key == project_key, MilestoneRow.seq.in_(list(seqs)),
               EvidenceRow.content.is_not(None))
        .order_by(EvidenceRow.id)
    ).all()
    latest: dict[str, EvidenceFile] = {}
    for name, content, content_type in rows:
        latest.pop(name, None)
        latest[name] = EvidenceFile(name, content or b"", content_type or content_type_for(name))
    return list(latest.values())
