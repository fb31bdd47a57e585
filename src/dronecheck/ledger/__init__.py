"""What dronecheck remembers between runs: the ledger, in an SQLite file (`sqlite`) or a PostgreSQL database
(`postgres`), with one set of methods (`base`) over the same records (`records`); the lock that keeps two scans
off one ledger (`lock`, or the database's own in `postgres`); and its check and backup (`maintenance`).

A ledger is named by a Path (SQLite) or a postgresql:// URL (a str).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path

from dronecheck.errors import LedgerError
from dronecheck.ledger.base import Ledger
from dronecheck.ledger.lock import ledger_lock
from dronecheck.ledger.records import RunRow, WorkerRow, is_url, shown
from dronecheck.ledger.sqlite import SQLiteLedger

Where = Path | str  # an SQLite file, or a PostgreSQL URL

__all__ = ["Ledger", "RunRow", "Where", "WorkerRow", "existing", "is_url", "open_ledger", "scan_lock", "shown"]


def open_ledger(where: Where, *, read_only: bool = False) -> Ledger:
    """The ledger at `where`, for writing (made where there is none, its schema brought up to date) or
    `read_only` (it must be there, and nothing is changed)."""
    if isinstance(where, Path):
        return SQLiteLedger(where, read_only=read_only)
    from dronecheck.ledger.postgres import PostgresLedger

    return PostgresLedger(_url(where), read_only=read_only)


def scan_lock(where: Where, wait: float | None = 0, shared: bool = False) -> AbstractContextManager[None]:
    """The lock a scan holds for its whole run: a file beside an SQLite ledger (one scan at a time), an advisory
    lock in PostgreSQL, `shared` by the scans that share the ledger (`ledger migrate` holds it alone).
    `wait` as `lock.ledger_lock` takes it."""
    if isinstance(where, Path):
        return ledger_lock(where, wait)
    from dronecheck.ledger import postgres

    return postgres.ledger_lock(_url(where), wait, shared)


def existing(found: Sequence[Where]) -> list[Where]:
    """The ledgers of `found` that exist (a config's inbox not scanned yet has none; a database is taken to exist,
    opening it says when it does not); LedgerError when none does."""
    there = [w for w in found if not isinstance(w, Path) or w.exists()]
    if not there:
        looked = ", ".join(shown(w) for w in found)
        raise LedgerError(f"no ledger found (looked for {looked}); scan something first")
    return there


def _url(where: str) -> str:
    if not is_url(where):
        raise LedgerError(f"{shown(where)}: a ledger is a file path or a postgresql:// URL")
    return where
