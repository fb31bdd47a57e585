"""`dronecheck review apply FILE`: a verdicts file into the ledger, and the run's outputs written again with them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from dronecheck.errors import VerdictError
from dronecheck.ledger import Where, existing, open_ledger, shown
from dronecheck.pipeline.history import write_report_again
from dronecheck.review.verdicts_file import read_verdicts_file
from dronecheck.run import RunResult


@dataclass(frozen=True)
class Applied:
    run: RunResult  # the run written again, with its verdicts
    ledger: str  # where they were recorded, as it may be shown
    recorded: int  # verdicts recorded from the file


def holder(ledgers: Sequence[Where], run_id: str) -> Where:
    """The first of `ledgers` (that exist) that has run `run_id`; VerdictError when none has."""
    there = existing(ledgers)
    for where in there:
        with open_ledger(where, read_only=True) as ledger:
            if ledger.run(run_id) is not None:
                return where
    raise VerdictError(f"no run {run_id!r} in {', '.join(shown(w) for w in there)} (see `dronecheck runs`)")


def apply_file(path: Path, ledgers: Sequence[Where], reviewer: str) -> Applied:
    """Record the verdicts of the file at `path` in the ledger that has its run, and write that run's outputs
    (report.html, GeoJSON, GeoPackage, CSV, KML) again so they carry them. VerdictError (one line naming the
    file) for a file that is no verdicts file, of a run no ledger has, or with a verdict that cannot be kept:
    then nothing is recorded."""
    flight, run_id, verdicts = read_verdicts_file(path, reviewer)
    where = holder(ledgers, run_id)
    with open_ledger(where) as ledger:
        row = ledger.run(run_id)
        assert row is not None
        if flight and flight != row.flight:
            raise VerdictError(f"{path}: the file is for flight {flight!r}, but run {run_id} is of flight "
                               f"{row.flight!r}")
        try:
            n = ledger.record_verdicts(run_id, verdicts)
        except VerdictError as exc:
            raise VerdictError(f"{path}: {exc}") from None
        run = write_report_again(ledger, run_id)
    return Applied(run, shown(where), n)
