"""One scan at a time per ledger: an OS file lock beside the ledger, and a note of who holds it.

The lock itself is `filelock`'s (flock on Unix): the kernel drops it when its process dies,
kill -9 included, so a dead scan never blocks the next one. The holder's note (pid, host,
start time) is written beside it so that a refusal can say who runs, and so that a scan
that takes a lock whose note was never cleared knows it took over from a dead one.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from filelock import FileLock, Timeout

from dronecheck.errors import LedgerError, LockedError

log = logging.getLogger("dronecheck")


def holder(note: Path) -> dict[str, object]:
    try:
        return json.loads(note.read_text())
    except (OSError, ValueError):
        return {}


def describe(info: dict[str, object]) -> str:
    if not info:
        return "another scan"
    return f"pid {info.get('pid')} on {info.get('host')}, since {info.get('since')}"


def _write_note(note: Path) -> None:
    """Who holds the lock, for the scan that finds it taken."""
    try:
        note.write_text(json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                                    "since": datetime.now(UTC).isoformat(timespec="seconds")}))
    except OSError as exc:
        raise LedgerError(f"{note}: cannot write the lock's note ({exc.strerror or exc})") from exc


@contextmanager
def ledger_lock(ledger: Path, wait: float | None = 0) -> Iterator[None]:
    """Hold the lock of `ledger` for the block. `wait`: seconds to wait, None for as long as it takes.

    Raises LockedError, naming the holder, when the lock is still taken after `wait`.
    """
    path, note = ledger.with_name(ledger.name + ".lock"), ledger.with_name(ledger.name + ".lock.json")
    lock = FileLock(path, timeout=-1 if wait is None else wait)
    started = time.monotonic()
    try:
        ledger.parent.mkdir(parents=True, exist_ok=True)
        lock.acquire(poll_interval=0.5)
    except Timeout:
        raise LockedError(f"{ledger} is locked by {describe(holder(note))}; "
                          "use --wait to wait for it") from None
    except OSError as exc:  # a read-only or full disk, a folder that is not one's own
        raise LedgerError(f"{path}: cannot take the ledger's lock ({exc.strerror or exc})") from exc
    try:
        waited = time.monotonic() - started
        if waited > 1:
            log.info("waited %.0f s for the lock of %s", waited, ledger)
        if stale := holder(note):
            log.warning("took over the lock of %s left by a scan that died (%s)", ledger, describe(stale))
        _write_note(note)
        yield
    finally:
        note.unlink(missing_ok=True)
        lock.release()
