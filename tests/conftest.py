"""Shared fixtures: the real demo flight, the real shipped model, scans run through the real CLI."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dronecheck.cli import app
from postgres import Server, bindir, temporary_server

collect_ignore = ["qgis_layers.py"]  # run by the system's Python, which has PyQGIS (tests/test_gis.py)

ROOT = Path(__file__).resolve().parents[1]
FLIGHT = ROOT / "datasets" / "sample-flight"
CRACKS_WEIGHTS = ROOT / "weights" / "cracks-yolo11n.pt"


def pytest_report_header() -> list[str]:
    names = ("ultralytics", "torch", "pyproj", "pillow", "numpy")
    return ["versions: " + ", ".join(f"{n} {version(n)}" for n in names)]


@pytest.fixture(autouse=True, scope="session")
def _own_ultralytics_config(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep Ultralytics settings and fonts of the test session out of the user's home."""
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache"))


@dataclass
class Scan:
    exit_code: int
    output: str
    run_dir: Path | None


def run_scan(path: Path, out: Path, *args: str) -> Scan:
    result = CliRunner().invoke(app, ["scan", str(path), "--out", str(out), *args])
    runs = sorted(out.glob("*/*/run.json"))
    return Scan(result.exit_code, result.output, runs[-1].parent if runs else None)


def features(run_dir: Path) -> list[dict]:
    """The features of the run's findings.geojson."""
    return json.loads((run_dir / "findings.geojson").read_text())["features"]


def ids(scan: Scan) -> set[str]:
    assert scan.run_dir is not None
    return {f["id"] for f in features(scan.run_dir)}


def dronecheck(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "dronecheck", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def signal_when(victim: subprocess.Popen, cond: Callable[[], bool], sig: int, *, timeout_s: float) -> None:
    """Send `victim` the signal `sig` once `cond()` holds, `victim` has ended, or `timeout_s` seconds have passed,
    whichever comes first (the caller's asserts tell which it was)."""
    deadline = time.monotonic() + timeout_s
    while not cond() and victim.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    victim.send_signal(sig)


def errors(stderr: str) -> list[str]:
    """The lines of `stderr` that are errors."""
    return [line for line in stderr.splitlines() if line.startswith("error:")]


def events(stderr: str) -> list[dict[str, object]]:
    """The JSON log lines (--log-json) of `stderr`, read."""
    return [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]


def photos_done(ledger: Path) -> int:
    try:
        with sqlite3.connect(ledger, timeout=1) as db:
            return db.execute("SELECT count(*) FROM photos").fetchone()[0]
    except sqlite3.OperationalError:  # not created yet
        return 0


def photos(n: int | None = None) -> list[Path]:
    return sorted(FLIGHT.glob("*.JPG"))[:n]


def copy_photos(dest: Path, n: int) -> list[Path]:
    dest.mkdir(parents=True, exist_ok=True)
    return [Path(shutil.copy(p, dest / p.name)) for p in photos(n)]


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Scan:
    """One scan of the whole demo flight, shared by the tests that only read its outputs."""
    scan = run_scan(FLIGHT, tmp_path_factory.mktemp("outputs"), "--profile", "cracks")
    assert scan.exit_code == 0, scan.output
    return scan


@pytest.fixture(scope="session")
def roads_demo(tmp_path_factory: pytest.TempPathFactory) -> Scan:
    """The demo flight scanned with the roads profile (five RDD2022 damage classes)."""
    scan = run_scan(FLIGHT, tmp_path_factory.mktemp("roads-outputs"), "--profile", "roads")
    assert scan.exit_code == 0, scan.output
    return scan


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Server]:
    """A PostgreSQL server of the session's own (tests/postgres.py). Without PostgreSQL installed its tests are
    skipped, except in CI (.ci/run installs it), where that is a failure."""
    if bindir() is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed: .ci/run installs Debian's postgresql package")
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    with temporary_server() as server:
        yield server


_databases = itertools.count(1)


@pytest.fixture
def pg_url(pg_server: Server) -> str:
    """The URL of a new empty database on the session's server."""
    return pg_server.create(f"test{next(_databases)}")


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_at(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """Where a new ledger goes, once for each backend: a file in tmp_path, or a new PostgreSQL database."""
    return tmp_path / "ledger.sqlite" if request.param == "sqlite" else request.getfixturevalue("pg_url")
