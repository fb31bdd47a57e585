"""Faults a nightly run meets, survived with nothing lost: SIGTERM, a full disk, a read-only output
folder, an output folder on another filesystem than the temp folder.

A fault ends the scan with one line and a documented exit code; what the ledger committed stays,
and the next scan goes on from there to the findings of a run that met no fault.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import FLIGHT, ROOT, Scan, dronecheck, errors, events, ids, photos_done, run_scan, signal_when

pytestmark = pytest.mark.slow  # these tests run the model


def scan_process(out: Path, *args: str, limit_bytes: int | None = None, env: dict[str, str] | None = None
                 ) -> subprocess.CompletedProcess[str]:
    """The demo flight scanned in a process of its own, its files held to `limit_bytes` each (RLIMIT_FSIZE:
    a write past it fails as on a full disk)."""

    def limited() -> None:
        if limit_bytes is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails (EFBIG) instead of killing the process
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    return subprocess.run([sys.executable, "-m", "dronecheck", "scan", str(FLIGHT), "--out", str(out), *args],
                          capture_output=True, text=True, timeout=300, cwd=ROOT, preexec_fn=limited,
                          env={**os.environ, **(env or {})})


def statuses(ledger: Path) -> list[str]:
    with sqlite3.connect(ledger) as db:
        return [row[0] for row in db.execute("SELECT status FROM runs ORDER BY started")]


def resumes_to_the_demo(out: Path, demo: Scan, *args: str) -> None:
    """The next scan takes up the run the fault stopped and ends with the demo's findings, in one run folder."""
    rerun = run_scan(FLIGHT, out, *args)
    assert rerun.exit_code == 0, rerun.output
    assert "resumed" in rerun.output and len(list(out.glob("*/*/run.json"))) == 1
    assert ids(rerun) == ids(demo)
    assert rerun.run_dir is not None and not list(rerun.run_dir.rglob("*.tmp"))


def mount_tmpfs(point: Path, options: str) -> None:
    point.mkdir(exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small filesystem here: {done.stderr.decode().strip()}")


@pytest.fixture
def tiny_fs(tmp_path: Path) -> Iterator[Path]:
    """A 192 KiB filesystem of the test's own (a tmpfs): a real "No space left on device"."""
    point = tmp_path / "tiny"
    mount_tmpfs(point, "size=192k")
    yield point
    subprocess.run(["umount", "-l", str(point)], check=False)


def test_sigterm_commits_the_batch_in_flight_records_interrupted_and_the_next_scan_completes(
        demo: Scan, tmp_path: Path) -> None:
    out = tmp_path / "out"
    ledger = out / "ledger.sqlite"
    victim = dronecheck("scan", str(FLIGHT), "--out", str(out), "--batch", "2", "--log-json")
    signal_when(victim, lambda: photos_done(ledger) >= 2, signal.SIGTERM, timeout_s=120)
    _, stderr = victim.communicate(timeout=120)
    assert victim.returncode == 6, stderr[-2000:]
    done = photos_done(ledger)
    assert 2 <= done < 10 and done % 2 == 0, "whole batches only"
    assert statuses(ledger) == ["interrupted"]
    assert "run_interrupted" in {e.get("event") for e in events(stderr)}
    assert "SIGTERM: stopping after the batch in flight" in stderr and "Traceback" not in stderr
    (run_dir,) = (out / "sample-flight").iterdir()
    assert not (run_dir / "findings.geojson").exists()  # written when the run is taken up again
    resumes_to_the_demo(out, demo)


def test_a_run_taken_up_again_says_what_was_blurred_in_all_of_it(roads_demo: Scan, tmp_path: Path) -> None:
    out = tmp_path / "out"
    victim = dronecheck("scan", str(FLIGHT), "--out", str(out), "--profile", "roads", "--batch", "2")
    signal_when(victim, lambda: photos_done(out / "ledger.sqlite") >= 4, signal.SIGTERM, timeout_s=300)
    _, stderr = victim.communicate(timeout=300)
    assert victim.returncode == 6, stderr[-2000:]
    with sqlite3.connect(out / "ledger.sqlite") as db:
        first = [json.loads(f).get("blurred") for (f,) in db.execute("SELECT frame FROM photos")]
    assert any(first), "the first try blurred something: the rerun must count it too"
    rerun = run_scan(FLIGHT, out, "--profile", "roads")
    assert rerun.exit_code == 0 and "resumed" in rerun.output, rerun.output
    assert roads_demo.run_dir is not None and rerun.run_dir is not None
    expected = json.loads((roads_demo.run_dir / "run.json").read_text())["blur"]
    assert expected["photos"] >= 2 and sum(expected["boxes"].values()) > 0
    assert json.loads((rerun.run_dir / "run.json").read_text())["blur"] == expected  # not only the second try's


def test_a_file_size_limit_mid_scan_is_one_line_and_exit_1_and_the_next_scan_completes(
        demo: Scan, tmp_path: Path) -> None:
    out = tmp_path / "out"
    full = scan_process(out, "--batch", "2", limit_bytes=256 * 1024)  # a photo view or the ledger's WAL outgrows it
    assert full.returncode == 1, full.stderr[-2000:]
    [line] = errors(full.stderr)
    assert "ledger.sqlite: disk I/O error" in line or ".jpg: cannot write (File too large)" in line, line
    assert "Traceback" not in full.stderr
    assert photos_done(out / "ledger.sqlite") < 10
    resumes_to_the_demo(out, demo)


def test_a_full_filesystem_under_the_ledger_is_one_line_and_nothing_committed_is_lost(
        demo: Scan, tmp_path: Path) -> None:
    small = tmp_path / "small"
    mount_tmpfs(small, "size=320k")  # the ledger and its WAL outgrow it after about half the flight
    try:
        out, ledger = tmp_path / "out", small / "ledger.sqlite"
        full = scan_process(out, "--batch", "2", "--ledger", str(ledger))
        assert full.returncode == 1, full.stderr[-2000:]
        [line] = errors(full.stderr)
        assert f"{ledger}: database or disk is full" in line, line
        assert "Traceback" not in full.stderr
        assert 0 < photos_done(ledger) < 10
        subprocess.run(["mount", "-o", "remount,size=16m", str(small)], check=True)
        resumes_to_the_demo(out, demo, "--ledger", str(ledger))
    finally:
        subprocess.run(["umount", "-l", str(small)], check=False)


def test_a_full_filesystem_under_the_outputs_is_one_line_and_the_next_scan_writes_them(
        demo: Scan, tmp_path: Path, tiny_fs: Path) -> None:
    out, ledger = tiny_fs / "out", tmp_path / "ledger.sqlite"
    full = scan_process(out, "--ledger", str(ledger))
    assert full.returncode == 1, full.stderr[-2000:]
    [line] = errors(full.stderr)
    assert str(tiny_fs) in line and "cannot write (No space left on device)" in line, line
    assert statuses(ledger) == ["running"]  # left for the next scan to take up, as after a kill
    subprocess.run(["mount", "-o", "remount,size=16m", str(tiny_fs)], check=True)
    resumes_to_the_demo(out, demo, "--ledger", str(ledger))


def test_a_read_only_output_folder_is_one_line_and_exit_1(tmp_path: Path) -> None:
    out = tmp_path / "read-only"
    if os.geteuid() == 0:  # root writes through file modes: it takes a read-only filesystem
        mount_tmpfs(out, "size=1m,ro")
    else:
        out.mkdir()
        out.chmod(0o555)
    try:
        for args in ([], ["--ledger", str(tmp_path / "ledger.sqlite")]):
            result = scan_process(out, *args)
            assert result.returncode == 1, result.stderr[-2000:]
            [line] = errors(result.stderr)
            assert str(out) in line and ("Read-only file system" in line or "Permission denied" in line), line
            assert "Traceback" not in result.stderr and not list(out.iterdir())
    finally:
        if os.geteuid() == 0:
            subprocess.run(["umount", "-l", str(out)], check=False)


def test_an_output_folder_on_another_filesystem_than_the_temp_folder(demo: Scan, tmp_path: Path) -> None:
    shm = Path("/dev/shm")
    if not shm.is_dir() or shm.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("no second filesystem (/dev/shm) here")
    out = shm / f"dronecheck-test-{os.getpid()}-{time.monotonic_ns()}"
    try:
        result = scan_process(out, env={"TMPDIR": str(tmp_path)})
        assert result.returncode == 0, result.stderr[-2000:]
        [run_dir] = [p.parent for p in out.glob("*/*/run.json")]
        assert ids(Scan(0, "", run_dir)) == ids(demo) and not list(out.rglob("*.tmp"))
    finally:
        subprocess.run(["rm", "-rf", str(out)], check=False)
