"""The CLI's exit codes, bad input handling and help, run for real."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import piexif
import pytest
from typer.main import get_command
from typer.testing import CliRunner

from conftest import ROOT, copy_photos, photos, run_scan
from dronecheck.cli import app


def make_bad_flight(folder: Path) -> dict[str, str]:
    """Two good photos, one without GPS, and three broken files: name -> expected reason."""
    folder.mkdir(parents=True)
    for source in photos()[1:3]:
        shutil.copy(source, folder / source.name)
    no_gps = Path(shutil.copy(photos()[7], folder / "no_gps.JPG"))  # a photo with clear cracks in it
    exif = piexif.load(str(no_gps))
    exif["GPS"] = {}
    piexif.insert(piexif.dump(exif), str(no_gps))
    (folder / "empty.jpg").write_bytes(b"")
    (folder / "notes.jpg").write_text("this is not a photo\n")
    data = photos(1)[0].read_bytes()
    (folder / "sub").mkdir()
    (folder / "sub" / "cut.JPG").write_bytes(data[: len(data) // 2])
    return {"empty.jpg": "empty", "notes.jpg": "not a JPEG or TIFF", "sub/cut.JPG": "truncated"}


@pytest.mark.slow
def test_bad_files_are_skipped_with_a_reason_and_the_run_goes_on(tmp_path: Path) -> None:
    expected = make_bad_flight(tmp_path / "flight")
    scan = run_scan(tmp_path / "flight", tmp_path / "out")
    assert scan.exit_code == 3, scan.output
    record = json.loads((scan.run_dir / "run.json").read_text())
    skipped = {s["path"]: s["reason"] for s in record["skipped"]}
    assert set(skipped) == set(expected)
    for name, reason in expected.items():
        assert reason in skipped[name].lower() or reason in skipped[name]
        assert name in scan.output, f"no warning line names {name}"
    assert record["counts"]["photos_scanned"] == 3
    html = (scan.run_dir / "report.html").read_text()
    assert all(name in html for name in expected)


@pytest.mark.slow
def test_photo_without_gps_is_scanned_and_its_findings_say_why(tmp_path: Path) -> None:
    make_bad_flight(tmp_path / "flight")
    scan = run_scan(tmp_path / "flight", tmp_path / "out")
    features = json.loads((scan.run_dir / "findings.geojson").read_text())["features"]
    unplaced = [f for f in features if f["properties"]["image"] == "no_gps.JPG"]
    assert unplaced, "the photo without GPS should still give findings"
    for f in unplaced:
        assert f["geometry"] is None and f["properties"]["georef_method"] == "none"
        assert "GPS" in f["properties"]["note"]
    assert 'id="unplaced"' in (scan.run_dir / "report.html").read_text()


@pytest.mark.slow
def test_every_photo_failing_exits_3_and_lists_them(tmp_path: Path) -> None:
    (tmp_path / "flight").mkdir()
    (tmp_path / "flight" / "broken.jpg").write_bytes(b"")
    scan = run_scan(tmp_path / "flight", tmp_path / "out")
    assert scan.exit_code == 3, scan.output
    record = json.loads((scan.run_dir / "run.json").read_text())
    assert record["exit_code"] == 3 and record["skipped"][0]["path"] == "broken.jpg"


@pytest.mark.parametrize(("args", "message", "code"), [
    (["--profile", "nosuch"], "unknown profile", 2),
    (["--weights", "missing.pt"], "not found", 1),
    (["--device", "tpu"], "--device", 1),
])
def test_bad_settings_exit_with_one_clear_line(tmp_path: Path, args: list[str], message: str, code: int) -> None:
    copy_photos(tmp_path / "flight", 1)
    scan = run_scan(tmp_path / "flight", tmp_path / "out", *args)
    assert scan.exit_code == code, scan.output
    assert message in scan.output and "Traceback" not in scan.output


def test_profile_file_with_unknown_key_fails_at_start(tmp_path: Path) -> None:
    profile = tmp_path / "mine.toml"
    profile.write_text('name = "mine"\nweights = "cracks-yolo11n.pt"\nclasses = ["crack"]\nthreshold = 0.3\n')
    copy_photos(tmp_path / "flight", 1)
    scan = run_scan(tmp_path / "flight", tmp_path / "out", "--profile", str(profile))
    assert scan.exit_code == 2 and "threshold" in scan.output


def test_bad_usage_exits_2(tmp_path: Path) -> None:
    copy_photos(tmp_path / "flight", 1)
    assert run_scan(tmp_path / "flight", tmp_path / "out", "--conf", "2").exit_code == 2
    assert CliRunner().invoke(app, ["scan", str(tmp_path / "nowhere")]).exit_code == 2


def test_version_doctor_and_profiles() -> None:
    runner = CliRunner()
    version = runner.invoke(app, ["--version"])
    assert version.exit_code == 0 and version.output.startswith("dronecheck ")
    doctor = runner.invoke(app, ["doctor"])
    assert doctor.exit_code == 0 and "torch" in doctor.output and "cracks-yolo11n.pt" in doctor.output
    listed = runner.invoke(app, ["profiles"])
    assert listed.exit_code == 0 and "cracks" in listed.output


def test_every_option_has_help() -> None:
    group = get_command(app)
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        assert command.help, name
        for param in command.params:
            if param.name != "help":
                assert getattr(param, "help", None), f"{name} --{param.name} has no help"


def test_the_installed_console_script_runs() -> None:
    exe = Path(sys.executable).with_name("dronecheck")
    assert exe.exists() or shutil.which("dronecheck"), "pip install -e . makes the dronecheck script"
    result = subprocess.run([str(exe), "--help"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0 and "scan" in result.stdout


def test_a_corrupt_ledger_is_one_line_and_exit_1_and_debug_shows_the_traceback(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.sqlite"
    ledger.write_bytes(b"this is not an SQLite database, but a file someone overwrote" * 100)
    plain = CliRunner().invoke(app, ["runs", "--ledger", str(ledger)])
    assert plain.exit_code == 1 and "Traceback" not in plain.output
    assert f"{ledger}: cannot open the ledger (file is not a database)" in " ".join(plain.output.split())
    debug = CliRunner().invoke(app, ["--debug", "runs", "--ledger", str(ledger)])
    assert debug.exit_code == 1 and "Traceback" in debug.output and "sqlite3.DatabaseError" in debug.output
    assert ledger.read_bytes().startswith(b"this is not an SQLite database"), "the ledger must not be overwritten"


def test_no_ledger_yet_is_one_line_and_exit_1(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["runs", "--out", str(tmp_path)])
    assert result.exit_code == 1 and "no ledger found" in result.output and "scan something first" in result.output


@pytest.mark.slow
def test_a_fifo_among_the_photos_is_skipped_and_outputs_are_readable_by_others(tmp_path: Path) -> None:
    """A FIFO named like a photo used to hang the scan (and keep the ledger's lock); outputs were 0600."""
    copy_photos(tmp_path / "flight", 1)
    os.mkfifo(tmp_path / "flight" / "DJI_9999.JPG")
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, "-m", "dronecheck", "scan", str(tmp_path / "flight"), "--out", str(out)],
                            capture_output=True, text=True, timeout=300, cwd=ROOT,
                            preexec_fn=lambda: os.umask(0o022))
    assert result.returncode == 3, result.stderr[-2000:]
    assert "DJI_9999.JPG: not a regular file but a FIFO" in " ".join(result.stderr.split())
    [run_dir] = [p.parent for p in out.glob("*/*/run.json")]
    record = json.loads((run_dir / "run.json").read_text())
    assert record["skipped"] == [{"path": "DJI_9999.JPG", "reason": "not a regular file but a FIFO (named pipe)"}]
    assert record["counts"]["photos_scanned"] == 1
    written = [p for p in run_dir.rglob("*") if p.is_file()]
    assert written and {oct(p.stat().st_mode & 0o777) for p in written} == {"0o644"}
    folders = [run_dir, run_dir.parent, *(p for p in run_dir.rglob("*") if p.is_dir())]
    assert {oct(p.stat().st_mode & 0o777) for p in folders} == {"0o755"}
    assert oct((out / "ledger.sqlite").stat().st_mode & 0o777) == "0o644"


@pytest.mark.slow
def test_a_photo_whose_name_is_not_utf8_is_scanned_and_its_name_kept(tmp_path: Path) -> None:
    """Names from old SD cards and Windows shares: the ledger could not store them, OpenCV crashed on them."""
    flight = tmp_path / "flight"
    flight.mkdir()
    name = os.fsdecode(b"caf\xe9 0001.JPG")  # Latin-1, not UTF-8
    shutil.copy(photos()[7], flight / name)
    first = run_scan(flight, tmp_path / "out")
    assert first.exit_code == 0, first.output
    record = json.loads((first.run_dir / "run.json").read_text(encoding="utf-8"))  # strict UTF-8 JSON
    assert record["frames"][0]["image"] == name and record["counts"]["findings"] > 0
    features = json.loads((first.run_dir / "findings.geojson").read_text(encoding="utf-8"))["features"]
    assert {f["properties"]["image"] for f in features} == {name}
    assert "caf\\udce9 0001.JPG" in (first.run_dir / "report.html").read_text(encoding="utf-8")  # shown escaped
    with sqlite3.connect(tmp_path / "out" / "ledger.sqlite") as db:
        assert db.execute("SELECT path FROM photos").fetchone()[0] == os.fsencode(str(flight / name))
    again = run_scan(flight, tmp_path / "out")
    assert again.exit_code == 4, again.output  # known by its bytes: nothing to do


def test_a_video_whose_name_is_not_utf8_is_refused_with_a_reason(tmp_path: Path) -> None:
    from dronecheck.errors import BadInputError
    from dronecheck.ingest import read_video

    video = tmp_path / os.fsdecode(b"vid\xe9o.MP4")
    shutil.copy(ROOT / "datasets" / "sample-vessels" / "DJI_0001.MP4", video)
    shutil.copy(ROOT / "datasets" / "sample-vessels" / "DJI_0001.SRT", video.with_suffix(".SRT"))
    with pytest.raises(BadInputError, match="not valid UTF-8"):
        read_video(video)
