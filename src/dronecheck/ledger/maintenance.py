"""Looking after the ledger: check that it is sound, and back it up, while a scan may be writing it.

Both open the ledger read-only (`Ledger(path, read_only=True)`): they never create a ledger where
there is none, never write into one, and take no scan lock. WAL gives them one consistent
snapshot, the batches committed when they start, while the scan goes on committing.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from dronecheck.errors import ConfigError, LedgerError
from dronecheck.ledger.sqlite import Ledger, error_text
from dronecheck.report.files import file_mode

COUNTED = ("photos", "videos", "findings", "failures")  # the tables counted besides runs (older ledgers lack videos)


@dataclass(frozen=True)
class Health:
    """What `check` found in one ledger: its problems (none when it is sound) and what it holds."""

    path: Path
    problems: tuple[str, ...]
    runs: dict[str, int]  # runs by status
    rows: dict[str, int]  # rows of each COUNTED table the ledger has
    size: int  # bytes of the file
    wal_size: int  # bytes of its WAL beside it (0 when there is none)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        """One line of what the ledger holds.

        >>> Health(Path("l.sqlite"), (), {"done": 2, "interrupted": 1}, {"photos": 10, "findings": 30},
        ...        122880, 0).summary()
        'runs 3 (done 2, interrupted 1) · photos 10 · findings 30 · 120.0 KiB'
        """
        runs = ", ".join(f"{status} {n}" for status, n in self.runs.items())
        parts = [f"runs {sum(self.runs.values())}" + (f" ({runs})" if runs else "")]
        parts += [f"{table} {n}" for table, n in self.rows.items()]
        parts.append(size_text(self.size) + (f" + {size_text(self.wal_size)} WAL" if self.wal_size else ""))
        return " · ".join(parts)


def size_text(size: int) -> str:
    """
    >>> size_text(512), size_text(122880), size_text(5 * 1024**3)
    ('512 B', '120.0 KiB', '5.0 GiB')
    """
    if size < 1024:
        return f"{size} B"
    value, unit = size / 1024, "KiB"
    for bigger in ("MiB", "GiB"):
        if value < 1024:
            break
        value, unit = value / 1024, bigger
    return f"{value:.1f} {unit}"


def check(path: Path) -> Health:
    """SQLite's integrity_check and foreign_key_check of the ledger at `path`, and its counts.

    Raises LedgerError when it cannot be opened at all (no file, not SQLite, its first pages
    damaged); damage found further in is in `problems`.
    """
    with Ledger(path, read_only=True) as ledger, _snapshot(ledger.db):
        problems = _problems(ledger.db)
        runs, rows = ({}, {}) if problems else _counts(ledger.db)
    return Health(path, problems, runs, rows, _size(path), _size(path.with_name(path.name + "-wal")))


def backup(source: Path, target: Path, force: bool = False) -> Health:
    """Copy the ledger at `source` to `target` with SQLite's online backup; the copy's Health.

    The copy is one snapshot (a batch a scan has not committed yet is not in it), made beside
    `target`, checked, and only then renamed onto it: `target` is never a half or damaged copy.
    """
    if target.exists() and source.exists() and target.samefile(source):
        raise ConfigError(f"{target} is the ledger itself: back it up to another file")
    if target.exists() and not force:
        raise ConfigError(f"{target} exists: give --force to replace it")
    with Ledger(source, read_only=True) as ledger:
        tmp = _temp_beside(target)
        try:
            _copy(ledger.db, tmp)
            health = check(tmp)
            if not health.ok:
                raise LedgerError(f"{source}: its copy is not sound ({health.problems[0]}); "
                                  "see `dronecheck ledger check`")
            _fsync(tmp)
            os.replace(tmp, target)
        except (OSError, sqlite3.Error) as exc:  # disk full, a folder where the target goes
            raise LedgerError(f"{target}: cannot write the backup ({error_text(exc)})") from exc
        finally:
            for leftover in (tmp, tmp.with_name(tmp.name + "-wal"), tmp.with_name(tmp.name + "-shm")):
                leftover.unlink(missing_ok=True)
    return replace(health, path=target)


@contextmanager
def _snapshot(db: sqlite3.Connection) -> Iterator[None]:
    """One read transaction, so the checks and counts all see the same committed batches. It is rolled back,
    not committed: nothing was written, and a commit after SQLite found damage fails with that damage again."""
    db.execute("BEGIN")
    try:
        yield
    finally:
        db.execute("ROLLBACK")


def _problems(db: sqlite3.Connection) -> tuple[str, ...]:
    """What integrity_check reports, and the rows that name a run the runs table lacks; SQLite's own error where
    the damage stops it from reading further. A busy or unreadable file is no finding: it raises."""
    found: list[str] = []
    try:  # a row of integrity_check may hold several lines, under a "*** in database main ***" heading
        for (row,) in db.execute("PRAGMA integrity_check"):  # rows come one by one, and damage may stop them
            found += [line for line in row.splitlines() if line != "ok" and not line.startswith("***")]
        orphans = Counter((r[0], r[2]) for r in db.execute("PRAGMA foreign_key_check"))
    except sqlite3.OperationalError:
        raise
    except sqlite3.DatabaseError as exc:  # corrupt, or not a database past its first page
        return tuple(dict.fromkeys((*found, str(exc))))  # integrity_check's last row may be that error too
    return (*found, *(f"{n} row(s) of {table} name a missing {parent} row" for (table, parent), n in orphans.items()))


def _counts(db: sqlite3.Connection) -> tuple[dict[str, int], dict[str, int]]:
    runs = {r[0]: r[1] for r in db.execute("SELECT status, count(*) FROM runs GROUP BY status ORDER BY status")}
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    rows = {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in COUNTED if t in tables}
    return runs, rows


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _temp_beside(target: Path) -> Path:
    """An empty file in `target`'s folder (so the rename is atomic), readable as the umask says."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise LedgerError(f"{target}: cannot write the backup ({error_text(exc)})") from exc
    try:
        os.fchmod(fd, file_mode())
    finally:
        os.close(fd)
    return Path(name)


def _copy(db: sqlite3.Connection, tmp: Path) -> None:
    """SQLite's online backup in one step: a read transaction on the ledger, so one snapshot, no lock a scan needs."""
    copy = sqlite3.connect(tmp, isolation_level=None)
    try:
        db.backup(copy)
    finally:
        copy.close()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
