"""The document store: every ingested original, kept with its checksum, and a journal of what was done with it.

Layout of ``STORE_DIR``::

    objects/ab/ab12…    each original once, named by its sha256 (read back and checked on rebuild)
    journal.jsonl       one event a line (ASCII JSON, fsynced): ``build`` / ``add`` (the files of one
                        ingest, with original name, source, size, time and the doc_ids produced),
                        ``remove`` (doc_ids), ``update`` (documents' new metadata) and ``void``
                        (events that never reached a published index)
    .writer.lock        the cross-process writer lock (see ``writer.py``)

Replaying the journal from the last ``build`` (skipping voided events) says which originals, ingested in
which order, make up the index; ``python -m indexer rebuild`` does exactly that. The store is independent
of the index backend. Writes happen only with the writer lock held.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePath
from typing import Any

from indexer.backends.base import BackendUnavailable
from indexer.backends.durable import fsync_path, sha256_of

JOURNAL = "journal.jsonl"
OPS = ("build", "add", "remove", "update", "void")


class StoreError(BackendUnavailable):
    """The store is damaged or cannot be written; the message names the file."""


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    name: str  # the original file name (ids derive from it)
    source: str  # what the index shows as the document's source
    size: int


@dataclass
class StoreEvent:
    seq: int
    op: str
    at: str
    origin: str = ""  # corpus | cli | upload | rebuild | rollback
    files: list[StoredFile] = field(default_factory=list)
    doc_ids: list[str] = field(default_factory=list)
    documents: list[dict[str, Any]] = field(default_factory=list)  # ``update``: new metadata (text left out)
    voids: list[int] = field(default_factory=list)
    reason: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=True, sort_keys=True)

    @classmethod
    def from_json(cls, line: str) -> StoreEvent:
        raw = json.loads(line)
        if not isinstance(raw, dict) or raw.get("op") not in OPS or not isinstance(raw.get("seq"), int):
            raise ValueError("not a store event")
        raw["files"] = [StoredFile(**f) for f in raw.get("files", [])]
        return cls(**raw)


class DocumentStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @property
    def lock_path(self) -> Path:
        return self.root / ".writer.lock"

    def ensure(self) -> None:
        (self.root / "objects").mkdir(parents=True, exist_ok=True)

    # ---- reading ----------------------------------------------------------------
    def events(self) -> list[StoreEvent]:
        """Every event in order. A torn last line (a writer killed mid-append) is ignored."""
        path = self.root / JOURNAL
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise StoreError(f"{path}: cannot read: {exc.strerror or exc}") from None
        lines = data.split(b"\n")
        events = []
        for number, line in enumerate(lines[:-1], start=1):  # the part after the last newline is torn or empty
            if not line.strip():
                continue
            try:
                events.append(StoreEvent.from_json(line.decode("ascii")))
            except (ValueError, TypeError, UnicodeDecodeError) as exc:
                raise StoreError(f"{path}:{number}: damaged journal line ({exc})") from None
        return events

    def head(self) -> int:
        events = self.events()
        return events[-1].seq if events else 0

    def plan(self, upto: int | None = None) -> list[StoreEvent]:
        """The events that make up the index (up to seq ``upto``): from the last build on, voided ones left out."""
        events = [e for e in self.events() if upto is None or e.seq <= upto]
        voided = {s for e in events if e.op == "void" for s in e.voids}
        live = [e for e in events if e.op != "void" and e.seq not in voided]
        starts = [i for i, e in enumerate(live) if e.op == "build"]
        return live[starts[-1]:] if starts else live

    def live_after(self, seq: int) -> list[int]:
        """Sequence numbers of events after ``seq`` that are not voided."""
        events = self.events()
        voided = {s for e in events if e.op == "void" for s in e.voids}
        return [e.seq for e in events if e.seq > seq and e.op != "void" and e.seq not in voided]

    def object_path(self, sha256: str) -> Path:
        return self.root / "objects" / sha256[:2] / sha256

    def verify(self) -> list[str]:
        """Problems with the originals the current plan needs (missing or checksum mismatch)."""
        problems = []
        for event in self.plan():
            for stored in event.files:
                path = self.object_path(stored.sha256)
                if not path.is_file():
                    problems.append(f"{path}: missing (original {stored.name})")
                elif sha256_of(path) != stored.sha256:
                    problems.append(f"{path}: damaged, checksum mismatch (original {stored.name})")
        return problems

    def materialize_files(self, files: list[StoredFile], folder: Path) -> list[tuple[Path, StoredFile]]:
        """Copies of originals, checksums checked, named by position and suffix (the ingest shows ``source``)."""
        out = []
        folder.mkdir(parents=True, exist_ok=True)
        for n, stored in enumerate(files):
            source = self.object_path(stored.sha256)
            target = folder / f"{n:04d}{PurePath(stored.name).suffix.lower()}"
            try:
                shutil.copyfile(source, target)
            except OSError as exc:
                raise StoreError(f"{source}: cannot read original {stored.name}: {exc.strerror or exc}") from None
            if sha256_of(target) != stored.sha256:
                raise StoreError(f"{source}: original {stored.name} is damaged (checksum mismatch)")
            out.append((target, stored))
        return out

    # ---- writing (writer lock held) -------------------------------------------------
    def put(self, path: Path, source: str) -> StoredFile:
        """Copy one original in (once per content), fsynced before it is referenced."""
        self.ensure()
        digest = hashlib.sha256()
        with open(path, "rb") as fh, tempfile.NamedTemporaryFile(dir=self.root / "objects", delete=False) as tmp:
            try:
                while block := fh.read(1 << 20):
                    digest.update(block)
                    tmp.write(block)
                tmp.flush()
                os.fsync(tmp.fileno())
            except BaseException:
                os.unlink(tmp.name)
                raise
        sha = digest.hexdigest()
        target = self.object_path(sha)
        if target.is_file() and sha256_of(target) == sha:
            os.unlink(tmp.name)
        else:
            target.parent.mkdir(exist_ok=True)
            os.replace(tmp.name, target)
            fsync_path(target.parent)
        name = PurePath(source).name or Path(path).name
        return StoredFile(sha256=sha, name=name, source=source, size=target.stat().st_size)

    def append(self, op: str, **fields: Any) -> StoreEvent:
        """Append one event (fsynced) and return it with its sequence number."""
        self.ensure()
        path = self.root / JOURNAL
        data = path.read_bytes() if path.exists() else b""
        if data and not data.endswith(b"\n"):  # drop a torn last line left by a killed writer
            with open(path, "r+b") as fh:
                fh.truncate(data.rfind(b"\n") + 1)
        event = StoreEvent(seq=self.head() + 1, op=op, at=time.strftime("%Y-%m-%dT%H:%M:%S%z"), **fields)
        with open(path, "a", encoding="ascii") as fh:
            fh.write(event.to_json() + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        fsync_path(self.root)
        return event

    def void(self, seqs: list[int], reason: str) -> StoreEvent | None:
        return self.append("void", voids=sorted(seqs), reason=reason) if seqs else None
