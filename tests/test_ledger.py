"""`dronecheck ledger check` and `backup`, damaged ledgers, and readers (runs, report, export, backup) while a scan
holds the ledger's write lock: real SQLite files, the real CLI."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import Result

from conftest import Scan, copy_photos, features, ids, run_scan
from dronecheck.ledger import Where, open_ledger
from dronecheck.report.files import file_mode
from ledgers import cli, one_error, run_row, said


def small_ledger(path: Where) -> Where:
    """A real ledger with two runs and no photos, made as a scan makes it (no detector needed)."""
    with open_ledger(path) as ledger:
        for run_id, started, status in (("20261201T010000Z", "2026-12-01T01:00:00+00:00", "done"),
                                        ("20261202T010000Z", "2026-12-02T01:00:00+00:00", "interrupted")):
            ledger.start_run(run_row(run_id, started, status))
    return path


def ledger_of(scan: Scan) -> Path:
    assert scan.run_dir is not None
    return scan.run_dir.parents[1] / "ledger.sqlite"


def beside(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir() if p.name.startswith(path.name))


# -- without the detector ----------------------------------------------------------------------

def test_check_counts_a_sound_ledger_and_leaves_its_bytes(tmp_path: Path) -> None:
    ledger = small_ledger(tmp_path / "ledger.sqlite")
    before = ledger.read_bytes()
    result = cli("ledger", "check", "--ledger", str(ledger))
    assert result.exit_code == 0, result.output
    assert f"{ledger}: ok" in result.stdout
    assert "runs 2 (done 1, interrupted 1) · photos 0 · videos 0 · findings 0 · failures 0 ·" in said(result.stdout)
    assert ledger.read_bytes() == before and beside(ledger) == ["ledger.sqlite"]


def test_check_makes_no_ledger_where_there_is_none(tmp_path: Path) -> None:
    result = cli("ledger", "check", "--out", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert f"no ledger found (looked for {tmp_path / 'out' / 'ledger.sqlite'})" in one_error(result)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", [["ledger", "check"], ["runs"]])
def test_an_empty_file_is_no_ledger_and_stays_empty(tmp_path: Path, command: list[str]) -> None:
    """A reader used to write the schema into any SQLite file it was given, an empty one included."""
    ledger = tmp_path / "ledger.sqlite"
    ledger.touch()
    result = cli(*command, "--ledger", str(ledger))
    assert result.exit_code == 1
    assert f"{ledger}: not a dronecheck ledger" in one_error(result)
    assert ledger.read_bytes() == b""


def test_a_reader_of_an_older_ledger_neither_migrates_it_nor_waits_for_a_batch(tmp_path: Path) -> None:
    """Readers used to run the schema: on a ledger from before the videos table that is a write, so `runs` waited
    the 30 s busy timeout for the batch a scan held, and then failed with 'database is locked'."""
    ledger = small_ledger(tmp_path / "ledger.sqlite")
    sqlite3.connect(ledger, isolation_level=None).execute("DROP TABLE videos").connection.close()
    batch = sqlite3.connect(ledger, isolation_level=None)
    batch.execute("BEGIN IMMEDIATE")
    batch.execute("DELETE FROM runs")
    try:
        started = time.monotonic()
        listed = cli("runs", "--ledger", str(ledger), "--json")
        checked = cli("ledger", "check", "--ledger", str(ledger))
        assert time.monotonic() - started < 10
    finally:
        batch.execute("ROLLBACK")
        batch.close()
    assert listed.exit_code == 0 and len(json.loads(listed.stdout)) == 2, listed.output
    assert checked.exit_code == 0 and "runs 2 (done 1, interrupted 1) · photos 0 · findings 0" in said(checked.stdout)
    with sqlite3.connect(ledger) as db:
        assert not db.execute("SELECT 1 FROM sqlite_master WHERE name='videos'").fetchone()


def test_sub_commands_keep_the_error_boundary(tmp_path: Path) -> None:
    garbage = tmp_path / "ledger.sqlite"
    garbage.write_bytes(b"not SQLite at all " * 300)
    plain = cli("ledger", "backup", str(tmp_path / "copy.sqlite"), "--ledger", str(garbage))
    assert plain.exit_code == 1
    assert f"{garbage}: cannot open the ledger (file is not a database)" in one_error(plain)
    debug = cli("--debug", "ledger", "check", "--ledger", str(garbage))
    assert debug.exit_code == 1 and "Traceback" in debug.output and "sqlite3.DatabaseError" in debug.output
    assert not (tmp_path / "copy.sqlite").exists() and beside(garbage) == ["ledger.sqlite"]
    assert garbage.read_bytes() == b"not SQLite at all " * 300


def test_backup_refuses_to_overwrite_without_force_and_never_onto_the_ledger(tmp_path: Path) -> None:
    ledger = small_ledger(tmp_path / "ledger.sqlite")
    target = tmp_path / "copy.sqlite"
    target.write_bytes(b"yesterday's backup")
    refused = cli("ledger", "backup", str(target), "--ledger", str(ledger))
    assert refused.exit_code == 2 and f"{target} exists: give --force" in one_error(refused)
    assert target.read_bytes() == b"yesterday's backup"
    itself = cli("ledger", "backup", str(ledger), "--ledger", str(ledger), "--force")
    assert itself.exit_code == 2 and "is the ledger itself" in one_error(itself)
    forced = cli("ledger", "backup", str(target), "--ledger", str(ledger), "--force")
    assert forced.exit_code == 0, forced.output
    assert "runs 2 (done 1, interrupted 1)" in said(forced.stdout)
    assert os.stat(target).st_mode & 0o777 == file_mode()  # as the umask says, not mkstemp's 0600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy.sqlite", "ledger.sqlite"]  # no temp file left


TWO_INBOXES = '[[inbox]]\npath = "a"\nout = "out-a"\n\n[[inbox]]\npath = "b"\nout = "out-b"\n'


def test_backup_with_several_ledgers_says_which_to_pick(tmp_path: Path) -> None:
    config = tmp_path / "dronecheck.toml"
    config.write_text(TWO_INBOXES)
    small_ledger(tmp_path / "out-a" / "ledger.sqlite")
    small_ledger(tmp_path / "out-b" / "ledger.sqlite")
    result = cli("ledger", "backup", str(tmp_path / "copy.sqlite"), "--config", str(config))
    assert result.exit_code == 2
    message = one_error(result)
    assert "2 ledgers" in message and "--ledger" in message
    assert str(tmp_path / "out-a" / "ledger.sqlite") in message and str(tmp_path / "out-b" / "ledger.sqlite") in message


def test_check_goes_through_every_ledger_of_the_config(tmp_path: Path) -> None:
    config = tmp_path / "dronecheck.toml"
    config.write_text(TWO_INBOXES)
    sound = small_ledger(tmp_path / "out-a" / "ledger.sqlite")
    assert cli("ledger", "check", "--config", str(config)).exit_code == 0  # out-b: nothing scanned there yet
    broken = tmp_path / "out-b" / "ledger.sqlite"
    broken.parent.mkdir()
    broken.write_bytes(b"\0" * 4096)
    result = cli("ledger", "check", "--config", str(config))
    assert result.exit_code == 1
    assert f"{sound}: ok" in said(result.stdout)
    assert f"{broken}: cannot open the ledger (file is not a database)" in one_error(result)


def test_the_ledger_setting_of_the_config_and_the_environment_names_either_backend(
        ledger_at: Where, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    small_ledger(ledger_at)
    config = tmp_path / "dronecheck.toml"
    config.write_text(f'ledger = "{ledger_at}"\n\n[[inbox]]\npath = "inbox"\n')
    checked = cli("ledger", "check", "--config", str(config))
    assert checked.exit_code == 0 and f"{ledger_at}: ok" in said(checked.stdout), checked.output
    monkeypatch.setenv("DRONECHECK_LEDGER", str(ledger_at))
    listed = cli("runs", "--json")
    assert listed.exit_code == 0 and [r["status"] for r in json.loads(listed.stdout)] == ["interrupted", "done"]


# -- with a real scan ----------------------------------------------------------------------------

Damage = Callable[[Path], None]


def garbage(path: Path) -> None:
    path.write_bytes(os.urandom(path.stat().st_size))


def truncated(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def zeroed_after_the_first_page(path: Path) -> None:
    """Page 1 (the schema) is read, every table's pages are zeros: it opens, and integrity_check finds the damage."""
    data = path.read_bytes()
    path.write_bytes(data[:4096] + bytes(len(data) - 4096))


def orphan_rows(path: Path) -> None:
    """Findings and a failure of a run the ledger has no row for: sound pages, but foreign_key_check objects."""
    db = sqlite3.connect(path)
    with db:
        db.execute("INSERT INTO findings VALUES ('lost', 'no-such-run', 'sha', 'crack', NULL, '{}')")
        db.execute("INSERT INTO failures VALUES ('no-such-run', 'a.JPG', 'why')")
    db.close()  # the last connection folds the WAL back in: the file alone is the whole ledger


@pytest.mark.slow
def test_check_of_the_demo_ledger(demo: Scan) -> None:
    ledger = ledger_of(demo)
    assert demo.run_dir is not None
    findings = len(features(demo.run_dir))
    result = cli("ledger", "check", "--ledger", str(ledger))
    assert result.exit_code == 0, result.output
    assert f"runs 1 (done 1) · photos 10 · videos 0 · findings {findings} · failures 0" in said(result.stdout)


@pytest.mark.slow
@pytest.mark.parametrize("damage, runs_fails", [(garbage, True), (truncated, True),
                                                (zeroed_after_the_first_page, True), (orphan_rows, False)],
                         ids=lambda v: getattr(v, "__name__", str(v)))
def test_a_damaged_ledger_is_refused_in_one_line_and_left_as_it_is(demo: Scan, tmp_path: Path, damage: Damage,
                                                                   runs_fails: bool) -> None:
    ledger = Path(shutil.copy(ledger_of(demo), tmp_path / "ledger.sqlite"))
    damage(ledger)
    before = ledger.read_bytes()
    result = cli("ledger", "check", "--ledger", str(ledger))
    assert result.exit_code == 1, result.output
    assert str(ledger) in one_error(result)
    backed = cli("ledger", "backup", str(tmp_path / "copy.sqlite"), "--ledger", str(ledger))
    assert backed.exit_code == 1 and str(ledger) in one_error(backed)
    assert not (tmp_path / "copy.sqlite").exists()
    if runs_fails:
        listed = cli("runs", "--ledger", str(ledger))
        assert listed.exit_code == 1 and str(ledger) in one_error(listed)
    assert ledger.read_bytes() == before, "a damaged ledger must never be written"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ledger.sqlite"]


@pytest.mark.slow
def test_backup_of_the_demo_ledger_is_a_sound_copy(demo: Scan, tmp_path: Path) -> None:
    target = tmp_path / "backups" / "ledger-2026-12-01.sqlite"
    result = cli("ledger", "backup", str(target), "--ledger", str(ledger_of(demo)))
    assert result.exit_code == 0, result.output
    with sqlite3.connect(ledger_of(demo)) as a, sqlite3.connect(target) as b:
        for table in ("runs", "photos", "findings", "failures", "hashes"):
            query = f"SELECT * FROM {table} ORDER BY 1, 2"
            assert a.execute(query).fetchall() == b.execute(query).fetchall(), table


HOLDER = """
import sqlite3, sys, time
from pathlib import Path
from dronecheck.ledger.lock import ledger_lock

ledger = Path(sys.argv[1])
with ledger_lock(ledger):  # as a scan does, for the whole run
    db = sqlite3.connect(ledger, isolation_level=None)
    db.execute("BEGIN IMMEDIATE")  # as a scan does for each batch: the write lock, until the batch is in
    db.execute("INSERT INTO runs (run_id, flight, inbox, settings, profile, model, model_sha256, started, status) "
               "VALUES ('in-flight', 'in-flight', '/inbox', 's', 'cracks', 'm.pt', 'x', '2999-01-01', 'running')")
    db.execute("INSERT INTO photos VALUES ('sha-in-flight', 's', 'in-flight', 'x.JPG', '{}', '2999-01-01')")
    print("held", flush=True)
    time.sleep(300)
"""


@pytest.fixture(scope="module")
def small_scan(tmp_path_factory: pytest.TempPathFactory) -> Scan:
    """A real scan of three photos, with a run folder of its own that `report` may write again."""
    base = tmp_path_factory.mktemp("small-scan")
    copy_photos(base / "flight", 3)
    scan = run_scan(base / "flight", base / "out")
    assert scan.exit_code == 0, scan.output
    return scan


@pytest.fixture
def scan_in_flight(small_scan: Scan) -> Iterator[Path]:
    """The ledger of `small_scan`, with another process holding its scan lock and an uncommitted batch in it."""
    ledger = ledger_of(small_scan)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(ledger)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(sqlite3.OperationalError, match="locked"):  # it really holds the write lock
            sqlite3.connect(ledger, timeout=0, isolation_level=None).execute("BEGIN IMMEDIATE")
        yield ledger
    finally:
        holder.kill()
        holder.wait()


def timed(*args: str) -> Result:
    """The command, which must not wait for the write lock (the busy timeout is 30 s)."""
    started = time.monotonic()
    result = cli(*args)
    assert result.exit_code == 0, result.output
    assert time.monotonic() - started < 10, f"{args[0]} waited for the scan"
    return result


@pytest.mark.slow
def test_runs_report_export_and_backup_read_while_a_scan_writes(small_scan: Scan, scan_in_flight: Path,
                                                                tmp_path: Path) -> None:
    ledger, run_dir = scan_in_flight, small_scan.run_dir
    assert run_dir is not None
    findings = ids(small_scan)

    listed = json.loads(timed("runs", "--ledger", str(ledger), "--json").stdout)
    assert [r["run_id"] for r in listed] == [run_dir.name], "the batch in flight is not committed"

    (run_dir / "report.html").unlink()
    timed("report", run_dir.name, "--ledger", str(ledger))
    html = (run_dir / "report.html").read_text()
    assert all(f'data-id="{i}"' in html for i in findings)

    target = tmp_path / "all.geojson"
    timed("export", "--ledger", str(ledger), "--to", str(target))
    assert {f["id"] for f in json.loads(target.read_text())["features"]} == findings

    assert "ok" in timed("ledger", "check", "--ledger", str(ledger)).stdout
    copy = tmp_path / "copy.sqlite"
    assert "runs 1 (done 1) · photos 3" in said(timed("ledger", "backup", str(copy), "--ledger", str(ledger)).stdout)
    with sqlite3.connect(copy) as db:
        assert db.execute("SELECT run_id FROM runs").fetchall() == [(run_dir.name,)]
        assert db.execute("SELECT count(*) FROM photos WHERE run_id='in-flight'").fetchone() == (0,)
