"""`--executor ray`: decoding in Ray tasks, detection in Ray actors, on one local Ray cluster started once for the
module with 2 CPUs; the findings must be the plain executor's, whatever happens to the actors."""

from __future__ import annotations

import ipaddress
import json
import os
import signal
import socket
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from conftest import FLIGHT, Scan, copy_photos, dronecheck, errors, features, ids, run_scan

pytestmark = pytest.mark.slow  # these tests run the model

os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
ray = pytest.importorskip("ray")

from dronecheck.pipeline import executors  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def cluster() -> Iterator[None]:
    """One local cluster for the module: 2 CPUs, no dashboard, every port on the loopback; scans in this
    process join it (executors.start_ray), and it is shut down after the module."""
    ray.init(num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1", configure_logging=False,
             log_to_driver=False)
    yield
    ray.shutdown()


def ledger_photos(out: Path) -> list[str]:
    with sqlite3.connect(out / "ledger.sqlite") as db:
        return [row[0] for row in db.execute("SELECT sha256 FROM photos")]


def test_ray_gives_the_findings_of_the_plain_executor_and_opens_no_outbound_connection(demo: Scan,
                                                                                      tmp_path: Path) -> None:
    scan = run_scan(FLIGHT, tmp_path / "out", "--profile", "cracks", "--executor", "ray", "--workers", "2")
    assert scan.exit_code == 0, scan.output
    assert ids(scan) == ids(demo)
    assert {p.stem for p in (scan.run_dir / "crops").iterdir()} == ids(demo)
    record = json.loads((scan.run_dir / "run.json").read_text())
    assert record["counts"]["photos_scanned"] == 10

    try:
        from ray._common.usage import usage_lib
    except ImportError:  # Ray before 2.4x kept it here
        from ray._private.usage import usage_lib  # type: ignore[no-redef]
    assert not usage_lib.usage_stats_enabled()
    ours = [psutil.Process(), *psutil.Process().children(recursive=True)]  # the driver, GCS, raylet, workers
    assert len(ours) > 3, "the Ray processes are children of this one"
    here = {ipaddress.ip_address(a.address.split("%")[0]) for addrs in psutil.net_if_addrs().values() for a in addrs
            if a.family in (socket.AF_INET, socket.AF_INET6)}  # this machine's own addresses

    def local(ip: str) -> bool:
        address = ipaddress.ip_address(ip)
        address = getattr(address, "ipv4_mapped", None) or address
        return address.is_loopback or address in here
    for proc in ours:
        try:
            conns = proc.net_connections(kind="inet")
        except psutil.NoSuchProcess:
            continue
        for c in conns:
            if c.raddr:
                assert local(c.raddr.ip), f"{proc.name()} connects to {c.raddr}, off this machine"


def test_actors_killed_midway_lose_nothing_and_double_nothing(demo: Scan, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Once the first batch is back, one actor is killed through Ray (and restarted by it) and the other's
    process with SIGKILL, with batches in flight on both: Ray restarts them and retries their batches."""
    killed: list[int] = []
    original = executors.RayExecutor.detected

    def detected(self: executors.RayExecutor, *args: object) -> Iterator[executors.Detected]:
        for n, result in enumerate(original(self, *args)):
            if n == 0:
                ray.kill(self.actors[0], no_restart=False)
                os.kill(self.pids[1], signal.SIGKILL)
                killed.extend(self.pids)
            yield result
        restarted = ray.get([a.pid.remote() for a in self.actors], timeout=60)
        assert set(restarted).isdisjoint(killed), "both actors are new processes"

    monkeypatch.setattr(executors.RayExecutor, "detected", detected)
    out = tmp_path / "out"
    scan = run_scan(FLIGHT, out, "--profile", "cracks", "--executor", "ray", "--workers", "2", "--batch", "2")
    assert scan.exit_code == 0, scan.output
    assert len(killed) == 2
    assert ids(scan) == ids(demo)
    done = ledger_photos(out)
    assert len(done) == len(set(done)) == 10, "each photo once in the ledger"
    findings = [f["id"] for f in features(scan.run_dir)]
    assert len(findings) == len(set(findings))


def test_no_ray_installed_is_one_line_and_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy_photos(tmp_path / "flight", 1)
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    scan = run_scan(tmp_path / "flight", tmp_path / "out", "--executor", "ray")
    assert scan.exit_code == 2, scan.output
    assert "Ray is not installed" in scan.output and "Traceback" not in scan.output
    assert len(scan.output.strip().splitlines()) == 1


def test_a_bad_address_is_one_line_and_exit_1(tmp_path: Path) -> None:
    copy_photos(tmp_path / "flight", 1)
    proc = dronecheck("scan", str(tmp_path / "flight"), "--out", str(tmp_path / "out"), "--executor", "ray",
                      "--address", "127.0.0.1:1")
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 1, stderr
    lines = errors(stderr)
    assert lines == [line for line in stderr.splitlines() if line.strip()], stderr
    assert "cannot reach the Ray cluster" in lines[0]


def test_ray_options_need_the_ray_executor(tmp_path: Path) -> None:
    copy_photos(tmp_path / "flight", 1)
    scan = run_scan(tmp_path / "flight", tmp_path / "out", "--workers", "2")
    assert scan.exit_code == 2 and "only with --executor ray" in scan.output
