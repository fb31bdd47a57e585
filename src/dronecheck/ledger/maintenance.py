"""Looking after the ledger: check that it is sound, and back it up, while a scan may be writing it.

Both open the ledger read-only: they never create a ledger where there is none, never write into
one, and take no scan lock. They read one consistent snapshot, the batches committed when they
start, while the scan goes on committing (SQLite: WAL; PostgreSQL: a repeatable-read transaction).
Backup is SQLite's online backup; a PostgreSQL ledger is backed up with PostgreSQL's own tools.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, replace
from pathlib import Path

from dronecheck.errors import ConfigError, LedgerError
from dronecheck.ledger import Where, open_ledger, shown
from dronecheck.ledger.records import error_text
from dronecheck.ledger.sqlite import SQLiteLedger
from dronecheck.report.files import fsync_file, temp_beside


@dataclass(frozen=True)
class Health:
    """What `check` found in one ledger: its problems (none when it is sound) and what it holds."""

    path: Path | str  # the file, or the URL as it may be shown
    problems: tuple[str, ...]
    runs: dict[str, int]  # runs by status
    rows: dict[str, int]  # rows of each COUNTED table the ledger has
    size: int  # bytes of the file, or of the tables in PostgreSQL
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


def check(where: Where) -> Health:
    """The soundness of the ledger at `where`, and its counts. SQLite: integrity_check and foreign_key_check;
    PostgreSQL: its tables and schema version (the database looks after its own pages and foreign keys).

    Raises LedgerError when it cannot be opened at all (no file, not SQLite, its first pages
    damaged, no database there, a schema newer than this dronecheck); damage found further in is in `problems`.
    """
    with open_ledger(where, read_only=True) as ledger, ledger.snapshot():
        problems = ledger.problems()
        runs, rows = ({}, {}) if problems else ledger.counts()
        size, wal_size = ledger.sizes()
    return Health(ledger.path, problems, runs, rows, size, wal_size)


def backup(source: Where, target: Path, force: bool = False) -> Health:
    """Copy the SQLite ledger at `source` to `target` with SQLite's online backup; the copy's Health.

    The copy is one snapshot (a batch a scan has not committed yet is not in it), made beside
    `target`, checked, and only then renamed onto it: `target` is never a half or damaged copy.
    """
    if not isinstance(source, Path):
        raise ConfigError(f"{shown(source)} is a PostgreSQL ledger: back it up with pg_dump (or the database's "
                          "own backups)")
    if target.exists() and source.exists() and target.samefile(source):
        raise ConfigError(f"{target} is the ledger itself: back it up to another file")
    if target.exists() and not force:
        raise ConfigError(f"{target} exists: give --force to replace it")
    with SQLiteLedger(source, read_only=True) as ledger:
        tmp = _temp_beside(target)
        try:
            _copy(ledger.db, tmp)
            health = check(tmp)
            if not health.ok:
                raise LedgerError(f"{source}: its copy is not sound ({health.problems[0]}); "
                                  "see `dronecheck ledger check`")
            fsync_file(tmp)
            os.replace(tmp, target)
        except (OSError, sqlite3.Error) as exc:  # disk full, a folder where the target goes
            raise LedgerError(f"{target}: cannot write the backup ({error_text(exc)})") from exc
        finally:
            for leftover in (tmp, tmp.with_name(tmp.name + "-wal"), tmp.with_name(tmp.name + "-shm")):
                leftover.unlink(missing_ok=True)
    return replace(health, path=target)


def _temp_beside(target: Path) -> Path:
    """An empty file in `target`'s folder (so the rename is atomic), readable as the umask says."""
    try:
        return temp_beside(target)
    except OSError as exc:
        raise LedgerError(f"{target}: cannot write the backup ({error_text(exc)})") from exc


def _copy(db: sqlite3.Connection, tmp: Path) -> None:
    """SQLite's online backup in one step: a read transaction on the ledger, so one snapshot, no lock a scan needs."""
    copy = sqlite3.connect(tmp, isolation_level=None)
    try:
        db.backup(copy)
    finally:
        copy.close()

