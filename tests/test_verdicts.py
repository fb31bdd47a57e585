"""The review loop: verdicts into the ledger (both backends, with their history), `review apply` of the report's
verdicts files into the ledger and the run's outputs, `export --status`, a re-scan keeping verdicts, and `dataset`
(and, slow, `train --from` on it)."""

from __future__ import annotations

import json
import shutil
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from conftest import CRACKS_WEIGHTS, Scan, copy_photos, run_scan
from dronecheck.errors import VerdictError
from dronecheck.ledger import Where, open_ledger
from dronecheck.review import read_verdicts_file, reviewer_name
from dronecheck.types import REVIEW_STATES, Verdict
from ledgers import cli, finding, one_error, run_row

T0 = datetime(2026, 6, 16, 9, 0, tzinfo=UTC)
MODEL_INFO = json.dumps({"model": {"weights": "m.pt", "name": "m.pt", "sha256": "x", "device": "cpu",
                                   "class_names": ["crack", "pothole"], "conf": 0.25, "iou": 0.5, "imgsz": 640,
                                   "tile_size": 0, "tile_overlap": 0.2}})


def features(path: Path) -> dict[str, dict]:
    return {f["id"]: f["properties"] for f in json.loads(path.read_text())["features"]}


# -- the ledger ----------------------------------------------------------------------------------------------
def test_both_ledgers_keep_every_verdict_and_give_the_latest(ledger_at: Where) -> None:
    fs = [finding("a" * 64, n) for n in (1, 2, 3)]
    with open_ledger(ledger_at) as ledger:
        ledger.start_run(replace(run_row("r1", "2026-12-01T01:00:00+00:00"), info=MODEL_INFO))
        ledger.record_batch("r1", "s", [fs[0].frame], fs, {}, [])
        n = ledger.record_verdicts("r1", [Verdict("ida1", "confirmed", "anna", T0),
                                          Verdict("ida2", "rejected", "anna", T0)])
        assert n == 2
        later = Verdict("ida1", "corrected", "bob", T0 + timedelta(hours=1), "pothole", (1.0, 2.0, 30.0, 40.0),
                        "a\0b <b>not markup</b> caf\u00e9")
        ledger.record_verdicts("r1", [later])
        ledger.record_verdicts("r1", [later])  # the same verdict again replaces itself
        assert ledger.verdicts(["ida1", "ida2", "ida3"]) == {"ida1": later, "ida2": Verdict("ida2", "rejected",
                                                                                             "anna", T0)}
        assert [v.verdict for v in ledger.verdict_history(["ida1"])] == ["confirmed", "corrected"]
        assert set(ledger.verdicts()) == {"ida1", "ida2"} and ledger.verdicts([]) == {}
        for bad, words in [(Verdict("nope", "confirmed", "anna", T0), "run r1 has no such finding"),
                           (Verdict("ida3", "corrected", "anna", T0, "tree"), "class 'tree' is none of the model's"),
                           (Verdict("ida3", "corrected", "anna", T0), "names the right class, the right box"),
                           (Verdict("ida3", "maybe", "anna", T0), "is none of confirmed, rejected, corrected")]:
            with pytest.raises(VerdictError, match=words):
                ledger.record_verdicts("r1", [Verdict("ida3", "confirmed", "anna", T0), bad])
        with pytest.raises(VerdictError, match="no run 'r9'"):
            ledger.record_verdicts("r9", [])
        assert "ida3" not in ledger.verdicts()  # all or nothing
    with open_ledger(ledger_at, read_only=True) as reader:
        assert reader.verdicts(["ida1"])["ida1"] == later


def test_reviewer_name_is_the_config_s_else_the_os_user(monkeypatch: pytest.MonkeyPatch) -> None:
    assert reviewer_name(" j.devries ") == "j.devries"
    monkeypatch.setattr("getpass.getuser", lambda: "op")
    assert reviewer_name(None) == "op"

    def nobody() -> str:
        raise OSError("no user")

    monkeypatch.setattr("getpass.getuser", nobody)
    assert reviewer_name("") == "unknown"


# -- review apply ---------------------------------------------------------------------------------------------
@pytest.fixture
def reviewed(demo: Scan, tmp_path: Path) -> tuple[Path, Path, list[str]]:
    """The demo's outputs copied (the session's own stay as they are): the output folder, the run folder, the
    finding ids."""
    assert demo.run_dir is not None
    out = tmp_path / "out"
    shutil.copytree(demo.run_dir.parents[1], out)
    run_dir = out / demo.run_dir.relative_to(demo.run_dir.parents[1])
    with sqlite3.connect(out / "ledger.sqlite") as db:
        db.execute("UPDATE runs SET run_dir=?", (str(run_dir),))
    db.close()
    ids = list(features(run_dir / "findings.geojson"))
    assert len(ids) >= 6
    return out, run_dir, ids


def verdicts_file(path: Path, run_dir: Path, verdicts: dict, **top: str) -> Path:
    path.write_text(json.dumps({"flight": run_dir.parent.name, "run": run_dir.name, "verdicts": verdicts, **top}))
    return path


def test_review_apply_of_an_old_and_a_new_file_lands_in_the_ledger_and_every_export(
        reviewed: tuple[Path, Path, list[str]], tmp_path: Path) -> None:
    out, run_dir, ids = reviewed
    old = verdicts_file(tmp_path / "old.json", run_dir, {ids[0]: "confirmed", ids[1]: "rejected"})
    applied = cli("review", "apply", str(old), "--out", str(out), "--reviewer", "anna")
    assert applied.exit_code == 0, applied.output
    assert f"applied 2 verdict(s) to run {run_dir.name}" in " ".join(applied.stdout.split())
    new = verdicts_file(tmp_path / "new.json", run_dir, {
        ids[1]: {"verdict": "confirmed", "by": "bob", "at": "2030-01-01T10:00:00Z"},  # later: wins over rejected
        ids[2]: {"verdict": "corrected", "class": "crack", "box_px": [1, 2, 30, 40],
                 "comment": "<script>alert(1)</script>", "at": "2030-01-01T10:00:00+01:00"}})
    applied = cli("review", "apply", str(new), "--out", str(out), "--reviewer", "carla")
    assert applied.exit_code == 0, applied.output
    with open_ledger(out / "ledger.sqlite", read_only=True) as ledger:
        got = ledger.verdicts(ids)
    assert {k: (v.verdict, v.reviewed_by) for k, v in got.items()} == {
        ids[0]: ("confirmed", "anna"), ids[1]: ("confirmed", "bob"), ids[2]: ("corrected", "carla")}
    assert got[ids[2]].reviewed_at == datetime(2030, 1, 1, 9, tzinfo=UTC)

    props = features(run_dir / "findings.geojson")
    assert {k: p["review_status"] for k, p in props.items() if p["review_status"] != "unconfirmed"} == {
        ids[0]: "confirmed", ids[1]: "confirmed", ids[2]: "corrected"}
    assert all(p["status"] == p["review_status"] and p["review_status"] in REVIEW_STATES for p in props.values())
    assert props[ids[2]]["reviewed_by"] == "carla" and props[ids[2]]["corrected_class"] == "crack"
    assert props[ids[2]]["review_comment"] == "<script>alert(1)</script>"  # text, as given
    assert props[ids[2]]["reviewed_at"] == "2030-01-01T09:00:00+00:00" and props[ids[3]]["reviewed_by"] is None
    report = (run_dir / "report.html").read_text()
    assert "<script>alert(1)" not in report  # markup in a comment stays text in the page too

    with sqlite3.connect(run_dir / "findings.gpkg") as db:
        table = db.execute("SELECT id, review_status, status, reviewed_by FROM findings").fetchall()
        by_id = {fid: (status, same, by) for fid, status, same, by in table}
        assert by_id[ids[2]] == ("corrected", "corrected", "carla") and by_id[ids[3]][:2] == ("unconfirmed",) * 2
        qml = db.execute("SELECT styleQML FROM layer_styles WHERE styleName='by review status'").fetchone()[0]
    db.close()
    assert "corrected" in qml
    rows = (run_dir / "findings.csv").read_text(encoding="utf-8-sig").splitlines()
    header = rows[0].split(",")
    assert {"review_status", "reviewed_by", "reviewed_at", "corrected_class"} <= set(header)
    row = next(r.split(",") for r in rows[1:] if r.startswith(ids[2]))
    assert row[header.index("review_status")] == "corrected" and row[header.index("reviewed_by")] == "carla"
    kml = (run_dir / "findings.kml").read_text()
    assert "corrected" in kml and "carla" in kml

    only = cli("export", "--out", str(out), "--status", "confirmed", "--to", str(tmp_path / "c.geojson"))
    assert only.exit_code == 0, only.output
    assert set(features(tmp_path / "c.geojson")) == {ids[0], ids[1]}
    both = cli("export", "--out", str(out), "--status", "confirmed,corrected", "--status", "rejected",
               "--to", str(tmp_path / "b.geojson"))
    assert both.exit_code == 0 and set(features(tmp_path / "b.geojson")) == {ids[0], ids[1], ids[2]}
    rest = cli("export", "--out", str(out), "--status", "unconfirmed", "--to", str(tmp_path / "u.geojson"))
    assert rest.exit_code == 0 and set(features(tmp_path / "u.geojson")) == set(ids[3:])
    bad = cli("export", "--out", str(out), "--status", "maybe", "--to", str(tmp_path / "x.geojson"))
    assert bad.exit_code == 2 and "--status 'maybe'" in one_error(bad)

    again = cli("report", run_dir.name, "--out", str(out))  # a report written again keeps them
    assert again.exit_code == 0, again.output
    assert features(run_dir / "findings.geojson")[ids[2]]["review_status"] == "corrected"


@pytest.mark.parametrize("content, words", [
    ("{not json", "not a verdicts file (not JSON"),
    ('["confirmed"]', "not a verdicts file (expected an object"),
    ('{"flight": "f", "run": "RUN", "verdicts": {"0000000000000000": "confirmed"}}', "has no such finding"),
    ('{"flight": "f", "run": "nope", "verdicts": {}}', "no run 'nope'"),
    ('{"flight": "other", "run": "RUN", "verdicts": {}}', "the file is for flight 'other'"),
    ('{"flight": "f", "run": "RUN", "verdicts": {"ID": "maybe"}}', "verdict 'maybe' is none of confirmed, rejected"),
    ('{"flight": "f", "run": "RUN", "verdicts": {"ID": {"verdict": "confirmed", "x": 1}}}', "unknown key 'x'"),
    ('{"flight": "f", "run": "RUN", "verdicts": {"ID": {"verdict": "corrected", "class": "tree"}}}',
     "class 'tree' is none of the model's"),
    ('{"flight": "f", "run": "RUN", "verdicts": {"ID": {"verdict": "confirmed", "at": "yesterday"}}}',
     "is no ISO 8601 time"),
])
def test_a_bad_verdicts_file_is_one_line_naming_it_and_exit_2(reviewed: tuple[Path, Path, list[str]],
                                                               tmp_path: Path, content: str, words: str) -> None:
    out, run_dir, ids = reviewed
    flight = run_dir.parent.name
    text = content.replace("RUN", run_dir.name).replace("ID", ids[0]).replace('"flight": "f"',
                                                                              f'"flight": "{flight}"')
    bad = tmp_path / "bad.json"
    bad.write_text(text)
    before = (run_dir / "findings.geojson").read_bytes()
    result = cli("review", "apply", str(bad), "--out", str(out))
    assert result.exit_code == 2, result.output
    message = one_error(result)
    assert words in message and (str(bad) in message or "no run" in message), message
    assert (run_dir / "findings.geojson").read_bytes() == before
    with open_ledger(out / "ledger.sqlite", read_only=True) as ledger:
        assert ledger.verdicts() == {}


def test_read_verdicts_file_takes_the_old_form_at_the_file_s_time(tmp_path: Path) -> None:
    path = tmp_path / "v.json"
    path.write_text('{"flight": "f", "run": "r", "verdicts": {"a": "confirmed", "b": {"verdict": "rejected"}}}')
    flight, run, verdicts = read_verdicts_file(path, "anna")
    assert (flight, run) == ("f", "r")
    assert [(v.finding_id, v.verdict, v.reviewed_by) for v in verdicts] == [("a", "confirmed", "anna"),
                                                                            ("b", "rejected", "anna")]
    assert verdicts[0].reviewed_at == datetime.fromtimestamp(path.stat().st_mtime, UTC)


# -- a re-scan, and the data set -----------------------------------------------------------------------------
def review_all(out: Path, run_dir: Path, tmp_path: Path, verdict_of: dict[str, str | dict]) -> None:
    path = verdicts_file(tmp_path / f"v-{run_dir.name}.json", run_dir, verdict_of)
    result = cli("review", "apply", str(path), "--out", str(out), "--reviewer", "anna")
    assert result.exit_code == 0, result.output


def test_a_rescan_keeps_the_verdicts_of_findings_whose_id_did_not_change(tmp_path: Path) -> None:
    out = tmp_path / "out"
    copy_photos(tmp_path / "north", 4)
    first = run_scan(tmp_path / "north", out, "--profile", "cracks")
    assert first.exit_code == 0 and first.run_dir is not None, first.output
    ids = list(features(first.run_dir / "findings.geojson"))
    assert ids
    review_all(out, first.run_dir, tmp_path, {i: "rejected" if n % 2 else "confirmed" for n, i in enumerate(ids)})
    second = run_scan(tmp_path / "north", out, "--profile", "cracks", "--conf", "0.26")  # new settings: scanned again
    assert second.exit_code == 0 and second.run_dir is not None and second.run_dir != first.run_dir, second.output
    again = features(second.run_dir / "findings.geojson")
    kept = set(again) & set(ids)
    assert kept, "the same photos and model give the same finding ids"
    for n, i in enumerate(ids):
        if i in kept:
            assert again[i]["review_status"] == ("rejected" if n % 2 else "confirmed")
            assert again[i]["reviewed_by"] == "anna"


@pytest.fixture
def two_flights(tmp_path: Path) -> tuple[Path, dict[str, Path]]:
    """Two flights scanned into one ledger, every finding reviewed but those of one photo of `south`."""
    out = tmp_path / "out"
    photos = copy_photos(tmp_path / "all", 13)
    runs = {}
    for name, part in (("north", photos[:6]), ("south", photos[6:])):
        (tmp_path / name).mkdir()
        for p in part:
            shutil.move(p, tmp_path / name / p.name)
        scan = run_scan(tmp_path / name, out, "--profile", "cracks")
        assert scan.exit_code == 0 and scan.run_dir is not None, scan.output
        runs[name] = scan.run_dir
    return out, runs


@pytest.mark.slow
def test_dataset_labels_confirmed_and_corrected_keeps_rejected_as_negatives_and_splits_by_flight(
        two_flights: tuple[Path, dict[str, Path]], tmp_path: Path) -> None:
    out, runs = two_flights
    props = {name: features(d / "findings.geojson") for name, d in runs.items()}
    by_image: dict[str, list[str]] = {}
    for fid, p in props["south"].items():
        by_image.setdefault(p["image"], []).append(fid)
    unreviewed_image = max(by_image, key=lambda k: len(by_image[k]))
    north_ids = list(props["north"])
    north = {fid: "confirmed" for fid in north_ids}
    north[north_ids[0]] = {"verdict": "corrected", "box_px": [10, 20, 110, 60]}
    north[north_ids[1]] = "rejected"
    review_all(out, runs["north"], tmp_path, north)
    south = {fid: "rejected" for img, fids in by_image.items() if img != unreviewed_image for fid in fids}
    review_all(out, runs["south"], tmp_path, south)

    target = tmp_path / "ds"
    made = cli("dataset", "--runs", f"{runs['north'].name},{runs['south'].name}", str(target), "--out", str(out))
    assert made.exit_code == 0, made.output
    data = yaml.safe_load((target / "data.yaml").read_text())
    assert data["names"] == {0: "crack"} and data["train"] == "images/train" and data["val"] == "images/val"
    images = {part: {p.stem for p in (target / "images" / part).glob("*.jpg")} for part in ("train", "val")}
    labels = {part: {p.stem: p.read_text() for p in (target / "labels" / part).glob("*.txt")}
              for part in ("train", "val")}
    assert images["train"] and images["val"] and not images["train"] & images["val"]
    assert {k: set(v) for k, v in labels.items()} == images
    north_part = "train" if any(v.strip() for v in labels["train"].values()) else "val"
    south_part = "val" if north_part == "train" else "train"
    assert all(not text.strip() for text in labels[south_part].values())  # south: rejected only, hard negatives
    assert len(images[south_part]) == len(by_image) - 1  # the photo with unreviewed findings is left out
    n_boxes = sum(len(t.splitlines()) for t in labels[north_part].values())
    assert n_boxes == len(north_ids) - 1  # every confirmed and corrected box, not the rejected one
    lines = [tuple(map(float, line.split())) for t in labels[north_part].values() for line in t.splitlines()]
    assert all(c == 0 and 0 < x < 1 and 0 < y < 1 and 0 < w <= 1 and 0 < h <= 1 for c, x, y, w, h in lines)
    assert any(abs(w - 100 / 1280) < 1e-5 and abs(h - 40 / 960) < 1e-5 for _, _, _, w, h in lines)  # corrected
    source = (target / "SOURCE.md").read_text()
    assert runs["north"].name in source and "anna" in source and "a finding not reviewed 1" in source

    tiles = tmp_path / "tiles"
    cut = cli("dataset", "--all", str(tiles), "--out", str(out), "--tile", "320")
    assert cut.exit_code == 0, cut.output
    from PIL import Image

    tile_images = list(tiles.glob("images/*/*.jpg"))
    assert tile_images and all(Image.open(p).size == (320, 320) for p in tile_images)
    empty = [p for p in tiles.glob("labels/*/*.txt") if not p.read_text().strip()]
    assert len(empty) >= len(south)  # a background tile around each rejected box (some may coincide)
    refused = cli("dataset", "--all", str(tiles), "--out", str(out))
    assert refused.exit_code == 2 and "not empty" in one_error(refused)

    trained = cli("train", "--profile", "cracks", "--data", str(target / "data.yaml"), "--from",
                  str(CRACKS_WEIGHTS), "--epochs", "1", "--imgsz", "64", "--batch", "2", "--device", "cpu",
                  "--out", str(tmp_path / "w" / "reviewed.pt"))
    assert trained.exit_code == 0, trained.output
    assert (tmp_path / "w" / "reviewed.pt").is_file()


def test_dataset_needs_runs_or_all(tmp_path: Path) -> None:
    result = cli("dataset", str(tmp_path / "ds"), "--out", str(tmp_path))
    assert result.exit_code == 2 and "give --runs RUN" in one_error(result)
