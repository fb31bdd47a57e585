"""The SQLite ledger: one file (by default OUT/ledger.sqlite) that remembers every photo scanned, with which
profile and model.

A nightly run asks it which photos are new; a run killed halfway finds its finished photos
here and goes on from there. Each batch of photos is committed in one transaction, so a
kill at any moment loses at most the batch in flight. WAL mode keeps readers (`dronecheck
runs`, `report`, `export`, `ledger check` and `backup`) from blocking a scan, and a scan from
blocking them: a reader opens the ledger read-only (`SQLiteLedger(path, read_only=True)`), so it
never asks for the write lock a scan holds through a batch.

A photo is known by the sha256 of its bytes, so a renamed or moved photo is not new. The
"settings" key is a hash of the profile name, its thresholds and tiling, and the model's
sha256: change any of them and every photo is scanned again.

The schema version is SQLite's user_version: 0 for a ledger from before versions (which may lack
the videos table, and from before 99e9154 names its run counts photos_*), 1 with today's tables but verdicts,
2 with the reviewers' verdicts (a reader reads 1 as it is: it has no verdicts).
"""

from __future__ import annotations

import os
import sqlite3
import urllib.parse
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dronecheck.errors import LedgerError
from dronecheck.ledger.base import Ledger, Row
from dronecheck.ledger.records import Migration, error_text, loaded, stored

BUSY_TIMEOUT_S = 30  # how long a statement waits for a lock another connection holds (a checkpoint, a batch)

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    flight TEXT NOT NULL,
    inbox TEXT NOT NULL,
    run_dir TEXT,
    settings TEXT NOT NULL,
    profile TEXT NOT NULL,
    model TEXT NOT NULL,
    model_sha256 TEXT NOT NULL,
    started TEXT NOT NULL,
    finished TEXT,
    status TEXT NOT NULL,            -- running, done, some-failed, nothing-to-do, interrupted
    pid INTEGER,
    frames_scanned INTEGER DEFAULT 0,
    files_failed INTEGER DEFAULT 0,
    files_already_done INTEGER DEFAULT 0,
    findings INTEGER DEFAULT 0,
    seconds REAL,
    exit_code INTEGER,
    info TEXT                        -- JSON: the model and options, timings, ignored files
);
CREATE TABLE IF NOT EXISTS photos (
    sha256 TEXT NOT NULL,
    settings TEXT NOT NULL,
    run_id TEXT NOT NULL REFERENCES runs(run_id),
    path TEXT NOT NULL,
    frame TEXT NOT NULL,             -- JSON of the Frame, enough to write a report again
                                     -- (a video frame is a row too, keyed by the video's sha256 and index)
    scanned TEXT NOT NULL,
    PRIMARY KEY (sha256, settings)
);
CREATE TABLE IF NOT EXISTS videos (  -- a video whose sampled frames are all in photos
    sha256 TEXT NOT NULL,
    settings TEXT NOT NULL,
    run_id TEXT NOT NULL REFERENCES runs(run_id),
    path TEXT NOT NULL,
    frames INTEGER NOT NULL,
    scanned TEXT NOT NULL,
    PRIMARY KEY (sha256, settings)
);
CREATE TABLE IF NOT EXISTS findings (
    id TEXT NOT NULL,
    run_id TEXT NOT NULL REFERENCES runs(run_id),
    photo_sha256 TEXT NOT NULL,
    class TEXT NOT NULL,
    crop TEXT,
    finding TEXT NOT NULL,           -- JSON of the Finding without its frame
    PRIMARY KEY (run_id, id)
);
CREATE TABLE IF NOT EXISTS failures (
    run_id TEXT NOT NULL REFERENCES runs(run_id),
    path TEXT NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (run_id, path)
);
CREATE TABLE IF NOT EXISTS hashes (  -- so an unchanged file is not read again to be recognised
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    sha256 TEXT NOT NULL
)
"""
RENAMED = {"photos_scanned": "frames_scanned", "photos_failed": "files_failed",
           "photos_already_done": "files_already_done"}  # run counts as ledgers before 99e9154 name them


def _versioned(db: sqlite3.Connection) -> None:
    """Today's tables where there are none (a new ledger, or one from before videos); older run counts renamed."""
    for statement in SCHEMA.split(";"):
        db.execute(statement)
    columns = _columns(db, "runs")
    for old, new in RENAMED.items():
        if old in columns:
            db.execute(f"ALTER TABLE runs RENAME COLUMN {old} TO {new}")


VERDICTS = """
CREATE TABLE verdicts (              -- every verdict of a reviewer, kept: a finding's latest one is its status
    finding_id TEXT NOT NULL,
    run_id TEXT NOT NULL REFERENCES runs(run_id),  -- the run whose report it was given in
    verdict TEXT NOT NULL,           -- confirmed, rejected, corrected
    reviewed_by TEXT NOT NULL,
    reviewed_at TEXT NOT NULL,       -- ISO, UTC, to the microsecond
    corrected_class TEXT,
    corrected_box TEXT,              -- JSON [x0, y0, x1, y1] in pixels
    comment TEXT,
    recorded TEXT NOT NULL,          -- when it was written into the ledger
    PRIMARY KEY (finding_id, reviewed_at, reviewed_by)
);
CREATE INDEX verdicts_run ON verdicts (run_id)
"""


def _verdicts(db: sqlite3.Connection) -> None:
    for statement in VERDICTS.split(";"):
        db.execute(statement)


MIGRATIONS = (Migration(1, "the tables of today's ledger (videos added, photos_* run counts renamed)", _versioned),
              Migration(2, "verdicts: what reviewers said of findings, with who and when", _verdicts))


class SQLiteLedger(Ledger):
    """The SQLite ledger at `path`.

    A scan opens it to write: the file is made where there is none and its schema brought up
    to date. With `read_only` the ledger must be there already and nothing is made or changed:
    no schema, no journal mode, and SQLite refuses every write (query_only). So a reader never
    waits for the write lock a scan holds, and never writes into a file that is no sound ledger.
    """

    kind = "an SQLite file"
    migrations = MIGRATIONS
    order = "rowid"
    errors = (sqlite3.Error,)
    path: Path

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        self.path = path
        try:
            self.db = _open_existing(path) if read_only else _open_for_writing(path)
        except (sqlite3.Error, OSError) as exc:
            raise LedgerError(f"{path}: cannot open the ledger ({error_text(exc)})") from exc
        self._start(read_only)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Rolled back, not committed: nothing was written, and a commit after SQLite found damage fails with that
        damage again."""
        self.db.execute("BEGIN")
        try:
            yield
        finally:
            self.db.execute("ROLLBACK")

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> Iterable[Row]:
        return self.db.execute(sql, params)

    def _run(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.db.execute(sql, params)

    def _run_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self.db.executemany(sql, rows)

    def version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    def _set_version(self, migration: Migration) -> None:
        self.db.execute(f"PRAGMA user_version = {int(migration.version)}")

    def _serialise_migrations(self) -> None:
        """Nothing to do: the transaction's BEGIN IMMEDIATE holds the write lock already."""

    def has_table(self, name: str) -> bool:
        return bool(self.db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,)).fetchone())

    def _readable(self, version: int) -> bool:
        """A ledger from before versions reads as it is unless it names its run counts as before 99e9154."""
        return version >= 1 or not RENAMED.keys() & _columns(self.db, "runs")

    def _name(self, text: str) -> str | bytes:
        return stored(text)

    def _unname(self, value: Any) -> Any:
        return loaded(value)

    def _upsert(self, table: str, columns: Sequence[str], key: Sequence[str]) -> str:
        return f"INSERT OR REPLACE INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"

    def problems(self) -> tuple[str, ...]:
        """What integrity_check reports, and the rows that name a run the runs table lacks; SQLite's own error where
        the damage stops it from reading further. A busy or unreadable file is no finding: it raises."""
        found: list[str] = []
        try:  # a row of integrity_check may hold several lines, under a "*** in database main ***" heading
            for (row,) in self.db.execute("PRAGMA integrity_check"):  # rows come one by one; damage may stop them
                found += [line for line in row.splitlines() if line != "ok" and not line.startswith("***")]
            orphans = Counter((r[0], r[2]) for r in self.db.execute("PRAGMA foreign_key_check"))
        except sqlite3.OperationalError:
            raise
        except sqlite3.DatabaseError as exc:  # corrupt, or not a database past its first page
            return tuple(dict.fromkeys((*found, str(exc))))  # integrity_check's last row may be that error too
        return (*found,
                *(f"{n} row(s) of {table} name a missing {parent} row" for (table, parent), n in orphans.items()))

    def sizes(self) -> tuple[int, int]:
        return _size(self.path), _size(self.path.with_name(self.path.name + "-wal"))


def _columns(db: sqlite3.Connection, table: str) -> set[str]:
    return {r[1] for r in db.execute(f"PRAGMA table_info({table})")}


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _open_for_writing(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)  # transactions are explicit
    try:
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")  # a committed batch survives a power cut too
    except sqlite3.Error:
        db.close()
        raise
    return db


def _open_existing(path: Path) -> sqlite3.Connection:
    """A read-only connection to the ledger at `path`; LedgerError when there is no file.

    mode=rw, not mode=ro: SQLite never creates the file, and the last connection to close still
    folds the WAL back into the file and removes it, as a scan's does (a mode=ro one leaves it).
    """
    if not path.exists():
        raise LedgerError(f"no ledger at {path}")
    if not path.is_file():
        raise LedgerError(f"{path}: not a ledger but a folder or special file")
    uri = f"file:{urllib.parse.quote(os.fsencode(path))}?mode=rw"
    db = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    try:
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA query_only=ON")
    except BaseException:
        db.close()
        raise
    return db
