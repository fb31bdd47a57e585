"""Several scans on one inbox through a PostgreSQL ledger: claims, leases, a dead worker's work taken over, the run
finished once; and (slow) two real scans of the demo flight at once, one of them killed with kill -9."""

from __future__ import annotations

import itertools
import json
import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from conftest import FLIGHT, Scan, events, ids, signal_when
from dronecheck.cli import app
from dronecheck.ledger import Ledger, open_ledger, scan_lock
from frames import make_frame
from ledgers import run_row
from postgres import Server, count

KEYS = [f"{i:064d}" for i in range(10)]


AT_ONCE = itertools.count(1)  # names of the databases made by the open-at-once test

def claim(ledger: Ledger, n: int = 4, keys: list[str] = KEYS) -> tuple[list[str], int]:
    """What `ledger` claims, sorted (each worker goes through the keys from a place of its own), and what is left."""
    got, left = ledger.claim("r1", "s", keys, [1] * len(keys), n)
    return sorted(got), left


def commit(ledger: Ledger, keys: list[str]) -> None:
    frames = [replace(make_frame(name=f"{k[-2:]}.JPG"), sha256=k) for k in keys]
    ledger.record_batch("r1", "s", frames, [], {}, [])
    ledger.claims_done("s", keys)


def test_workers_claim_apart_and_a_dead_workers_claims_are_taken_over(pg_url: str) -> None:
    with open_ledger(pg_url) as a, open_ledger(pg_url) as b:
        a.lease_s = 1.0
        with a.starting():
            assert a.interrupted("/inbox", "s") is None
            a.join(run_row(status="running"))
        with b.starting():
            joined = b.interrupted("/inbox", "s")  # a is live: its run is open, to join
            assert joined is not None and joined.run_id == "r1" and joined.status == "running"
            b.join(joined)
        assert a.worker != b.worker and a.worker and a.worker.split(":")[1].isdigit()
        (a1, left), (b1, left_b) = claim(a), claim(b)
        assert len(a1) == len(b1) == 4 and not set(a1) & set(b1) and (left, left_b) == (6, 2)
        commit(b, b1)
        b2, left = claim(b, 4)
        assert len(b2) == 2 and left == 0 and not set(b2) & set(a1 + b1)
        assert claim(b) == ([], 0) and b.outstanding("r1") == 4  # a's four, its lease still running
        time.sleep(1.5)  # a's session is still open, but its lease is over: it is taken for stuck
        assert b.outstanding("r1") == 0
        assert claim(b) == (a1, 0)
        commit(b, a1 + b2)
        with a.finishing("r1") as first:
            assert first
        with b.finishing("r1") as second:  # a is finishing (or did): not b
            assert not second
    with open_ledger(pg_url, read_only=True) as reader:
        assert reader.done("s") == set(KEYS)
        workers = reader.workers(["r1"])
        assert [(w.frames, w.shown_status) for w in workers] == [(0, "gone"), (10, "gone")]
        with psycopg.connect(pg_url) as db:
            assert db.execute("SELECT count(*), count(DISTINCT worker) FROM photos WHERE worker IS NOT NULL"
                              ).fetchone() == (10, 1)
            assert db.execute("SELECT count(*) FROM claims WHERE done IS NOT NULL").fetchone() == (10,)


def test_a_killed_workers_claims_are_free_at_once_and_the_run_is_finished_once(pg_url: str) -> None:
    with open_ledger(pg_url) as b:
        a = open_ledger(pg_url)
        for ledger in (a, b):
            with ledger.starting():
                ledger.join(ledger.interrupted("/inbox", "s") or run_row(status="running"))
        assert [len(x) if isinstance(x, list) else x for x in claim(a, 6)] == [6, 4]
        a.close()  # as kill -9 ends its session: no lease to wait for, only its server process to go
        deadline = time.monotonic() + 5
        while b.outstanding("r1") and time.monotonic() < deadline:
            time.sleep(0.01)
        got, left = claim(b, 10)
        assert got == KEYS and left == 0
        commit(b, KEYS)
        outcomes: list[bool] = []
        c = open_ledger(pg_url)
        with c.starting():
            c.join(c.interrupted("/inbox", "s") or run_row("other", status="running"))
        assert c.workers(["r1"])[-1].run_id == "r1"  # a third scan joins the open run
        with b.finishing("r1") as first:
            outcomes.append(first)
            waiter = threading.Thread(target=lambda: outcomes.append(c.finishing("r1").__enter__()))
            waiter.start()
            time.sleep(0.3)
            assert outcomes == [True] and waiter.is_alive()  # c waits for b's outputs
            b.finish_run("r1", status="done")
        waiter.join(10)
        assert outcomes == [True, False]
        c.close()
        assert claim(b) == ([], 0)  # a finished run gives no more claims
        assert [w.shown_status for w in b.workers(["r1"])] == ["gone", "running", "gone"]


def test_scans_share_the_postgresql_lock_and_ledger_migrate_waits_for_them(pg_url: str) -> None:
    with scan_lock(pg_url, shared=True), scan_lock(pg_url, shared=True):
        result = CliRunner().invoke(app, ["ledger", "migrate", "--ledger", pg_url])
        assert result.exit_code == 5 and "is locked by pid" in result.output


def test_workers_that_open_a_new_database_at_once_all_open_it(pg_server: Server) -> None:
    failures: list[str] = []
    for _ in range(15):  # the loser of the migration lock used to make the tables again: most tries failed
        url, start = pg_server.create(f"at_once{next(AT_ONCE)}"), threading.Barrier(4)

        def open_it(url: str = url, start: threading.Barrier = start) -> None:
            start.wait()
            try:
                with open_ledger(url) as ledger:
                    assert ledger.version() == ledger.latest
            except Exception as exc:  # noqa: BLE001 -- every failure is collected and shown
                failures.append(str(exc))

        workers = [threading.Thread(target=open_it) for _ in range(4)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(60)
    assert failures == []


def test_sqlite_ledgers_stay_one_scan_at_a_time(tmp_path: Path) -> None:
    with open_ledger(tmp_path / "ledger.sqlite") as ledger:
        assert not ledger.shared and ledger.workers(["r1"]) == []
        with ledger.starting():
            pass


# -- with the detector ------------------------------------------------------------------------------

def scan_args(out: Path, url: str) -> list[str]:
    return [sys.executable, "-m", "dronecheck", "scan", str(FLIGHT), "--profile", "cracks", "--out", str(out),
            "--batch", "2", "--ledger", url, "--log-json"]


def work_of(url: str) -> dict[str, set[str]]:
    with psycopg.connect(url) as db:
        rows = db.execute("SELECT worker, sha256 FROM photos").fetchall()
    found: dict[str, set[str]] = {}
    for worker, sha in rows:
        found.setdefault(worker, set()).add(sha)
    return found


@pytest.mark.slow
def test_two_scans_on_one_inbox_do_each_photo_once_and_give_the_findings_of_one(demo: Scan, pg_url: str,
                                                                                  tmp_path: Path) -> None:
    out = tmp_path / "out"
    scans = [subprocess.Popen(scan_args(out, pg_url), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    results = [s.communicate(timeout=600) for s in scans]
    codes = sorted(s.returncode for s in scans)
    assert codes in ([0, 0], [0, 4]), results
    (run_dir,) = (out / "sample-flight").iterdir()  # one run, one folder
    assert ids(Scan(0, "", run_dir)) == ids(demo)
    assert count(pg_url, "SELECT count(*) FROM photos") == 10
    assert count(pg_url, "SELECT count(*) FROM claims WHERE done IS NOT NULL") == 10
    assert count(pg_url, "SELECT count(*) FROM findings") == len(ids(demo))
    work = list(work_of(pg_url).values())
    assert sum(len(w) for w in work) == 10 and len(set().union(*work)) == 10  # each photo by one worker
    assert len(work) == 2 and all(work), "both workers scanned photos"
    batches = [e for _, err in results for e in events(err) if e.get("event") == "batch_done"]
    assert batches and all({"worker", "frames_per_s", "queue_depth"} <= e.keys() for e in batches)
    assert {e["run"] for e in batches} == {run_dir.name}
    started = [[e for e in events(err) if e.get("event") == "run_started"] for _, err in results]
    assert [len(s) for s in started] == [1, 1], "each worker starts once, however many batches it claims"
    listed = CliRunner().invoke(app, ["runs", "--ledger", pg_url, "--json", "--workers"])
    (row,) = json.loads(listed.stdout)
    assert row["status"] == "done" and row["frames_scanned"] == 10
    assert sum(w["frames"] for w in row["workers"]) == 10 and len(row["workers"]) == 2
    assert sorted(w["status"] for w in row["workers"]) in (["done", "finished"], ["finished", "finished"])


@pytest.mark.slow
def test_kill_9_of_one_of_two_scans_loses_nothing_and_doubles_nothing(demo: Scan, pg_url: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    victim = subprocess.Popen(scan_args(out, pg_url), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while count(pg_url, "SELECT count(*) FROM workers") < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    other = subprocess.Popen(scan_args(out, pg_url), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    signal_when(victim, lambda: count(pg_url, "SELECT count(*) FROM photos") >= 2, signal.SIGKILL,
                timeout_s=deadline - time.monotonic())  # what is left of the deadline above
    victim.wait()
    assert victim.returncode == -signal.SIGKILL, "the scan ended before it could be killed"
    assert count(pg_url, "SELECT count(*) FROM photos") < 10
    _, stderr = other.communicate(timeout=600)
    assert other.returncode == 0, stderr[-2000:]  # the survivor took over the dead worker's claims and finished
    (run_dir,) = (out / "sample-flight").iterdir()
    assert ids(Scan(0, "", run_dir)) == ids(demo)
    assert json.loads((run_dir / "run.json").read_text())["counts"]["photos_scanned"] == 10
    assert count(pg_url, "SELECT count(*) FROM photos") == 10
    assert count(pg_url, "SELECT count(*) FROM findings") == len(ids(demo))
    assert count(pg_url, "SELECT count(DISTINCT run_id) FROM photos") == 1
