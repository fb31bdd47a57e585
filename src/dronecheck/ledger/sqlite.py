"""The ledger: an SQLite file that remembers every photo scanned, with which profile and model.

A nightly run asks it which photos are new; a run killed halfway finds its finished photos
here and goes on from there. Each batch of photos is committed in one transaction, so a
kill at any moment loses at most the batch in flight. WAL mode keeps readers (`dronecheck
runs`, `report`, `export`, `ledger check` and `backup`) from blocking a scan, and a scan from
blocking them: a reader opens the ledger read-only (`Ledger(path, read_only=True)`), so it never
asks for the write lock a scan holds through a batch.

A photo is known by the sha256 of its bytes, so a renamed or moved photo is not new. The
"settings" key is a hash of the profile name, its thresholds and tiling, and the model's
sha256: change any of them and every photo is scanned again.
"""

from __future__ import annotations

import json
import os
import sqlite3
import urllib.parse
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from dronecheck.errors import LedgerError
from dronecheck.types import Camera, Finding, Frame, Pose

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
);
"""


@dataclass(frozen=True)
class RunRow:
    """One run as the ledger keeps it."""

    run_id: str
    flight: str
    inbox: str
    run_dir: str | None
    settings: str
    profile: str
    model: str
    model_sha256: str
    started: str
    finished: str | None
    status: str
    pid: int | None
    frames_scanned: int
    files_failed: int
    files_already_done: int
    findings: int
    seconds: float | None
    exit_code: int | None
    info: str | None

    @property
    def details(self) -> dict[str, Any]:
        return json.loads(self.info) if self.info else {}


def stored(text: str) -> str | bytes:
    """A path or name as SQLite can keep it: the text, or its bytes where it is no valid UTF-8 (a name from an
    old card or a Windows share, which Python holds with surrogate escapes).

    >>> stored("DJI_0001.JPG"), stored(os.fsdecode(b"caf\\xe9.JPG"))
    ('DJI_0001.JPG', b'caf\\xe9.JPG')
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(text)
    return text


def loaded(value: Any) -> Any:
    """A value read from the ledger, with a stored name's bytes back as the text Python names the file by."""
    return os.fsdecode(value) if isinstance(value, bytes) else value


def frame_to_json(frame: Frame) -> str:
    data = asdict(frame)
    data["path"] = str(frame.path)
    data["time"] = frame.time.isoformat() if frame.time else None
    return json.dumps(data)


def frame_from_json(text: str) -> Frame:
    data = json.loads(text)
    return Frame(path=Path(data["path"]), sha256=data["sha256"], camera=Camera(**data["camera"]),
                 pose=Pose(**data["pose"]), time=datetime.fromisoformat(data["time"]) if data["time"] else None,
                 frame_index=data["frame_index"], notes=tuple(data["notes"]))


def finding_to_json(finding: Finding) -> str:
    data = {k: v for k, v in asdict(finding).items() if k != "frame"}
    return json.dumps(data)


def finding_from_json(text: str, frame: Frame) -> Finding:
    data = json.loads(text)
    data["box_px"] = tuple(data["box_px"])
    data["point"] = tuple(data["point"]) if data["point"] else None
    for key in ("footprint", "line"):
        data[key] = tuple(tuple(p) for p in data[key]) if data.get(key) else None
    return Finding(frame=frame, **data)


class Ledger:
    """The SQLite ledger of one output folder (or the path given).

    Use it as a context manager: it is closed at the end, and an SQLite error inside the
    block (locked, corrupt, read-only, disk full) comes out as a LedgerError naming the file.

    A scan opens it to write: the file and its tables are made where there are none. With
    `read_only` the ledger must be there already and nothing is made or changed: no schema,
    no journal mode, and SQLite refuses every write (query_only). So a reader never waits for
    the write lock a scan holds, and never writes into a file that is no sound ledger.
    """

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        self.path = path
        try:
            self.db = _open_existing(path) if read_only else _open_for_writing(path)
        except (sqlite3.Error, OSError) as exc:
            raise LedgerError(f"{path}: cannot open the ledger ({error_text(exc)})") from exc

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
        if isinstance(exc, sqlite3.Error):
            raise LedgerError(f"{self.path}: {error_text(exc)}") from exc

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # -- photos ------------------------------------------------------------------------------
    def cached_sha256(self, path: Path, size: int, mtime_ns: int) -> str | None:
        row = self.db.execute("SELECT sha256 FROM hashes WHERE path=? AND size=? AND mtime_ns=?",
                              (stored(str(path)), size, mtime_ns)).fetchone()
        return row["sha256"] if row else None

    def remember_sha256(self, path: Path, size: int, mtime_ns: int, sha256: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO hashes VALUES (?, ?, ?, ?)",
                        (stored(str(path)), size, mtime_ns, sha256))

    def done(self, settings: str) -> set[str]:
        """The sha256 of every photo already scanned with these settings."""
        rows = self.db.execute("SELECT sha256 FROM photos WHERE settings=?", (settings,))
        return {r["sha256"] for r in rows}

    def videos_done(self, settings: str) -> dict[str, str]:
        """The sha256 of every video whose frames were all scanned with these settings, and its run."""
        rows = self.db.execute("SELECT sha256, run_id FROM videos WHERE settings=?", (settings,))
        return {r["sha256"]: r["run_id"] for r in rows}

    def record_batch(self, run_id: str, settings: str, frames: Iterable[Frame], findings: Iterable[Finding],
                     crops: dict[str, str], failures: Iterable[tuple[str, str]],
                     videos: Iterable[tuple[str, str, int]] = ()) -> None:
        """Commit a finished batch at once: its frames, their findings, the files that failed, and the
        videos (sha256, path, frames) whose last frame it holds."""
        now = datetime.now().astimezone().isoformat()
        with self.transaction() as db:
            db.executemany("INSERT OR REPLACE INTO videos VALUES (?, ?, ?, ?, ?, ?)",
                           [(sha, settings, run_id, stored(path), n, now) for sha, path, n in videos])
            db.executemany("INSERT OR REPLACE INTO photos VALUES (?, ?, ?, ?, ?, ?)",
                           [(f.sha256, settings, run_id, stored(str(f.path)), frame_to_json(f), now) for f in frames])
            db.executemany("INSERT OR REPLACE INTO findings VALUES (?, ?, ?, ?, ?, ?)",
                           [(f.id, run_id, f.frame.sha256, f.class_name, crops.get(f.id), finding_to_json(f))
                            for f in findings])
            db.executemany("INSERT OR REPLACE INTO failures VALUES (?, ?, ?)",
                           [(run_id, stored(path), stored(reason)) for path, reason in failures])

    def clear_failures(self, run_id: str) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM failures WHERE run_id=?", (run_id,))

    def run_contents(self, run_id: str) -> tuple[list[Frame], list[Finding], dict[str, str], list[tuple[str, str]]]:
        """Frames, findings, crops and failures recorded for a run, in scan order."""
        frames = {r["sha256"]: frame_from_json(r["frame"]) for r in self.db.execute(
            "SELECT sha256, frame FROM photos WHERE run_id=? ORDER BY rowid", (run_id,))}
        rows = self.db.execute("SELECT id, photo_sha256, crop, finding FROM findings WHERE run_id=? ORDER BY rowid",
                               (run_id,)).fetchall()
        findings = [finding_from_json(r["finding"], frames[r["photo_sha256"]]) for r in rows]
        crops = {r["id"]: r["crop"] for r in rows if r["crop"]}
        failures = [(loaded(r["path"]), loaded(r["reason"])) for r in self.db.execute(
            "SELECT path, reason FROM failures WHERE run_id=? ORDER BY rowid", (run_id,))]
        return list(frames.values()), findings, crops, failures

    # -- runs --------------------------------------------------------------------------------
    def start_run(self, row: RunRow) -> None:
        with self.transaction() as db:
            db.execute(f"INSERT OR REPLACE INTO runs VALUES ({', '.join('?' * len(RunRow.__dataclass_fields__))})",
                       tuple(stored(v) if isinstance(v, str) else v for v in asdict(row).values()))

    def finish_run(self, run_id: str, **values: Any) -> None:
        columns = ", ".join(f"{k}=?" for k in values)
        with self.transaction() as db:
            db.execute(f"UPDATE runs SET {columns} WHERE run_id=?", (*values.values(), run_id))

    def runs(self, limit: int | None = None) -> list[RunRow]:
        query = "SELECT * FROM runs ORDER BY started DESC, rowid DESC" + (f" LIMIT {int(limit)}" if limit else "")
        return [_run_row(r) for r in self.db.execute(query)]

    def run(self, run_id: str) -> RunRow | None:
        row = self.db.execute("SELECT * FROM runs WHERE run_id=?", (run_id,)).fetchone()
        return _run_row(row) if row else None

    def interrupted(self, inbox: str, settings: str) -> RunRow | None:
        """Mark runs left 'running' as interrupted; return the last run of this inbox and settings when it
        was interrupted (killed, or stopped by a signal), to be taken up again.

        Call it only while holding the ledger's lock: then no other scan is running, so a run
        still marked 'running' was killed.
        """
        runs = self.runs()
        for r in runs:
            if r.status == "running":
                self.finish_run(r.run_id, status="interrupted")
        last = next((r for r in runs if r.inbox == inbox and r.settings == settings), None)
        return last if last and last.status in ("running", "interrupted") else None

    def all_findings(self) -> Iterator[tuple[RunRow, Finding, str | None]]:
        """Every finding of every run, newest run first, each id once."""
        runs = {r.run_id: r for r in self.runs()}
        seen: set[str] = set()
        frames: dict[tuple[str, str], Frame] = {}
        rows = self.db.execute(
            "SELECT f.id, f.run_id, f.crop, f.finding, f.photo_sha256, p.frame FROM findings f "
            "JOIN photos p ON p.sha256=f.photo_sha256 AND p.run_id=f.run_id "
            "JOIN runs r ON r.run_id=f.run_id ORDER BY r.started DESC, f.rowid")
        for r in rows:
            if r["id"] in seen:
                continue
            seen.add(r["id"])
            key = (r["run_id"], r["photo_sha256"])
            frame = frames.setdefault(key, frame_from_json(r["frame"]))
            yield runs[r["run_id"]], finding_from_json(r["finding"], frame), r["crop"]


def existing(paths: Sequence[Path]) -> list[Path]:
    """The ledgers at `paths` that exist (a config's inbox not scanned yet has none); LedgerError when none does."""
    found = [p for p in paths if p.exists()]
    if not found:
        looked = ", ".join(str(p) for p in paths)
        raise LedgerError(f"no ledger found (looked for {looked}); scan something first")
    return found


def _open_for_writing(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)  # transactions are explicit
    try:
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")  # a committed batch survives a power cut too
        db.executescript(SCHEMA)
    except sqlite3.Error:
        db.close()
        raise
    return db


def _open_existing(path: Path) -> sqlite3.Connection:
    """A read-only connection to the ledger at `path`; LedgerError when there is none or it is no ledger.

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
        if not db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='runs'").fetchone():
            raise LedgerError(f"{path}: not a dronecheck ledger (an SQLite file without its runs table)")
    except BaseException:
        db.close()
        raise
    return db


def _run_row(row: sqlite3.Row) -> RunRow:
    return RunRow(**{k: loaded(v) for k, v in dict(row).items()})


def error_text(exc: BaseException) -> str:
    """What went wrong, for a message that names the file itself: the OS's words without the path, or SQLite's."""
    return str(exc.strerror or exc) if isinstance(exc, OSError) else str(exc)
