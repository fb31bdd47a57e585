"""`dronecheck train` and `dronecheck eval` for real: one tiny epoch, offline, then scores."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import ROOT
from dronecheck.cli import app

CRACKS = ROOT / "datasets" / "cracks"


def tiny_dataset(root: Path, n: int = 6) -> Path:
    for split in ("train", "val"):
        (root / "images" / split).mkdir(parents=True)
        (root / "labels" / split).mkdir(parents=True)
        for image in sorted((CRACKS / "images" / split).glob("*.jpg"))[:n]:
            shutil.copy(image, root / "images" / split / image.name)
            shutil.copy(CRACKS / "labels" / split / f"{image.stem}.txt", root / "labels" / split)
    data = root / "data.yaml"
    data.write_text("train: images/train\nval: images/val\nnames:\n  0: crack\n")
    return data


def test_train_one_epoch_then_eval(tmp_path: Path) -> None:
    data = tiny_dataset(tmp_path / "data")
    weights = tmp_path / "tiny.pt"
    runner = CliRunner()
    trained = runner.invoke(app, ["train", "--profile", "cracks", "--data", str(data), "--epochs", "1",
                                  "--imgsz", "64", "--batch", "4", "--device", "cpu", "--out", str(weights)])
    assert trained.exit_code == 0, trained.output
    card = json.loads(weights.with_suffix(".card.json").read_text())
    assert card["classes"] == ["crack"] and card["training"]["epochs"] == 1
    assert {s["set"] for s in card["scores"]} == {"val"} and len(card["sha256"]) == 64
    assert "train: 6 images" in card["training_data"]
    assert weights.with_suffix(".card.md").read_text().startswith("# Model card")

    scores = tmp_path / "scores.json"
    evaluated = runner.invoke(app, ["eval", "--weights", str(weights), "--data", str(data), "--split", "val",
                                    "--imgsz", "64", "--json", str(scores), "--card", "tiny-val"])
    assert evaluated.exit_code == 0, evaluated.output
    rows = json.loads(scores.read_text())["rows"]
    assert [r["class"] for r in rows][0] == "all" and all(0 <= r["map50"] <= 1 for r in rows)
    assert "tiny-val" in {s["set"] for s in json.loads(weights.with_suffix(".card.json").read_text())["scores"]}


def test_train_refuses_data_whose_classes_do_not_match_the_profile(tmp_path: Path) -> None:
    data = tiny_dataset(tmp_path / "data", n=1)
    data.write_text("train: images/train\nval: images/val\nnames:\n  0: pothole\n")
    result = CliRunner().invoke(app, ["train", "--profile", "cracks", "--data", str(data), "--epochs", "1",
                                      "--out", str(tmp_path / "x.pt")])
    assert result.exit_code == 1 and "pothole" in result.output


def test_eval_as_scan_agrees_with_ultralytics_on_whole_photos_and_also_tiles(tmp_path: Path) -> None:
    """Scored the way scan sees photos, whole photos give Ultralytics' own figures; tiling scores too."""
    data = ROOT / "datasets" / "road-check" / "data.yaml"
    weights = ROOT / "weights" / "cracks-yolov8n.pt"
    tiled = tmp_path / "tiled.toml"
    tiled.write_text(f'name = "tiled"\nweights = "{weights}"\nclasses = ["crack"]\nimgsz = 640\n'
                     "tile_size = 640\ntile_overlap = 0.2\n")
    runner = CliRunner()
    results = {}
    for name, args in (("ultralytics", ["--weights", str(weights), "--imgsz", "1280"]),
                       ("as-scan", ["--profile", "cracks"]), ("tiled", ["--profile", str(tiled)])):
        out = tmp_path / f"{name}.json"
        result = runner.invoke(app, ["eval", "--data", str(data), "--device", "cpu", "--json", str(out), *args])
        assert result.exit_code == 0, result.output
        results[name] = json.loads(out.read_text())
    assert results["as-scan"]["rows"][0]["instances"] == results["ultralytics"]["rows"][0]["instances"] == 64
    assert results["as-scan"]["rows"][0]["map50"] == pytest.approx(results["ultralytics"]["rows"][0]["map50"],
                                                                   abs=0.01)
    assert results["tiled"]["tile_size"] == 640 and 0 <= results["tiled"]["rows"][0]["map50"] <= 1
