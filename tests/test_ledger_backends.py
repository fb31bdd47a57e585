"""The same ledger on SQLite and on PostgreSQL: records, names that are no UTF-8, schema versions and `ledger
migrate`, the scan lock, and (slow) the demo flight scanned, killed and resumed with a PostgreSQL ledger."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest

from conftest import FLIGHT, Scan, copy_photos, dronecheck, ids, run_scan, signal_when
from dronecheck.errors import LedgerError, LockedError
from dronecheck.ledger import Where, open_ledger, scan_lock
from frames import make_frame
from ledgers import cli, finding, one_error, run_row
from postgres import count

WEIRD = os.fsdecode(b"/inbox/caf\xe9 100%/DJI_\x810001.JPG")  # no UTF-8, and a % that is not an escape


def test_a_batch_comes_back_as_it_went_in(ledger_at: Where) -> None:
    frames = [replace(make_frame(name=WEIRD), sha256="a" * 64), replace(make_frame(name="b.JPG"), sha256="b" * 64)]
    findings = [replace(finding("a" * 64, 1), frame=frames[0]), replace(finding("a" * 64, 2), frame=frames[0]),
                replace(finding("b" * 64, 1), frame=frames[1])]
    failures = [(WEIRD, f"{WEIRD}: truncated\0 JPEG"), ("c.JPG", "not an image")]
    with open_ledger(ledger_at) as ledger:
        ledger.start_run(run_row("r1", "2026-12-01T01:00:00+00:00", "running", flight=os.fsdecode(b"vlucht-\xe9")))
        ledger.record_batch("r1", "s", frames, findings, {"ida1": "crops/ida1.jpg"}, failures,
                            [("v" * 64, WEIRD, 12)])
        ledger.remember_sha256(Path(WEIRD), 10, 20, "a" * 64)
    with open_ledger(ledger_at, read_only=True) as ledger:
        got_frames, got_findings, crops, got_failures = ledger.run_contents("r1")
        assert got_frames == frames and got_findings == findings and got_failures == failures
        assert crops == {"ida1": "crops/ida1.jpg"}
        assert ledger.done("s") == {"a" * 64, "b" * 64} and ledger.done("other") == set()
        assert ledger.videos_done("s") == {"v" * 64: "r1"}
        assert ledger.cached_sha256(Path(WEIRD), 10, 20) == "a" * 64
        assert ledger.cached_sha256(Path(WEIRD), 10, 21) is None
        (row,) = ledger.runs()
        assert row.flight == os.fsdecode(b"vlucht-\xe9") and row.status == "running"
        with pytest.raises(ledger.errors):  # a reader writes nothing
            ledger.clear_failures("r1")


def test_runs_newest_first_interrupted_and_each_finding_once(ledger_at: Where) -> None:
    with open_ledger(ledger_at) as ledger:
        for run_id, day in (("old", 1), ("new", 2)):
            ledger.start_run(run_row(run_id, f"2026-12-0{day}T01:00:00+00:00", "running"))
            frame = replace(make_frame(), sha256=run_id * 8)
            ledger.record_batch(run_id, f"s-{run_id}", [frame], [replace(finding("z" * 64, 1), frame=frame)], {}, [])
        assert [r.run_id for r in ledger.runs()] == ["new", "old"] and [r.run_id for r in ledger.runs(1)] == ["new"]
        resumed = ledger.interrupted("/inbox", "s")
        assert resumed is not None and resumed.run_id == "new"
        assert {r.status for r in ledger.runs()} == {"interrupted"}
        ledger.finish_run("new", status="done", findings=1, seconds=1.5, finished="2026-12-02T01:01:00+00:00")
        assert ledger.run("new") == replace(resumed, status="done", findings=1, seconds=1.5,
                                            finished="2026-12-02T01:01:00+00:00")
        assert ledger.run("none") is None
        assert [(row.run_id, f.id) for row, f, _ in ledger.all_findings()] == [("new", "idz1")]  # the newest run's
        ledger.clear_failures("new")


def test_check_counts_what_the_ledger_holds(ledger_at: Where) -> None:
    with open_ledger(ledger_at) as ledger:
        ledger.start_run(run_row("r1", "2026-12-01T01:00:00+00:00"))
        ledger.start_run(run_row("r2", "2026-12-02T01:00:00+00:00", "interrupted"))
    result = cli("ledger", "check", "--ledger", str(ledger_at))
    assert result.exit_code == 0, result.output
    assert "runs 2 (done 1, interrupted 1) · photos 0 · videos 0 · findings 0 · failures 0 ·" in result.stdout


def test_a_new_ledger_is_at_the_latest_version_and_opening_it_again_migrates_nothing(ledger_at: Where) -> None:
    latest = 2 if isinstance(ledger_at, Path) else 3  # PostgreSQL's version 2: workers and claims; then verdicts
    with open_ledger(ledger_at) as ledger:
        assert [m.version for m in ledger.migrated] == list(range(1, latest + 1))
        assert ledger.version() == ledger.latest == latest
    with open_ledger(ledger_at) as ledger:
        assert ledger.migrated == []
    migrated = cli("ledger", "migrate", "--ledger", str(ledger_at))
    assert migrated.exit_code == 0, migrated.output
    assert f"schema version {latest} (nothing to do)" in migrated.stdout


def set_version(where: Where, version: int) -> None:
    if isinstance(where, Path):
        sqlite3.connect(where, isolation_level=None).execute(f"PRAGMA user_version = {version}").connection.close()
    else:
        with psycopg.connect(where, autocommit=True) as db:
            db.execute("INSERT INTO schema_version (version, does) VALUES (%s, 'from the future')", (version,))


@pytest.mark.parametrize("command", [["runs"], ["ledger", "check"], ["ledger", "migrate"], ["export"]])
def test_a_ledger_newer_than_this_dronecheck_is_refused_in_one_line(ledger_at: Where, command: list[str],
                                                                     tmp_path: Path) -> None:
    open_ledger(ledger_at).close()
    set_version(ledger_at, 7)
    to = ["--to", str(tmp_path / "x.geojson")] if command == ["export"] else []
    result = cli(*command, "--ledger", str(ledger_at), *to)
    assert result.exit_code == 1
    latest = 2 if isinstance(ledger_at, Path) else 3
    assert (f"the ledger's schema is version 7, newer than this dronecheck knows ({latest}): upgrade dronecheck"
            in one_error(result))
    with pytest.raises(LedgerError, match="newer than this dronecheck"):  # a scan opens it for writing: refused too
        open_ledger(ledger_at)


OLD_RUNS = """CREATE TABLE runs (run_id TEXT PRIMARY KEY, flight TEXT NOT NULL, inbox TEXT NOT NULL, run_dir TEXT,
    settings TEXT NOT NULL, profile TEXT NOT NULL, model TEXT NOT NULL, model_sha256 TEXT NOT NULL,
    started TEXT NOT NULL, finished TEXT, status TEXT NOT NULL, pid INTEGER, photos_scanned INTEGER DEFAULT 0,
    photos_failed INTEGER DEFAULT 0, photos_already_done INTEGER DEFAULT 0, findings INTEGER DEFAULT 0,
    seconds REAL, exit_code INTEGER, info TEXT)"""


def test_a_ledger_from_before_videos_and_versions_is_read_after_ledger_migrate(tmp_path: Path) -> None:
    """398f63a's ledger: no videos table, run counts named photos_*, no user_version. Readers cannot read its runs:
    they say to migrate, and change nothing; `ledger migrate` brings it to version 1 with its rows."""
    ledger = tmp_path / "ledger.sqlite"
    with sqlite3.connect(ledger) as db:
        db.execute(OLD_RUNS)
        db.execute("INSERT INTO runs (run_id, flight, inbox, settings, profile, model, model_sha256, started, status, "
                   "photos_scanned) VALUES ('r0', 'f', '/inbox', 's', 'cracks', 'm.pt', 'x', '2026-11-20', 'done', 7)")
    db.close()
    before = ledger.read_bytes()
    refused = cli("runs", "--ledger", str(ledger))
    assert refused.exit_code == 1 and "run `dronecheck ledger migrate`" in one_error(refused)
    assert ledger.read_bytes() == before
    migrated = cli("ledger", "migrate", "--ledger", str(ledger))
    assert migrated.exit_code == 0, migrated.output
    assert f"{ledger}: schema version 2 (version 1: the tables of today's ledger" in " ".join(migrated.stdout.split())
    listed = cli("runs", "--ledger", str(ledger), "--json")
    assert listed.exit_code == 0, listed.output
    assert [(r["run_id"], r["frames_scanned"]) for r in json.loads(listed.stdout)] == [("r0", 7)]
    with open_ledger(ledger, read_only=True) as opened:
        assert opened.version() == 2 and opened.has_table("videos") and opened.problems() == ()


def test_ledger_migrate_makes_no_sqlite_ledger_but_makes_the_tables_of_an_empty_database(tmp_path: Path,
                                                                                       pg_url: str) -> None:
    missing = cli("ledger", "migrate", "--ledger", str(tmp_path / "none.sqlite"))
    assert missing.exit_code == 1 and "no ledger found" in one_error(missing)
    assert not (tmp_path / "none.sqlite").exists()
    reader = cli("runs", "--ledger", pg_url)
    assert reader.exit_code == 1 and "not a dronecheck ledger (a PostgreSQL database without" in one_error(reader)
    made = cli("ledger", "migrate", "--ledger", pg_url)
    assert made.exit_code == 0 and "schema version 3 (version 1: the tables of today's ledger; version 2: workers" in (
        " ".join(made.stdout.split()))


def test_check_of_a_postgresql_ledger_finds_a_missing_table_and_backup_points_to_pg_dump(pg_url: str,
                                                                                        tmp_path: Path) -> None:
    open_ledger(pg_url).close()
    with psycopg.connect(pg_url, autocommit=True) as db:
        db.execute("DROP TABLE videos")
    result = cli("ledger", "check", "--ledger", pg_url)
    assert result.exit_code == 1 and "the ledger is damaged: table videos is missing" in one_error(result)
    backup = cli("ledger", "backup", str(tmp_path / "copy.sqlite"), "--ledger", pg_url)
    assert backup.exit_code == 2 and "pg_dump" in one_error(backup)


def test_an_unreachable_database_is_one_line(tmp_path: Path) -> None:
    url = f"postgresql://scan:s3cret@/dronecheck?host={tmp_path}"
    result = cli("runs", "--ledger", url)
    assert result.exit_code == 1
    message = one_error(result)
    assert "cannot open the ledger" in message and "postgresql://scan:***@/dronecheck" in message
    assert "s3cret" not in result.output


HOLDER = """
import sys, time
from dronecheck.ledger import scan_lock
with scan_lock(sys.argv[1]):
    print("held", flush=True)
    time.sleep(120)
"""


def hold_lock(url: str) -> subprocess.Popen[str]:
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, url], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def test_the_postgresql_lock_refuses_names_the_holder_waits_and_goes_with_a_killed_holder(pg_url: str) -> None:
    holder = hold_lock(pg_url)
    try:
        with pytest.raises(LockedError, match=f"is locked by pid {holder.pid} on .*, since .*; use --wait"):
            with scan_lock(pg_url):
                pass
        started = time.monotonic()
        with pytest.raises(LockedError), scan_lock(pg_url, wait=1):
            pass
        assert 0.9 < time.monotonic() - started < 5
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    with scan_lock(pg_url, wait=10):  # the dead scan's session, and its lock, are gone
        pass


def test_a_scan_exits_5_while_another_holds_the_postgresql_ledger(pg_url: str, tmp_path: Path) -> None:
    copy_photos(tmp_path / "flight", 1)
    holder = hold_lock(pg_url)
    try:
        refused = run_scan(tmp_path / "flight", tmp_path / "out", "--ledger", pg_url)
        assert refused.exit_code == 5 and f"pid {holder.pid}" in refused.output
        waited = run_scan(tmp_path / "flight", tmp_path / "out", "--ledger", pg_url, "--wait", "--wait-timeout", "1")
        assert waited.exit_code == 5
    finally:
        holder.kill()
        holder.wait()


# -- with the detector ------------------------------------------------------------------------------

@pytest.mark.slow
def test_the_demo_flight_on_postgresql_gives_the_findings_of_sqlite_and_readers_read_it(demo: Scan, pg_url: str,
                                                                                       tmp_path: Path) -> None:
    scan = run_scan(FLIGHT, tmp_path / "out", "--profile", "cracks", "--ledger", pg_url)
    assert scan.exit_code == 0, scan.output
    assert ids(scan) == ids(demo)
    assert not (tmp_path / "out" / "ledger.sqlite").exists()
    listed = json.loads(cli("runs", "--ledger", pg_url, "--json").stdout)
    assert [r["frames_scanned"] for r in listed] == [10]
    checked = cli("ledger", "check", "--ledger", pg_url)
    assert f"photos 10 · videos 0 · findings {len(ids(demo))} · failures 0" in checked.stdout, checked.output
    target = tmp_path / "all.geojson"
    assert cli("export", "--ledger", pg_url, "--to", str(target)).exit_code == 0
    assert {f["id"] for f in json.loads(target.read_text())["features"]} == ids(demo)
    again = run_scan(FLIGHT, tmp_path / "out", "--profile", "cracks", "--ledger", pg_url)
    assert again.exit_code == 4 and "nothing to do" in again.output


@pytest.mark.slow
def test_kill_9_midway_on_postgresql_then_rerun_gives_the_findings_of_an_uninterrupted_run(demo: Scan, pg_url: str,
                                                                                          tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ("scan", str(FLIGHT), "--profile", "cracks", "--out", str(out), "--batch", "4", "--ledger", pg_url)
    victim = dronecheck(*args)
    signal_when(victim, lambda: count(pg_url, "SELECT count(*) FROM photos") >= 4, signal.SIGKILL, timeout_s=120)
    victim.wait()
    assert victim.returncode == -signal.SIGKILL, "the scan ended before it could be killed"
    assert 4 <= count(pg_url, "SELECT count(*) FROM photos") < 10
    rerun = dronecheck(*args, "--log-json")
    stdout, stderr = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, stderr
    assert "run_resumed" in {json.loads(line).get("event") for line in stderr.splitlines()}
    (run_dir,) = (out / "sample-flight").iterdir()
    assert ids(Scan(0, stdout, run_dir)) == ids(demo)
    assert json.loads((run_dir / "run.json").read_text())["counts"]["photos_scanned"] == 10
