"""Evidence files: checked when recorded, kept in the store, attached by the outbox.

`milepost milestone submit|accept ... --evidence FILE` (and `progress`) keep each file's bytes
in the `evidence` table beside its name and fingerprint; a name given without a file (the
portal's and the API's evidence list) has no content and is not attached. The invoice for a
milestone carries every file recorded for it; a monthly invoice carries the files of every
milestone it bills. One file name is attached once: a file given again replaces the older one.

A file is read only when it passes `check_file` (an `EvidencePolicy`): a regular file under the
evidence root (the working folder unless `[app] evidence_root` says otherwise), resolved first
so a symbolic link leading outside, /proc, /dev or a FIFO is refused without being read; no
larger than the cap; of a type the linked platform accepts (`mappings.attachments`); and at
most the platform's number of files per milestone. A refusal is an `EvidenceRefused` naming
the file, the rule and what to do, raised before anything is written, so a file the books would
refuse fails the submit and never the invoice later. Reading is bounded by the cap, and the
outbox loads one file's bytes at a time, as it uploads it (`EvidenceFile.load`).

A file sent to the API (multipart) is an `Upload`: it has no place on disk to check, so its
name is checked instead (`bad_file_name`: empty, `.` or `..`, a `/` or `\\`, a control
character, over 500 characters), then the same type, size and count rules as a file on disk.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import re
import stat
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mappings.attachments import MB, AttachmentRules, rules_for, type_problem

from .errors import StoreError
from .models import EvidenceRow, MilestoneRow, ProjectRow

MAX_NAME = 500  # evidence.name
_BAD_NAME = re.compile("[/\\\\\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

# Never evidence, whatever the root: the kernel's and the devices' pseudo-files.
FORBIDDEN_TREES = (Path("/proc"), Path("/sys"), Path("/dev"))


class EvidenceRefused(StoreError):
    """An evidence file that cannot be recorded; `field`, `rule` and `message` say why."""

    def __init__(self, field: str, rule: str, message: str) -> None:
        super().__init__(f"{field}: {message} [{rule}]")
        self.field, self.rule, self.message = field, rule, message


@dataclass(frozen=True)
class EvidencePolicy:
    """Where evidence may be read from and what the books will take."""

    root: Path
    rules: AttachmentRules

    @classmethod
    def build(cls, root: str | os.PathLike[str] = "", max_mb: int = 10,
              platforms: Sequence[str] = ()) -> EvidencePolicy:
        """The policy for the working folder (or `root`), a cap in MB and the linked platforms
        (none known: every platform's rules at once)."""
        return cls(Path(root or os.getcwd()), rules_for(platforms, max_mb * MB))


@dataclass(frozen=True)
class CheckedFile:
    name: str
    content: bytes = field(repr=False)
    sha256: str
    content_type: str


@dataclass(frozen=True)
class EvidenceFile:
    """A stored file as the outbox attaches it; `load()` reads its bytes when they are sent."""

    filename: str
    content_type: str
    load: Callable[[], bytes] = field(repr=False)

    @property
    def content(self) -> bytes:
        return self.load()


def content_type_for(filename: str) -> str:
    """The MIME type the books should show the file as (both platforms ask for one)."""
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


def _inside(path: Path, root: Path) -> bool:
    return path == root or path.is_relative_to(root)


def check_file(path: Path, policy: EvidencePolicy, where: str = "evidence") -> CheckedFile:
    """The file's checked contents, or EvidenceRefused (nothing read when the path is refused)."""
    return read_file(inspect_file(path, policy, where), policy, where)


def inspect_file(path: Path, policy: EvidencePolicy, where: str = "evidence") -> Path:
    """Every check that needs no reading (place, kind, type, size): the path, or EvidenceRefused."""
    root = Path(os.path.realpath(policy.root))
    resolved = Path(os.path.realpath(path))
    if any(_inside(resolved, tree) for tree in FORBIDDEN_TREES) or not _inside(resolved, root):
        raise EvidenceRefused(where, "outside_evidence_root",
                              f"{str(path)!r} is not under the evidence folder {str(root)!r} "
                              "(set [app] evidence_root to allow another folder)")
    try:
        info = os.stat(resolved)
    except FileNotFoundError:
        raise EvidenceRefused(where, "no_such_file", f"no such file {str(path)!r}") from None
    if not stat.S_ISREG(info.st_mode):
        raise EvidenceRefused(where, "not_regular_file",
                              f"{str(path)!r} is not a regular file (a folder, device, FIFO or socket)")
    problem = type_problem(path.name, policy.rules)
    if problem:
        raise EvidenceRefused(where, "file_type_not_accepted", f"{path.name}: {problem}")
    if info.st_size > policy.rules.max_bytes:
        raise _too_large(path, policy, where)
    return path


def read_file(path: Path, policy: EvidencePolicy, where: str = "evidence") -> CheckedFile:
    """The bytes of an inspected file, read without following a link swapped in since, and at
    most the cap (a file that grew past it is refused)."""
    cap = policy.rules.max_bytes
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(os.path.realpath(path), flags)
    except OSError as error:
        raise EvidenceRefused(where, "unreadable", f"cannot read {str(path)!r}: {error.strerror}") from None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):  # swapped after the check
            raise EvidenceRefused(where, "not_regular_file", f"{str(path)!r} is not a regular file")
        content = handle.read(cap + 1)
    if len(content) > cap:
        raise _too_large(path, policy, where)
    return CheckedFile(path.name, content, hashlib.sha256(content).hexdigest(),
                       content_type_for(path.name))


def _too_large(path: Path, policy: EvidencePolicy, where: str) -> EvidenceRefused:
    return EvidenceRefused(where, "file_too_large",
                           f"{path.name} is larger than {policy.rules.max_bytes / MB:g} MB, the "
                           f"most {policy.rules.describe()} accepts per file")


@dataclass(frozen=True)
class Upload:
    """A file received over HTTP: the name it was sent under, its size, and a reader of at
    most n of its bytes (called once, when it is stored)."""

    name: str
    size: int
    read: Callable[[int], bytes] = field(repr=False)


def inspect_upload(upload: Upload, policy: EvidencePolicy, where: str = "evidence") -> Upload:
    """Every check of a received file but its bytes (name, type, size): it, or EvidenceRefused."""
    name = upload.name
    if not name or name in (".", "..") or len(name) > MAX_NAME or _BAD_NAME.search(name):
        raise EvidenceRefused(where, "bad_file_name",
                              f"a file name of 1-{MAX_NAME} characters without '/', '\\' or "
                              f"control characters, not '.' or '..'; got {name[:40]!r}")
    problem = type_problem(name, policy.rules)
    if problem:
        raise EvidenceRefused(where, "file_type_not_accepted", f"{name}: {problem}")
    if upload.size > policy.rules.max_bytes:
        raise _too_large(Path(name), policy, where)
    return upload


def read_upload(upload: Upload, policy: EvidencePolicy, where: str = "evidence") -> CheckedFile:
    """The bytes of an inspected upload, at most the cap (one that was larger is refused)."""
    content = upload.read(policy.rules.max_bytes + 1)
    if len(content) > policy.rules.max_bytes:
        raise _too_large(Path(upload.name), policy, where)
    return CheckedFile(upload.name, content, hashlib.sha256(content).hexdigest(),
                       content_type_for(upload.name))


def stored_names(session: Session, milestone_id: int) -> set[str]:
    """The names of the files already recorded (with content) for a milestone."""
    return set(session.scalars(
        select(EvidenceRow.name).where(EvidenceRow.milestone_id == milestone_id,
                                       EvidenceRow.content.is_not(None))))


def check_count(existing: set[str], new: Sequence[str], rules: AttachmentRules) -> None:
    """At most `rules.max_files` distinct files per milestone (a name given again replaces)."""
    total = existing | set(new)
    if len(total) > rules.max_files:
        raise EvidenceRefused(
            "evidence", "too_many_files",
            f"a milestone carries at most {rules.max_files} files to {rules.describe()}; it has "
            f"{len(existing)} and {len(set(new) - existing)} more were given")


class StoredFiles:
    """The stored files of several projects' milestones, named in one query (`read`); `files`
    gives those of some milestones of one project, oldest first, one per file name (the latest)."""

    def __init__(self, rows: Sequence[tuple[str, int, int, str, str | None]],
                 sessions: sessionmaker[Session]) -> None:
        self._rows, self._sessions = rows, sessions  # (project key, seq, id, name, type), by id

    @classmethod
    def read(cls, session: Session, project_keys: Collection[str], sessions: sessionmaker[Session]) -> StoredFiles:
        """Names and ids only; each file's bytes are read by its `load()` through `sessions`."""
        if not project_keys:
            return cls([], sessions)
        rows = session.execute(
            select(ProjectRow.key, MilestoneRow.seq, EvidenceRow.id, EvidenceRow.name, EvidenceRow.content_type)
            .join(MilestoneRow, MilestoneRow.id == EvidenceRow.milestone_id)
            .join(ProjectRow, ProjectRow.id == MilestoneRow.project_id)
            .where(ProjectRow.key.in_(sorted(project_keys)), EvidenceRow.content.is_not(None))
            .order_by(EvidenceRow.id)
        ).all()
        return cls([tuple(row) for row in rows], sessions)  # type: ignore[misc]

    def files(self, project_key: str, seqs: Sequence[int]) -> list[EvidenceFile]:
        wanted = set(seqs)
        latest: dict[str, EvidenceFile] = {}
        for key, seq, row_id, name, content_type in self._rows:
            if key == project_key and seq in wanted:
                latest.pop(name, None)  # a name given again: the latest file, in its place
                latest[name] = EvidenceFile(name, content_type or content_type_for(name),
                                            _loader(self._sessions, row_id))
        return list(latest.values())


def _loader(sessions: sessionmaker[Session], row_id: int) -> Callable[[], bytes]:
    """A file's bytes, read in a session of its own when the file is sent."""
    def load() -> bytes:
        with sessions() as own:
            return own.scalar(select(EvidenceRow.content).where(EvidenceRow.id == row_id)) or b""

    return load


@dataclass(frozen=True)
class StoredEvidence:
    """One recorded file of a milestone, as the portal lists it (bytes read only on download)."""

    id: int
    name: str
    size: int | None
    content_type: str
    has_content: bool


def milestone_evidence(session: Session, project_key: str, seq: int) -> list[StoredEvidence]:
    """What was recorded for the milestone, oldest first: files (with bytes) and bare names."""
    rows = session.execute(
        select(EvidenceRow.id, EvidenceRow.name, EvidenceRow.size, EvidenceRow.content_type,
               EvidenceRow.content.is_not(None))
        .join(MilestoneRow, MilestoneRow.id == EvidenceRow.milestone_id)
        .join(ProjectRow, ProjectRow.id == MilestoneRow.project_id)
        .where(ProjectRow.key == project_key, MilestoneRow.seq == seq)
        .order_by(EvidenceRow.id)
    ).all()
    return [StoredEvidence(row_id, name, size, content_type or content_type_for(name), bool(has))
            for row_id, name, size, content_type, has in rows]


def evidence_content(session: Session, project_key: str, seq: int, evidence_id: int) -> tuple[StoredEvidence, bytes] | None:
    """The file `evidence_id` when it belongs to that project's milestone and has bytes; None
    otherwise (a link naming another milestone's file reads nothing)."""
    found = [e for e in milestone_evidence(session, project_key, seq) if e.id == evidence_id and e.has_content]
    if not found:
        return None
    content = session.scalar(select(EvidenceRow.content).where(EvidenceRow.id == evidence_id))
    return found[0], content or b""
