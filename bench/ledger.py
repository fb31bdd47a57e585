"""Benchmark: batches committed per second to the ledger, SQLite against PostgreSQL.

Each commit is what a scan commits after each model call: `record_batch` of `--frames` frames
(default 4, the default batch) with `--findings` findings each, in one transaction. SQLite as a
scan opens it (WAL, synchronous=FULL) in a temporary folder; PostgreSQL a server of its own
started for the run (tests/postgres.py, as shipped: fsync on, synchronous_commit on) on a Unix
socket, or the database of `--url`. Both are on this machine's disk, so the figures say what
the commit costs, not what a network to a shared database adds.

    .venv/bin/python bench/ledger.py                  # 2,000 batches on each
    .venv/bin/python bench/ledger.py --batches 500 --url postgresql://scan@db.example/bench
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from dronecheck.ledger import RunRow, Where, open_ledger
from dronecheck.types import Camera, Finding, Frame, Pose

ROOT = Path(__file__).resolve().parents[1]
FRAME = Frame(Path("/inbox/flight/DJI_0001.JPG"), "0" * 64,
              Camera(5472, 3648, make="DJI", model="FC6310", focal_mm=8.8, focal_px=3648.0),
              Pose(lat=52.0, lon=5.0, altitude_rel_m=80.0, gimbal_yaw_deg=0.0, gimbal_pitch_deg=-90.0,
                   gimbal_roll_deg=0.0))


def batch(n: int, frames: int, findings: int) -> tuple[list[Frame], list[Finding]]:
    """Batch `n`: frames of distinct photos, each with its findings."""
    shown = [replace(FRAME, path=FRAME.path.with_name(f"DJI_{n:05d}_{i}.JPG"), sha256=f"{n:060d}{i:04d}")
             for i in range(frames)]
    return shown, [Finding(f"{f.sha256[-8:]}{k}", f, 0, "crack", 0.6, (10.0, 20.0, 110.0, 220.0), "nadir",
                           point=(5.0, 52.0), footprint=((5.0, 52.0), (5.001, 52.0), (5.0, 52.001), (5.0, 52.0)))
                   for f in shown for k in range(findings)]


def commits_per_second(where: Where, batches: int, frames: int, findings: int) -> float:
    work = [batch(n, frames, findings) for n in range(batches)]
    with open_ledger(where) as ledger:
        ledger.start_run(RunRow("bench", "flight", "/inbox", None, "s", "cracks", "m.pt", "x",
                                "2026-12-01T01:00:00+00:00", None, "running", None, 0, 0, 0, 0, None, None, None))
        started = time.perf_counter()
        for shown, found in work:
            ledger.record_batch("bench", "s", shown, found, {f.id: f"crops/{f.id}.jpg" for f in found}, [])
        return batches / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", type=int, default=2000)
    parser.add_argument("--frames", type=int, default=4, help="frames per batch")
    parser.add_argument("--findings", type=int, default=2, help="findings per frame")
    parser.add_argument("--url", help="a PostgreSQL database to use (its ledger tables are made there)")
    args = parser.parse_args()
    sizes = (args.batches, args.frames, args.findings)
    with tempfile.TemporaryDirectory() as folder:
        sqlite = commits_per_second(Path(folder) / "ledger.sqlite", *sizes)
    if args.url:
        postgres = commits_per_second(args.url, *sizes)
    else:
        sys.path.insert(0, str(ROOT / "tests"))
        from postgres import temporary_server

        with temporary_server(durable=True) as server:
            postgres = commits_per_second(server.create("bench"), *sizes)
    print(f"batches of {args.frames} frames ({args.frames * args.findings} findings), {args.batches} commits each")
    print(f"SQLite      {sqlite:8.0f} commits/s  ({1000 / sqlite:.2f} ms each)")
    print(f"PostgreSQL  {postgres:8.0f} commits/s  ({1000 / postgres:.2f} ms each)")


if __name__ == "__main__":
    main()
