"""Helpers of the ledger tests: the CLI run in-process and its one error line, a run's row and a finding to record."""

from __future__ import annotations

from dataclasses import replace

from typer.testing import CliRunner, Result

from dronecheck.cli import app
from dronecheck.ledger import RunRow
from dronecheck.types import Finding
from frames import make_frame


def cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def said(text: str) -> str:
    """The text with rich's line wrapping undone."""
    return " ".join(text.split())


def one_error(result: Result) -> str:
    """The one error line of a command that failed, unwrapped; no traceback."""
    assert result.stderr.count("error:") == 1 and "Traceback" not in result.output, result.output
    return said(result.stderr)


def run_row(run_id: str = "r1", started: str = "2026-12-01T01:00:00+00:00", status: str = "done",
            flight: str = "f") -> RunRow:
    """A run of the flight `flight` from /inbox, with nothing counted yet."""
    return RunRow(run_id, flight, "/inbox", None, "s", "cracks", "m.pt", "x", started, None, status, None, 0, 0, 0, 0,
                  None, None, None)


def finding(frame_sha: str, n: int, name: str = "a.JPG") -> Finding:
    frame = replace(make_frame(name=name), sha256=frame_sha)
    return Finding(f"id{frame_sha[:1]}{n}", frame, 0, "crack", 0.5 + n / 100, (1.0, 2.0, 3.0, 4.0), "nadir",
                   point=(5.0, 52.0), footprint=((5.0, 52.0), (5.1, 52.0), (5.0, 52.1), (5.0, 52.0)),
                   line=((5.0, 52.0), (5.01, 52.01)))
