"""Nightly operation: the ledger, kill -9 and resume, the lock, the config, JSON logs, runs/report/export."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from conftest import (
    CRACKS_WEIGHTS,
    FLIGHT,
    Scan,
    copy_photos,
    dronecheck,
    ids,
    photos,
    photos_done,
    run_scan,
    signal_when,
)
from dronecheck.cli import app

pytestmark = pytest.mark.slow  # these tests run the model


def test_kill_9_midway_then_rerun_gives_the_findings_of_an_uninterrupted_run(demo: Scan, tmp_path: Path) -> None:
    out = tmp_path / "out"
    ledger = out / "ledger.sqlite"
    victim = dronecheck("scan", str(FLIGHT), "--out", str(out), "--batch", "4")
    signal_when(victim, lambda: photos_done(ledger) >= 4, signal.SIGKILL, timeout_s=120)
    victim.wait()
    assert victim.returncode == -signal.SIGKILL, "the scan ended before it could be killed"
    killed_at = photos_done(ledger)
    assert 4 <= killed_at < 10
    (run_dir,) = (out / "sample-flight").iterdir()
    assert not (run_dir / "findings.geojson").exists()

    rerun = dronecheck("scan", str(FLIGHT), "--out", str(out), "--batch", "4", "--log-json")
    stdout, stderr = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, stderr
    events = [json.loads(line) for line in stderr.splitlines()]  # every log line is one JSON object
    assert {"run_resumed", "run_finished"} <= {e.get("event") for e in events}
    assert any("took over the lock" in e["message"] for e in events)
    assert [p.name for p in out.joinpath("sample-flight").iterdir()] == [run_dir.name], "the same run goes on"
    resumed = Scan(0, stdout, run_dir)
    assert ids(resumed) == ids(demo)
    record = json.loads((run_dir / "run.json").read_text())
    assert record["resumed"] and record["counts"]["photos_scanned"] == 10
    assert not list(run_dir.rglob("*.tmp"))
    crops = {p.stem for p in (run_dir / "crops").iterdir()}
    assert crops == ids(demo)


def test_incremental_run_scans_only_new_photos_and_a_new_model_rescans(tmp_path: Path) -> None:
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    first = copy_photos(inbox, 3)
    assert run_scan(inbox, out).exit_code == 0
    first[0].rename(first[0].with_name("moved.JPG"))  # a renamed photo is not new
    for p in photos()[3:6]:
        (inbox / p.name).write_bytes(p.read_bytes())
    second = run_scan(inbox, out)
    record = json.loads((second.run_dir / "run.json").read_text())
    assert record["counts"]["photos_scanned"] == 3 and record["counts"]["files_already_done"] == 3
    assert {f["image"] for f in record["frames"]} == {p.name for p in photos()[3:6]}

    nothing = run_scan(inbox, out)
    assert nothing.exit_code == 4 and "nothing to do" in nothing.output

    retrained = tmp_path / "retrained.pt"  # the same network saved again: other bytes, another model
    checkpoint = torch.load(CRACKS_WEIGHTS, weights_only=False)
    checkpoint["date"] = "2026-11-22T00:00:00"
    torch.save(checkpoint, retrained)
    rescan = run_scan(inbox, out, "--weights", str(retrained))
    assert rescan.exit_code == 0
    assert json.loads((rescan.run_dir / "run.json").read_text())["counts"]["photos_scanned"] == 6


def test_a_second_scan_is_refused_or_waits_while_one_holds_the_ledger(tmp_path: Path) -> None:
    copy_photos(tmp_path / "flight", 1)
    ledger = tmp_path / "out" / "ledger.sqlite"
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from pathlib import Path; "
                               "from dronecheck.ledger.lock import ledger_lock\n"
                               f"with ledger_lock(Path({str(ledger)!r})):\n print('held', flush=True); "
                               "time.sleep(60)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        refused = run_scan(tmp_path / "flight", tmp_path / "out")
        assert refused.exit_code == 5 and f"pid {holder.pid}" in refused.output
        waited = run_scan(tmp_path / "flight", tmp_path / "out", "--wait", "--wait-timeout", "1")
        assert waited.exit_code == 5
    finally:
        holder.kill()
        holder.wait()
    after = run_scan(tmp_path / "flight", tmp_path / "out", "--wait")
    assert after.exit_code == 0, after.output
    assert "took over the lock" in after.output  # the holder was killed: its note was left behind


def test_config_inboxes_env_overrides_and_bad_keys(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    copy_photos(tmp_path / "inbox" / "roads", 2)
    config = tmp_path / "dronecheck.toml"
    config.write_text('out = "results"\ndevice = "cpu"\n\n[[inbox]]\npath = "inbox/roads"\nprofile = "cracks"\n'
                      'conf = 0.4\n')
    monkeypatch.setenv("DRONECHECK_CONF", "0.3")
    result = CliRunner().invoke(app, ["scan", "--config", str(config)])
    assert result.exit_code == 0, result.output
    (record,) = (tmp_path / "results" / "roads").glob("*/run.json")
    data = json.loads(record.read_text())
    assert data["profile"]["conf"] == 0.3 and data["device"] == "cpu"  # env over config, config over default

    config.write_text('[[inbox]]\npath = "inbox/roads"\nthreshold = 0.4\n')
    bad = CliRunner().invoke(app, ["scan", "--config", str(config)])
    assert bad.exit_code == 2 and "threshold" in bad.output and "Traceback" not in bad.output


def test_runs_report_and_export_read_the_ledger(tmp_path: Path) -> None:
    out = tmp_path / "out"
    copy_photos(tmp_path / "a", 2)
    copy_photos(tmp_path / "b", 4)
    first, second = run_scan(tmp_path / "a", out), run_scan(tmp_path / "b", out)
    runner = CliRunner()
    listed = json.loads(runner.invoke(app, ["runs", "--out", str(out), "--json"]).output)
    assert [r["flight"] for r in listed] == ["b", "a"]
    assert [r["findings"] for r in listed] == [len(ids(second)), len(ids(first))]

    (second.run_dir / "report.html").unlink()
    (second.run_dir / "findings.geojson").unlink()
    again = runner.invoke(app, ["report", second.run_dir.name, "--out", str(out)])
    assert again.exit_code == 0, again.output
    html = (second.run_dir / "report.html").read_text()
    assert all(f'data-id="{i}"' in html for i in ids(second))

    target = tmp_path / "gis" / "all.geojson"
    exported = runner.invoke(app, ["export", "--out", str(out), "--to", str(target)])
    assert exported.exit_code == 0, exported.output
    features = json.loads(target.read_text())["features"]
    # b holds a's two photos too: they were already done, so each finding is there once
    assert sorted(f["id"] for f in features) == sorted(ids(first) | ids(second))
    for f in features:
        assert (target.parent / f["properties"]["crop"]).is_file()


def test_schedule_prints_cron_and_writes_systemd_units(tmp_path: Path) -> None:
    config = tmp_path / "dronecheck.toml"
    config.write_text('[[inbox]]\npath = "inbox"\n')
    cron = CliRunner().invoke(app, ["schedule", "--config", str(config), "--cron", "--at", "03:15"])
    assert cron.exit_code == 0, cron.output
    assert cron.output.startswith("15 3 * * * ") and f"scan --config {config}" in cron.output
    units = tmp_path / "units"
    made = CliRunner().invoke(app, ["schedule", "--config", str(config), "--systemd", str(units)])
    assert made.exit_code == 0, made.output
    assert "OnCalendar=*-*-* 02:30:00" in (units / "dronecheck.timer").read_text()
    assert f"--config {config}" in (units / "dronecheck.service").read_text()
    assert CliRunner().invoke(app, ["schedule", "--config", str(config), "--cron", "--at", "25:00"]).exit_code == 2


def test_exit_code_4_when_the_folder_has_no_photos(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    nothing = run_scan(tmp_path / "empty", tmp_path / "out")
    assert nothing.exit_code == 4 and nothing.run_dir is None, nothing.output


def test_a_new_run_id_is_free_in_the_ledger_even_when_its_folder_is(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from dronecheck.ledger import RunRow
    from dronecheck.ledger.sqlite import SQLiteLedger
    from dronecheck.pipeline.scan import new_run
    from dronecheck.profiles import load_profile
    from dronecheck.run import ScanOptions

    ledger = SQLiteLedger(tmp_path / "ledger.sqlite")
    now = datetime.now(UTC)
    taken = [(now + timedelta(seconds=s)).strftime("%Y%m%dT%H%M%SZ") for s in range(3)]
    for run_id in taken:  # runs of another flight, started in the same seconds: their folders are elsewhere
        ledger.start_run(RunRow(run_id, "other", "/inbox/other", None, "s", "cracks", "m.pt", "x", now.isoformat(),
                                None, "done", None, 0, 0, 0, 0, None, None, None))
    run = new_run(ScanOptions(FLIGHT, load_profile("cracks"), tmp_path / "out"), ledger)
    assert run.run_id not in taken and run.run_id.split("-")[0] in taken
    assert run.run_dir == tmp_path / "out" / "sample-flight" / run.run_id
