"""Model cards: what a model is for, what it learned from, how well it scores, its limits.

Dutch public bodies publish this for every algorithm they use (the Algoritmeregister).
The card is JSON beside the weights (`<weights>.card.json`, read by the report) with a
Markdown rendering for people (`<weights>.card.md`).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from dronecheck.report.files import write_atomic

# Ultralytics publishes its YOLO code and models under AGPL-3.0, and weights trained with it or
# fine-tuned from its checkpoints come under the same licence.
LICENCE = "AGPL-3.0 (trained with Ultralytics YOLO; see https://www.ultralytics.com/license)"
HUMAN_OVERSIGHT = ("Every finding is a suspicion for a person to confirm or reject; the model decides nothing. "
                   "The report shows each finding's crop, score and position for that review.")


def card_path(weights: Path) -> Path:
    return weights.with_suffix(".card.json")


def read(weights: Path) -> dict[str, Any]:
    path = card_path(weights)
    return json.loads(path.read_text()) if path.is_file() else {}


def write(weights: Path, card: dict[str, Any]) -> None:
    write_atomic(card_path(weights), (json.dumps(card, indent=1, ensure_ascii=False) + "\n").encode())
    write_atomic(weights.with_suffix(".card.md"), markdown(card).encode())


def set_scores(weights: Path, result: dict[str, Any], label: str) -> dict[str, Any]:
    """Put an evaluation result into the card under `label`, replacing an older one of that label."""
    card = read(weights)
    rows = [s for s in card.get("scores", []) if s["set"] != label]
    rows += [{"set": label, **{k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()}}
             for row in result["rows"]]
    card["scores"] = rows
    card["sha256"] = result["sha256"]
    write(weights, card)
    return card


def split_counts(data_root: Path) -> dict[str, dict[str, int]]:
    """Images and boxes per split of a YOLO data set laid out as labels/<split>/*.txt."""
    counts = {}
    for split_dir in sorted(p for p in (data_root / "labels").iterdir() if p.is_dir()):
        labels = list(split_dir.glob("*.txt"))
        counts[split_dir.name] = {"images": len(labels),
                                  "boxes": sum(len(p.read_text().split()) // 5 for p in labels)}
    return counts


def initialised_from(start: Path | None) -> str:
    """What the weights started from, for the card: a checkpoint (fine-tuning) or nothing (from scratch).

    >>> initialised_from(None)
    'from scratch (random initialisation)'
    >>> initialised_from(Path("../shared/models/yolo11n-coco.pt"))
    'fine-tuned from yolo11n-coco.pt: Ultralytics YOLO11n COCO weights, AGPL-3.0'
    """
    if start is None:
        return "from scratch (random initialisation)"
    known = {"yolo11n-coco.pt": "Ultralytics YOLO11n COCO weights, AGPL-3.0",
             "yolov8n-coco.pt": "Ultralytics YOLOv8n COCO weights, AGPL-3.0"}
    return f"fine-tuned from {start.name}" + (f": {known[start.name]}" if start.name in known else "")


def new_card(*, name: str, purpose: str, classes: list[str], data: Path, training: dict[str, Any],
             sha256: str, version: str, initialised_from: str = "") -> dict[str, Any]:
    counts = split_counts(data.parent)
    described = "; ".join(f"{s}: {c['images']} images, {c['boxes']} boxes" for s, c in counts.items())
    return {
        "name": name,
        "version": version,
        "date": date.today().isoformat(),
        "purpose": purpose,
        "intended_use": "Finding candidates for a person to review in drone inspection photos.",
        "classes": classes,
        "training_data": f"{data.parent.name} ({described}); origin and licences in "
                         f"datasets/{data.parent.name}/SOURCE.md",
        "split": "by source (site, flight or source photo), never random tiles of one photo on both sides; "
                 f"see datasets/{data.parent.name}/SOURCE.md",
        "initialised_from": initialised_from,
        "licence": LICENCE,
        "training": training,
        "scores": [],
        "limits": "",
        "human_oversight": HUMAN_OVERSIGHT,
        "sha256": sha256,
    }


def markdown(card: dict[str, Any]) -> str:
    lines = [f"# Model card: {card.get('name', '?')}", ""]
    for key in ("purpose", "intended_use", "classes", "training_data", "split", "initialised_from", "used_with",
                "licence",
                "limits", "human_oversight", "version", "date", "sha256"):
        value = card.get(key)
        if value:
            text = ", ".join(value) if isinstance(value, list) else value
            lines.append(f"- **{key.replace('_', ' ').capitalize()}**: {text}")
    if card.get("training"):
        lines += ["", "## Training", ""] + [f"- {k}: {v}" for k, v in card["training"].items()]
    if card.get("scores"):
        lines += ["", "## Scores", "", "| evaluated on | class | precision | recall | mAP50 | mAP50-95 |",
                  "|---|---|---|---|---|---|"]
        lines += [f"| {s['set']} | {s['class']} | {s['precision']:.3f} | {s['recall']:.3f} | {s['map50']:.3f} "
                  f"| {s['map50_95']:.3f} |" for s in card["scores"]]
    if card.get("blur_scores"):
        show = lambda v: "-" if v is None else f"{v:.3f}"  # noqa: E731
        lines += ["", "## At the confidence used for blurring", "",
                  "recall: a box of the class at IoU >= 0.5; hidden: share of the true boxes at least 80% under "
                  "the blur (boxes of any class, padded as blurred); precision: of the boxes of the class.", "",
                  "| evaluated on | class | conf | true boxes | boxes found | recall | hidden | precision |",
                  "|---|---|---|---|---|---|---|---|"]
        lines += [f"| {s['set']} | {s['class']} | {s['conf']} | {s['instances']} | {s['detections']} | "
                  f"{show(s['recall'])} | {show(s['hidden'])} | {show(s['precision'])} |" for s in card["blur_scores"]]
    if card.get("crack_pixels"):
        px = card["crack_pixels"]
        lines += ["", "## Traced cracks against true masks", "",
                  f"{px['set']}: crack-pixel recall {px['recall']:.3f}, precision {px['precision']:.3f}, "
                  f"F1 {px['f1']:.3f}, length error {px['length_error']:.3f} (boxes scored >= {px['conf']}, "
                  f"whose precision is {px['box_precision']:.3f}; {px['tolerance_px']} px tolerance)"]
    return "\n".join(lines) + "\n"
