"""The question log and answer feedback, in one SQLite file (stdlib ``sqlite3``).

Every answer is logged with its id, the question as asked and as completed, the
answer, its citations, confidence, the index version and the time; the caller
only when the service was told who it is (``LOG_USERS``). Feedback rows point at
an answer id. Rows older than ``LOG_RETENTION_DAYS`` are purged on start and
then at most once an hour.

Writes go through one connection kept open, one thread at a time, in WAL mode with
``synchronous=NORMAL``: an answer's row costs ~0.1 ms instead of ~25 ms (a new connection
and a full sync per answer made the log the ceiling of ``/v1/ask`` throughput, ~40 answers/s,
under many clients). A row survives the service crashing; a power cut may lose the last
rows. Reads open their own connection.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    answer_id TEXT PRIMARY KEY,
    created REAL NOT NULL,
    question TEXT NOT NULL,
    completed TEXT NOT NULL,
    answer TEXT NOT NULL,
    answerable INTEGER NOT NULL,
    confidence REAL NOT NULL,
    citations TEXT NOT NULL,
    index_version TEXT NOT NULL,
    caller TEXT
);
CREATE INDEX IF NOT EXISTS answers_created ON answers(created);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    answer_id TEXT NOT NULL,
    created REAL NOT NULL,
    rating TEXT NOT NULL,
    reason TEXT NOT NULL,
    comment TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS feedback_created ON feedback(created);
"""
PURGE_EVERY_S = 3600.0


@dataclass
class LoggedAnswer:
    question: str
    completed: str
    answer: str
    answerable: bool
    confidence: float
    citations: list[dict[str, Any]]
    index_version: str
    caller: str | None = None
    answer_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    created: float = field(default_factory=time.time)


class QuestionLog:
    def __init__(self, path: Path, retention_days: int) -> None:
        if retention_days < 1:
            raise ValueError(f"retention_days must be at least 1, got {retention_days!r}")
        self.path = Path(path)
        self.retention_s = retention_days * 86400.0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._last_purge = 0.0
        self._writer: sqlite3.Connection | None = None  # opened on first write, used under _lock
        with self._writing() as db:
            db.executescript(_SCHEMA)
        self.purge()

    def _open_writer(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=10, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        return db

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """The writer connection, for one transaction, one thread at a time."""
        with self._lock:
            if self._writer is None:
                self._writer = self._open_writer()
            with self._writer:
                yield self._writer

    def close(self) -> None:
        """Close the writer (at shutdown): SQLite folds the write-ahead log into the file and removes it.
        A later write opens a new writer."""
        with self._lock:
            if self._writer is not None:
                self._writer.close()
                self._writer = None

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=10)
        db.row_factory = sqlite3.Row
        try:
            with db:
                yield db
        finally:
            db.close()

    def purge(self, now: float | None = None) -> int:
        """Delete rows older than the retention period; returns how many answers went."""
        now = time.time() if now is None else now
        cutoff = now - self.retention_s
        with self._writing() as db:
            gone = db.execute("DELETE FROM answers WHERE created < ?", (cutoff,)).rowcount
            db.execute("DELETE FROM feedback WHERE created < ?", (cutoff,))
        self._last_purge = now
        return gone

    def _maybe_purge(self) -> None:
        if time.time() - self._last_purge > PURGE_EVERY_S:
            self.purge()

    def log_answer(self, entry: LoggedAnswer) -> str:
        self._maybe_purge()
        with self._writing() as db:
            db.execute(
                "INSERT INTO answers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (entry.answer_id, entry.created, entry.question, entry.completed, entry.answer,
                 int(entry.answerable), entry.confidence, json.dumps(entry.citations, ensure_ascii=False),
                 entry.index_version, entry.caller),
            )
        return entry.answer_id

    def has_answer(self, answer_id: str) -> bool:
        with self._connect() as db:
            return db.execute("SELECT 1 FROM answers WHERE answer_id = ?", (answer_id,)).fetchone() is not None

    def add_feedback(self, answer_id: str, rating: str, reason: str, comment: str) -> int:
        with self._writing() as db:
            cursor = db.execute(
                "INSERT INTO feedback (answer_id, created, rating, reason, comment) VALUES (?, ?, ?, ?, ?)",
                (answer_id, time.time(), rating, reason, comment),
            )
            return int(cursor.lastrowid or 0)

    def feedback(self, rating: str | None = None, reason: str | None = None, since: float | None = None,
                 limit: int = 200) -> list[dict[str, Any]]:
        """Feedback, newest first, with the question and answer it is about."""
        where, args = ["1 = 1"], []
        if rating:
            where.append("f.rating = ?")
            args.append(rating)
        if reason:
            where.append("f.reason = ?")
            args.append(reason)
        if since is not None:
            where.append("f.created >= ?")
            args.append(since)
        sql = (
            "SELECT f.id, f.answer_id, f.created, f.rating, f.reason, f.comment, a.question, a.completed, a.answer,"
            " a.answerable, a.confidence, a.citations FROM feedback f LEFT JOIN answers a USING (answer_id)"
            f" WHERE {' AND '.join(where)} ORDER BY f.created DESC, f.id DESC LIMIT ?"
        )
        with self._connect() as db:
            rows = db.execute(sql, (*args, limit)).fetchall()
        return [_row(r) for r in rows]

    def unanswered(self, limit: int = 500) -> list[dict[str, Any]]:
        """Answers marked not found, newest first."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT answer_id, created, question, completed, confidence FROM answers WHERE answerable = 0"
                " ORDER BY created DESC LIMIT ?", (limit,),
            ).fetchall()
        return [dict(r) for r in rows]

    def count_answers(self) -> int:
        with self._connect() as db:
            return int(db.execute("SELECT COUNT(*) FROM answers").fetchone()[0])


def _row(row: sqlite3.Row) -> dict[str, Any]:
    out = dict(row)
    out["citations"] = json.loads(out["citations"]) if out.get("citations") else []
    if out.get("answerable") is not None:
        out["answerable"] = bool(out["answerable"])
    return out
