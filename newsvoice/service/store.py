"""The job store: one SQLite file (WAL) under the data folder, so a restarted server sees
every queued, running and finished job, and worker processes claim jobs from it.

Each call opens its own short connection: the server's threads, its worker processes
and (farm) workers on other machines never share one. A claim is one IMMEDIATE
transaction, so two workers never take the same job.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
FINAL = frozenset({DONE, FAILED, CANCELLED})
PRIORITIES = ("breaking", "bulletin", "backfill")  # queue order: breaking first
MAX_ATTEMPTS = 2  # a job whose worker died is run once more, then fails

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    token TEXT NOT NULL,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    priority INTEGER NOT NULL,
    stage TEXT,
    done INTEGER,
    total INTEGER,
    request TEXT NOT NULL,
    key TEXT,
    error TEXT,
    exit_code INTEGER,
    title TEXT,
    outputs TEXT,
    notes TEXT NOT NULL DEFAULT '[]',
    created REAL NOT NULL,
    started REAL,
    finished REAL,
    attempts INTEGER NOT NULL DEFAULT 0,
    worker TEXT,
    callback TEXT,
    changed REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_queue ON jobs (state, priority, created);
CREATE INDEX IF NOT EXISTS jobs_token ON jobs (token, created);
CREATE INDEX IF NOT EXISTS jobs_key ON jobs (token, key, state);
"""


@dataclass(frozen=True)
class Job:
    """One row of the jobs table, as the service reads it."""

    id: str
    token: str
    kind: str
    state: str
    priority: int
    request: dict[str, Any]
    created: float
    changed: float
    stage: str | None = None
    done: int | None = None
    total: int | None = None
    key: str | None = None
    error: str | None = None
    exit_code: int | None = None
    title: str | None = None
    outputs: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    started: float | None = None
    finished: float | None = None
    attempts: int = 0
    worker: str | None = None
    callback: str | None = None  # "pending", "sent", "failed" (None: no callback_url)


def _job(row: sqlite3.Row) -> Job:
    d = dict(row)
    d["request"] = json.loads(d["request"])
    d["outputs"] = json.loads(d["outputs"]) if d["outputs"] else []
    d["notes"] = json.loads(d["notes"])
    return Job(**d)


def new_id() -> str:
    """A job id nobody can guess (ids are capabilities only together with the token)."""
    return uuid.uuid4().hex


class Store:
    """The jobs table of ``<data>/jobs.sqlite``."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.row_factory = sqlite3.Row
        try:
            db.execute("PRAGMA busy_timeout=30000")
            # WAL + NORMAL: a commit is not fsynced (the WAL is, at checkpoints); a crashed
            # process loses nothing, a power cut may lose the last progress updates
            db.execute("PRAGMA synchronous=NORMAL")
            yield db
        finally:
            db.close()

    # ------------------------------------------------------------ reading

    def get(self, job_id: str, token: str | None = None) -> Job | None:
        """The job, or None; with ``token``, only that token's job."""
        with self._db() as db:
            if token is None:
                row = db.execute("SELECT * FROM jobs WHERE id=?", (job_id,)).fetchone()
            else:
                row = db.execute(
                    "SELECT * FROM jobs WHERE id=? AND token=?", (job_id, token)
                ).fetchone()
        return _job(row) if row else None

    def recent(self, token: str, limit: int = 20) -> list[Job]:
        with self._db() as db:
            rows = db.execute(
                "SELECT * FROM jobs WHERE token=? ORDER BY created DESC, rowid DESC LIMIT ?",
                (token, limit),
            ).fetchall()
        return [_job(r) for r in rows]

    def reusable(self, token: str, key: str) -> Job | None:
        """This token's finished job with that output key, whose outputs are still there."""
        with self._db() as db:
            row = db.execute(
                "SELECT * FROM jobs WHERE token=? AND key=? AND state=? "
                "ORDER BY finished DESC LIMIT 1",
                (token, key, DONE),
            ).fetchone()
        return _job(row) if row else None

    def in_state(self, *states: str) -> list[Job]:
        marks = ",".join("?" * len(states))
        with self._db() as db:
            rows = db.execute(
                f"SELECT * FROM jobs WHERE state IN ({marks}) ORDER BY created", states
            ).fetchall()
        return [_job(r) for r in rows]

    def callbacks_due(self) -> list[Job]:
        with self._db() as db:
            rows = db.execute(
                "SELECT * FROM jobs WHERE callback='pending' AND state IN (?,?,?)", tuple(FINAL)
            ).fetchall()
        return [_job(r) for r in rows]

    # ------------------------------------------------------------ writing

    def add(
        self,
        *,
        token: str,
        kind: str,
        request: dict[str, Any],
        priority: int,
        key: str | None,
        job_id: str | None = None,
        callback: bool = False,
    ) -> Job:
        now = time.time()
        jid = job_id or new_id()
        with self._db() as db:
            db.execute(
                "INSERT INTO jobs (id, token, kind, state, priority, request, key, created, "
                "changed, callback) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    jid,
                    token,
                    kind,
                    QUEUED,
                    priority,
                    json.dumps(request, ensure_ascii=False),
                    key,
                    now,
                    now,
                    "pending" if callback else None,
                ),
            )
        job = self.get(jid)
        assert job is not None
        return job

    def claim(self, worker: str, job_id: str | None = None) -> Job | None:
        """Take the next queued job (or ``job_id`` if it is queued) for ``worker``."""
        now = time.time()
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                if job_id is None:
                    row = db.execute(
                        "SELECT id FROM jobs WHERE state=? ORDER BY priority, created, rowid "
                        "LIMIT 1",
                        (QUEUED,),
                    ).fetchone()
                else:
                    row = db.execute(
                        "SELECT id FROM jobs WHERE state=? AND id=?", (QUEUED, job_id)
                    ).fetchone()
                if row is None:
                    db.execute("COMMIT")
                    return None
                db.execute(
                    "UPDATE jobs SET state=?, started=?, worker=?, attempts=attempts+1, "
                    "stage='reading', done=NULL, total=NULL, changed=? WHERE id=?",
                    (RUNNING, now, worker, now, row["id"]),
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return self.get(row["id"])

    def mark_running(
        self,
        job_id: str,
        worker: str,
        started: float | None,
        attempts: int,
        stage: str | None,
        done: int | None,
        total: int | None,
    ) -> None:
        """Farm: what RQ says of a started job (the server copies it here)."""
        with self._db() as db:
            db.execute(
                "UPDATE jobs SET state=?, worker=?, started=COALESCE(?, started), attempts=?, "
                "stage=?, done=?, total=?, changed=? WHERE id=? AND state IN (?, ?) AND "
                "(state!=? OR worker IS NOT ? OR attempts!=? OR stage IS NOT ? "
                "OR done IS NOT ? OR total IS NOT ?)",
                (
                    RUNNING,
                    worker,
                    started,
                    attempts,
                    stage,
                    done,
                    total,
                    time.time(),
                    job_id,
                    QUEUED,
                    RUNNING,
                    RUNNING,
                    worker,
                    attempts,
                    stage,
                    done,
                    total,
                ),
            )

    def mark_queued(self, job_id: str, note: str) -> None:
        """Farm: a started job RQ has queued again (its work-horse died; retried once)."""
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            row = db.execute("SELECT state, notes FROM jobs WHERE id=?", (job_id,)).fetchone()
            if row is not None and row["state"] == RUNNING:
                notes = json.loads(row["notes"]) + [note]
                db.execute(
                    "UPDATE jobs SET state=?, stage=NULL, done=NULL, total=NULL, changed=?, "
                    "notes=? WHERE id=?",
                    (QUEUED, time.time(), json.dumps(notes, ensure_ascii=False), job_id),
                )
            db.execute("COMMIT")

    def progress(self, job_id: str, worker: str, stage: str, done: int | None, total: int | None):
        with self._db() as db:
            db.execute(
                "UPDATE jobs SET stage=?, done=?, total=?, changed=? "
                "WHERE id=? AND state=? AND worker=?",
                (stage, done, total, time.time(), job_id, RUNNING, worker),
            )

    def finish(
        self,
        job_id: str,
        worker: str | None,
        state: str,
        *,
        error: str | None = None,
        exit_code: int | None = None,
        title: str | None = None,
        outputs: list[str] | None = None,
        note: str | None = None,
        ran: tuple[str, float | None, int] | None = None,
    ) -> bool:
        """End a running job (only if it is still ``worker``'s: a cancelled or
        re-queued job is left alone); True if it was ended here. ``ran``: (worker, started,
        attempts) of a farm job the server never saw running."""
        now = time.time()
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            row = db.execute(
                "SELECT state, worker, notes FROM jobs WHERE id=?", (job_id,)
            ).fetchone()
            ok = row is not None and row["state"] not in FINAL
            if ok and worker is not None:
                ok = row["state"] == RUNNING and row["worker"] == worker
            if ok:
                notes = json.loads(row["notes"]) + ([note] if note else [])
                db.execute(
                    "UPDATE jobs SET state=?, error=?, exit_code=?, title=COALESCE(?, title), "
                    "outputs=?, finished=?, changed=?, notes=?, "
                    "stage=CASE WHEN ?='done' THEN NULL ELSE stage END WHERE id=?",
                    (
                        state,
                        error,
                        exit_code,
                        title,
                        json.dumps(outputs or []),
                        now,
                        now,
                        json.dumps(notes, ensure_ascii=False),
                        state,
                        job_id,
                    ),
                )
                if ran is not None:
                    db.execute(
                        "UPDATE jobs SET worker=?, started=COALESCE(started, ?), "
                        "attempts=MAX(attempts, ?) WHERE id=?",
                        (*ran, job_id),
                    )
            db.execute("COMMIT")
        return ok

    def cancel(self, job_id: str) -> Job | None:
        """Cancel a queued or running job; the job as it was before (None: it had ended)."""
        before = self.get(job_id)
        if before is None or before.state in FINAL:
            return None
        return before if self.finish(job_id, None, CANCELLED) else None

    def requeue(self, job_id: str, worker: str, reason: str) -> str:
        """A running job whose worker is gone: queued again if it has an attempt left,
        else failed with ``reason``; the state it ends in ("" if it was not running)."""
        now = time.time()
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            row = db.execute(
                "SELECT state, worker, attempts, notes FROM jobs WHERE id=?", (job_id,)
            ).fetchone()
            if row is None or row["state"] != RUNNING or row["worker"] != worker:
                db.execute("COMMIT")
                return ""
            notes = json.loads(row["notes"]) + [reason]
            if row["attempts"] < MAX_ATTEMPTS:
                db.execute(
                    "UPDATE jobs SET state=?, worker=NULL, stage=NULL, done=NULL, total=NULL, "
                    "changed=?, notes=? WHERE id=?",
                    (QUEUED, now, json.dumps(notes, ensure_ascii=False), job_id),
                )
                state = QUEUED
            else:
                db.execute(
                    "UPDATE jobs SET state=?, error=?, exit_code=3, finished=?, changed=?, "
                    "notes=? WHERE id=?",
                    (
                        FAILED,
                        f"{reason} (tried {row['attempts']} times)",
                        now,
                        now,
                        json.dumps(notes, ensure_ascii=False),
                        job_id,
                    ),
                )
                state = FAILED
            db.execute("COMMIT")
        return state

    def add_note(self, job_id: str, note: str) -> None:
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            row = db.execute("SELECT notes FROM jobs WHERE id=?", (job_id,)).fetchone()
            if row is not None:
                notes = json.loads(row["notes"]) + [note]
                db.execute(
                    "UPDATE jobs SET notes=?, changed=? WHERE id=?",
                    (json.dumps(notes, ensure_ascii=False), time.time(), job_id),
                )
            db.execute("COMMIT")

    def note_callback(self, job_id: str, outcome: str, note: str | None = None) -> None:
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            row = db.execute("SELECT notes FROM jobs WHERE id=?", (job_id,)).fetchone()
            notes = json.loads(row["notes"]) + ([note] if note else []) if row else []
            db.execute(
                "UPDATE jobs SET callback=?, notes=? WHERE id=?",
                (outcome, json.dumps(notes, ensure_ascii=False), job_id),
            )
            db.execute("COMMIT")
