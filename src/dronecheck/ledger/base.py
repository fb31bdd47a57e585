"""The ledger's methods, once for both databases: what a scan, `runs`, `report`, `export` and `ledger check` ask
of it. `sqlite.SQLiteLedger` and `postgres.PostgresLedger` give it a connection and the little SQL that differs
(placeholders, upserts, the insertion-order column, how a name is kept, how the schema version is kept).

Queries are written with `?` placeholders; the PostgreSQL ledger turns them into `%s`.
"""

from __future__ import annotations

import logging
import math
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar

from dronecheck.errors import LedgerError, VerdictError
from dronecheck.ledger.records import (
    RUN_COLUMNS,
    RUN_NAMES,
    VERDICT_COLUMNS,
    VERDICT_NAMES,
    Migration,
    RunRow,
    WorkerRow,
    error_text,
    finding_from_json,
    finding_to_json,
    frame_from_json,
    frame_to_json,
    verdict_from_row,
    verdict_values,
)
from dronecheck.types import VERDICTS, Finding, Frame, Verdict

log = logging.getLogger("dronecheck")

CHUNK = 500  # ids per query (SQLite's limit on parameters)
TABLES = ("runs", "photos", "videos", "findings", "failures", "hashes")
COUNTED = ("photos", "videos", "findings", "failures")  # counted besides runs by `ledger check` (old ones lack videos)
Row = Mapping[str, Any]


class Ledger(ABC):
    """A ledger, open for writing (a scan: its schema brought up to date) or `read_only` (everything else).

    Use it as a context manager: it is closed at the end, and a database error inside the block
    comes out as a LedgerError naming the ledger.
    """

    kind: ClassVar[str]  # what the ledger is, for "not a dronecheck ledger (... without its runs table)"
    migrations: ClassVar[tuple[Migration, ...]]  # in order; the last one's version is the current schema
    order: ClassVar[str]  # the column that keeps the order rows were written in
    errors: ClassVar[tuple[type[BaseException], ...]]  # the database's own errors
    path: Path | str  # the file, or the URL as it may be shown (no password)
    db: Any  # the connection
    migrated: list[Migration]  # what opening it for writing applied

    # -- what each database does its own way -----------------------------------------------------
    @abstractmethod
    def _rows(self, sql: str, params: Sequence[Any] = ()) -> Iterable[Row]: ...

    @abstractmethod
    def _run(self, sql: str, params: Sequence[Any] = ()) -> None: ...

    @abstractmethod
    def _run_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None: ...

    @abstractmethod
    def transaction(self) -> AbstractContextManager[None]:
        """Everything in the block is committed at once, or not at all."""

    @abstractmethod
    def snapshot(self) -> AbstractContextManager[None]:
        """One read transaction: everything read in the block sees the same committed batches."""

    def close(self) -> None:
        self.db.close()

    @abstractmethod
    def version(self) -> int:
        """The schema version the ledger is at (0: none, or a ledger from before versions)."""

    @abstractmethod
    def _set_version(self, migration: Migration) -> None: ...

    @abstractmethod
    def has_table(self, name: str) -> bool: ...

    @abstractmethod
    def _name(self, text: str) -> Any:
        """A file name or other free text as this database keeps it (`records.stored`, `records.escaped`)."""

    @abstractmethod
    def _unname(self, value: Any) -> Any: ...

    @abstractmethod
    def _upsert(self, table: str, columns: Sequence[str], key: Sequence[str]) -> str:
        """An INSERT of `columns` that replaces the row with the same `key`; `?` placeholders."""

    @abstractmethod
    def problems(self) -> tuple[str, ...]:
        """What is wrong in the ledger, for `ledger check`; nothing when it is sound."""

    @abstractmethod
    def sizes(self) -> tuple[int, int]:
        """Bytes the ledger takes, and of its write-ahead log beside it (0 where there is none)."""

    @abstractmethod
    def _serialise_migrations(self) -> None:
        """Keep two connections that migrate one ledger at once from both migrating (called in the transaction)."""

    def _readable(self, version: int) -> bool:
        """Whether a reader can read a ledger at an older `version` as it is."""
        return version == self.latest

    # -- open, migrate, close ----------------------------------------------------------------------
    @property
    def latest(self) -> int:
        return self.migrations[-1].version

    def _start(self, read_only: bool) -> None:
        """`_ready`, with the connection closed when it fails: a database error is a LedgerError naming the ledger."""
        try:
            self._ready(read_only)
        except self.errors as exc:
            self.db.close()
            raise LedgerError(f"{self.path}: cannot open the ledger ({error_text(exc)})") from exc
        except BaseException:
            self.db.close()
            raise

    def _ready(self, read_only: bool) -> None:
        """Refuse a ledger newer than this code or none at all; bring it up to date, or for a reader check that
        it can be read as it is. Subclasses call it once connected, through `_start`."""
        version = self.version()
        if version > self.latest:
            raise LedgerError(f"{self.path}: the ledger's schema is version {version}, newer than this dronecheck "
                              f"knows ({self.latest}): upgrade dronecheck")
        self.migrated = []
        if read_only:
            if not self.has_table("runs"):
                raise LedgerError(f"{self.path}: not a dronecheck ledger ({self.kind} without its runs table)")
            if not self._readable(version):
                raise LedgerError(f"{self.path}: the ledger's schema is version {version}, older than this "
                                  f"dronecheck reads ({self.latest}): run `dronecheck ledger migrate`")
        elif version < self.latest:
            self.migrated = self.migrate()

    def migrate(self) -> list[Migration]:
        """Apply the migrations the ledger lacks, all in one transaction; the ones applied."""
        with self.transaction():
            self._serialise_migrations()
            version = self.version()
            pending = [m for m in self.migrations if m.version > version]
            for migration in pending:
                migration.apply(self.db)
                self._set_version(migration)
        for migration in pending:
            log.info("ledger %s: schema version %d: %s", self.path, migration.version, migration.does,
                     extra={"event": "ledger_migrated", "version": migration.version})
        return pending

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
        if isinstance(exc, self.errors):
            raise LedgerError(f"{self.path}: {error_text(exc)}") from exc

    # -- photos --------------------------------------------------------------------------------------
    def cached_sha256(self, path: Path, size: int, mtime_ns: int) -> str | None:
        rows = self._rows("SELECT sha256 FROM hashes WHERE path=? AND size=? AND mtime_ns=?",
                          (self._name(str(path)), size, mtime_ns))
        return next((r["sha256"] for r in rows), None)

    def remember_sha256(self, path: Path, size: int, mtime_ns: int, sha256: str) -> None:
        self._run(self._upsert("hashes", ("path", "size", "mtime_ns", "sha256"), ("path",)),
                  (self._name(str(path)), size, mtime_ns, sha256))

    def done(self, settings: str) -> set[str]:
        """The sha256 of every photo already scanned with these settings."""
        return {r["sha256"] for r in self._rows("SELECT sha256 FROM photos WHERE settings=?", (settings,))}

    def videos_done(self, settings: str) -> dict[str, str]:
        """The sha256 of every video whose frames were all scanned with these settings, and its run."""
        rows = self._rows("SELECT sha256, run_id FROM videos WHERE settings=?", (settings,))
        return {r["sha256"]: r["run_id"] for r in rows}

    def record_batch(self, run_id: str, settings: str, frames: Iterable[Frame], findings: Iterable[Finding],
                     crops: dict[str, str], failures: Iterable[tuple[str, str]],
                     videos: Iterable[tuple[str, str, int]] = ()) -> None:
        """Commit a finished batch at once: its frames, their findings, the files that failed, and the
        videos (sha256, path, frames) whose last frame it holds."""
        now = datetime.now().astimezone().isoformat()
        name = self._name
        with self.transaction():
            self._run_many(self._upsert("videos", ("sha256", "settings", "run_id", "path", "frames", "scanned"),
                                        ("sha256", "settings")),
                           [(sha, settings, run_id, name(path), n, now) for sha, path, n in videos])
            self._run_many(self._upsert("photos", ("sha256", "settings", "run_id", "path", "frame", "scanned"),
                                        ("sha256", "settings")),
                           [(f.sha256, settings, run_id, name(str(f.path)), frame_to_json(f), now) for f in frames])
            self._run_many(self._upsert("findings", ("id", "run_id", "photo_sha256", "class", "crop", "finding"),
                                        ("run_id", "id")),
                           [(f.id, run_id, f.frame.sha256, f.class_name, crops.get(f.id), finding_to_json(f))
                            for f in findings])
            self._run_many(self._upsert("failures", ("run_id", "path", "reason"), ("run_id", "path")),
                           [(run_id, name(path), name(reason)) for path, reason in failures])

    def clear_failures(self, run_id: str) -> None:
        with self.transaction():
            self._run("DELETE FROM failures WHERE run_id=?", (run_id,))

    def run_contents(self, run_id: str) -> tuple[list[Frame], list[Finding], dict[str, str], list[tuple[str, str]]]:
        """Frames, findings, crops and failures recorded for a run, in scan order."""
        frames = {r["sha256"]: frame_from_json(r["frame"]) for r in self._rows(
            f"SELECT sha256, frame FROM photos WHERE run_id=? ORDER BY {self.order}", (run_id,))}
        rows = list(self._rows(f"SELECT id, photo_sha256, crop, finding FROM findings WHERE run_id=? "
                               f"ORDER BY {self.order}", (run_id,)))
        findings = [finding_from_json(r["finding"], frames[r["photo_sha256"]]) for r in rows]
        crops = {r["id"]: r["crop"] for r in rows if r["crop"]}
        failures = [(self._unname(r["path"]), self._unname(r["reason"])) for r in self._rows(
            f"SELECT path, reason FROM failures WHERE run_id=? ORDER BY {self.order}", (run_id,))]
        return list(frames.values()), findings, crops, failures

    # -- runs ------------------------------------------------------------------------------------------
    def start_run(self, row: RunRow) -> None:
        with self.transaction():
            self._run(self._upsert("runs", RUN_COLUMNS, ("run_id",)), self._run_values(row))

    def _run_values(self, row: RunRow) -> tuple[Any, ...]:
        return tuple(self._name(v) if k in RUN_NAMES and v is not None else v for k, v in asdict(row).items())

    def finish_run(self, run_id: str, **values: Any) -> None:
        assert not RUN_NAMES & set(values), "a run's names are set when it starts"
        columns = ", ".join(f"{k}=?" for k in values)
        with self.transaction():
            self._run(f"UPDATE runs SET {columns} WHERE run_id=?", (*values.values(), run_id))

    def runs(self, limit: int | None = None) -> list[RunRow]:
        query = (f"SELECT {', '.join(RUN_COLUMNS)} FROM runs ORDER BY started DESC, {self.order} DESC"
                 + (f" LIMIT {int(limit)}" if limit else ""))
        return [self._run_row(r) for r in self._rows(query)]

    def run(self, run_id: str) -> RunRow | None:
        rows = self._rows(f"SELECT {', '.join(RUN_COLUMNS)} FROM runs WHERE run_id=?", (run_id,))
        return next((self._run_row(r) for r in rows), None)

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

    # -- several scans of one inbox at once: only where the ledger is `shared` (PostgreSQL) -------------------
    shared: ClassVar[bool] = False  # whether several scans may work on this ledger at once, claiming their work
    worker: str | None = None  # this scan's worker id, once it joined a run (shared ledgers)

    def starting(self) -> AbstractContextManager[None]:
        """Held while a scan decides which run it starts, takes up or joins, and joins it; nothing where one scan
        at a time holds the ledger anyway."""
        return nullcontext()

    def join(self, row: RunRow) -> str:
        """Join run `row` as a new worker (the run made where it is not there yet); the worker's id."""
        raise NotImplementedError(f"{self.kind}: one scan at a time")

    def claim(self, run_id: str, settings: str, keys: Sequence[str], weights: Sequence[int],
              n: int) -> tuple[list[str], int]:
        """Claim the first of `keys` (in order, up to a weight of `n`) that are free; the keys claimed, and how
        many are left free."""
        raise NotImplementedError(f"{self.kind}: one scan at a time")

    def claims_done(self, settings: str, keys: Sequence[str]) -> None:
        raise NotImplementedError(f"{self.kind}: one scan at a time")

    def release(self) -> None:
        """Give back this worker's claims not done (it stops before them)."""
        raise NotImplementedError(f"{self.kind}: one scan at a time")

    def outstanding(self, run_id: str) -> int:
        """Claims of the run, not done, that other live workers hold."""
        raise NotImplementedError(f"{self.kind}: one scan at a time")

    def finishing(self, run_id: str) -> AbstractContextManager[bool]:
        """Held while the run's outputs are written; True for the one worker that is to write them."""
        raise NotImplementedError(f"{self.kind}: one scan at a time")

    def worker_done(self, status: str) -> None:
        raise NotImplementedError(f"{self.kind}: one scan at a time")

    def workers(self, run_ids: Sequence[str]) -> list[WorkerRow]:
        """The workers of these runs, in the order they joined; none where one scan at a time holds the ledger."""
        return []

    def all_findings(self) -> Iterator[tuple[RunRow, Finding, str | None]]:
        """Every finding of every run, newest run first, each id once."""
        runs = {r.run_id: r for r in self.runs()}
        seen: set[str] = set()
        frames: dict[tuple[str, str], Frame] = {}
        rows = self._rows(
            "SELECT f.id, f.run_id, f.crop, f.finding, f.photo_sha256, p.frame FROM findings f "
            "JOIN photos p ON p.sha256=f.photo_sha256 AND p.run_id=f.run_id "
            f"JOIN runs r ON r.run_id=f.run_id ORDER BY r.started DESC, f.{self.order}")
        for r in rows:
            if r["id"] in seen:
                continue
            seen.add(r["id"])
            key = (r["run_id"], r["photo_sha256"])
            frame = frames.get(key)
            if frame is None:  # each frame parsed once, however many findings it has
                frame = frames[key] = frame_from_json(r["frame"])
            yield runs[r["run_id"]], finding_from_json(r["finding"], frame), r["crop"]

    # -- verdicts: what reviewers said of findings (schema version 2 of SQLite, 3 of PostgreSQL) ----------------
    def record_verdicts(self, run_id: str, verdicts: Iterable[Verdict]) -> int:
        """Keep `verdicts` of findings of run `run_id`, all at once or none (VerdictError, a ValueError, naming
        the first that cannot be kept: a finding the run does not have, a verdict other than VERDICTS, a corrected
        one naming neither a class of the run's model nor a box). Every verdict is kept, with who and when: the
        latest (by `reviewed_at`) is the finding's status. The same verdict (finding, reviewer, time) recorded
        again replaces itself. Returns how many were recorded."""
        verdicts = list(verdicts)
        row = self.run(run_id)
        if row is None:
            raise VerdictError(f"no run {run_id!r} in {self.path} (see `dronecheck runs`)")
        if not self.has_table("verdicts"):
            raise LedgerError(f"{self.path}: the ledger has no verdicts yet: run `dronecheck ledger migrate`")
        classes = tuple(row.details.get("model", {}).get("class_names", ()))
        known = {r["id"] for r in self._rows("SELECT id FROM findings WHERE run_id=?", (run_id,))}
        for v in verdicts:
            _check_verdict(v, run_id, known, classes)
        now = datetime.now(UTC)
        rows = []
        for v in verdicts:
            values = verdict_values(run_id, v, now)
            rows.append([self._name(values[c]) if c in VERDICT_NAMES and values[c] is not None else values[c]
                         for c in VERDICT_COLUMNS])
        with self.transaction():
            self._run_many(self._upsert("verdicts", VERDICT_COLUMNS, ("finding_id", "reviewed_at", "reviewed_by")),
                           rows)
        return len(rows)

    def verdict_history(self, finding_ids: Iterable[str] | None = None) -> list[Verdict]:
        """Every verdict kept of these findings (of all, with None), oldest first; none in a ledger from before
        verdicts."""
        if not self.has_table("verdicts"):
            return []
        query = f"SELECT {', '.join(VERDICT_COLUMNS)} FROM verdicts"
        if finding_ids is None:
            chunks: list[list[str]] = [[]]
        else:
            ids = list(dict.fromkeys(finding_ids))
            chunks = [ids[i:i + CHUNK] for i in range(0, len(ids), CHUNK)]
        rows: list[Row] = []
        for chunk in chunks:
            where = f" WHERE finding_id IN ({', '.join('?' * len(chunk))})" if chunk else ""
            rows += [dict(r) for r in self._rows(f"{query}{where} ORDER BY reviewed_at, {self.order}", chunk)]
        rows.sort(key=lambda r: r["reviewed_at"])  # stable: the order written within one time
        return [verdict_from_row({k: self._unname(v) if k in VERDICT_NAMES else v for k, v in r.items()})
                for r in rows]

    def verdicts(self, finding_ids: Iterable[str] | None = None) -> dict[str, Verdict]:
        """The latest verdict of each of these findings (of every finding, with None) that has one. Finding ids
        stay the same when the same photo is scanned again with the same model, so a later run of it finds them."""
        if finding_ids is not None:
            finding_ids = list(finding_ids)
            if not finding_ids:
                return {}
        return {v.finding_id: v for v in self.verdict_history(finding_ids)}

    def counts(self) -> tuple[dict[str, int], dict[str, int]]:
        """Runs by status, and the rows of each COUNTED table the ledger has."""
        runs = {r["status"]: r["n"] for r in self._rows(
            "SELECT status, count(*) AS n FROM runs GROUP BY status ORDER BY status")}
        rows = {t: next(iter(self._rows(f"SELECT count(*) AS n FROM {t}")))["n"] for t in COUNTED if self.has_table(t)}
        return runs, rows

    def _run_row(self, row: Row) -> RunRow:
        return RunRow(**{k: self._unname(row[k]) if k in RUN_NAMES else row[k] for k in RUN_COLUMNS})


def _check_verdict(v: Verdict, run_id: str, known: set[str], classes: Sequence[str]) -> None:
    """VerdictError when `v` cannot be kept as a verdict of run `run_id`."""
    what = f"verdict of finding {v.finding_id!r}"
    if v.finding_id not in known:
        raise VerdictError(f"{what}: run {run_id} has no such finding")
    if v.verdict not in VERDICTS:
        raise VerdictError(f"{what}: {v.verdict!r} is none of {', '.join(VERDICTS)}")
    if v.reviewed_at.tzinfo is None:
        raise VerdictError(f"{what}: its time {v.reviewed_at.isoformat()} has no time zone")
    if not v.reviewed_by:
        raise VerdictError(f"{what}: no reviewer")
    if v.verdict != "corrected":
        if v.corrected_class is not None or v.corrected_box_px is not None:
            raise VerdictError(f"{what}: only a corrected verdict has a class or box")
        return
    if v.corrected_class is None and v.corrected_box_px is None:
        raise VerdictError(f"{what}: a corrected verdict names the right class, the right box, or both")
    if v.corrected_class is not None and v.corrected_class not in classes:
        raise VerdictError(f"{what}: class {v.corrected_class!r} is none of the model's ({', '.join(classes)})")
    if v.corrected_box_px is not None:
        box = v.corrected_box_px
        if (len(box) != 4 or not all(isinstance(b, int | float) and math.isfinite(b) and b >= 0 for b in box)
                or not (box[0] < box[2] and box[1] < box[3])):
            raise VerdictError(f"{what}: box {list(box)} is no [x0, y0, x1, y1] in pixels with x0 < x1, y0 < y1")
