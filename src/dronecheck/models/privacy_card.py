"""The privacy model's card: its scores the usual way (Ultralytics' validator) and, what matters for
blurring, at the low confidence the blurring uses and the way it sees photos (detect.privacy)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from dronecheck import __version__
from dronecheck.detect import privacy
from dronecheck.hashing import file_sha256
from dronecheck.models import card
from dronecheck.models.scores import _labels, _split_images, validate

PURPOSE = "privacy: blur people and vehicles in published crops"
INTENDED_USE = ("Finding people and vehicles in drone photos so that the crops and photo views a report shows "
                "can be blurred (at a low confidence: it errs on the side of blurring too much). Not for "
                "counting, tracking or recognising anyone.")
COVERED = 0.8  # a true box counts as hidden when this share of it lies under the (padded) blurred boxes
SETS = {"test": "test (held-out DJI drone frames)", "val": "val (KIT aerial, DJI_0013)",
        "persons": "persons (ground photos; COCO-model people as reference, not ground truth)"}


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    lt, rb = np.maximum(a[:, None, :2], b[None, :, :2]), np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(rb - lt, 0, None), axis=2)
    area = lambda x: np.prod(x[:, 2:] - x[:, :2], axis=1)  # noqa: E731
    return inter / (area(a)[:, None] + area(b)[None, :] - inter + 1e-9)


def _covered(box: np.ndarray, blurred: np.ndarray, shape: tuple[int, int]) -> bool:
    """Whether COVERED of `box` lies under the blurred boxes (grown as report.crops.blurred grows them)."""
    from dronecheck.report.crops import BLUR_PAD, grown

    x0, y0, x1, y1 = (int(round(v)) for v in box)
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(shape[1], x1), min(shape[0], y1)
    if x1 <= x0 or y1 <= y0:
        return True
    mask = np.zeros((y1 - y0, x1 - x0), bool)
    for b in blurred:
        left, top, right, bottom = grown(b, BLUR_PAD, shape[1], shape[0])
        left, top, right, bottom = max(left, x0) - x0, max(top, y0) - y0, min(right, x1) - x0, min(bottom, y1) - y0
        if right > left and bottom > top:
            mask[top:bottom, left:right] = True
    return mask.mean() >= COVERED


def blur_scores(weights: Path, data: Path, split: str, *, device: str | None = None) -> list[dict[str, Any]]:
    """Per class at privacy.BLUR_CONF, photos seen as the blurring sees them: recall (a box of the class with
    IoU >= 0.5), hidden (share of true boxes at least COVERED under the blur of any class), precision."""
    detector = privacy.load(weights, weights.parent / privacy.PEOPLE_WEIGHTS_NAME, device)
    names = detector.class_names
    tally = {c: {"instances": 0, "found": 0, "hidden": 0, "detections": 0, "right": 0} for c in names}
    for image in _split_images(data, split):
        pixels = np.asarray(Image.open(image).convert("RGB"))
        truth = _labels(image, pixels.shape[1], pixels.shape[0])
        dets = privacy.find(detector, [pixels], names)[0]
        iou = _iou(truth[:, 1:], dets.xyxy) if len(truth) and len(dets) else np.zeros((len(truth), len(dets)))
        same = truth[:, :1].astype(int) == dets.class_id[None, :]
        for row, (cls, *box) in enumerate(truth):
            t = tally[names[int(cls)]]
            t["instances"] += 1
            t["found"] += int(((iou[row] >= 0.5) & same[row]).any())
            t["hidden"] += int(_covered(np.array(box), dets.xyxy, pixels.shape[:2]))
        for col, cid in enumerate(dets.class_id):
            t = tally[names[int(cid)]]
            t["detections"] += 1
            t["right"] += int(((iou[:, col] >= 0.5) & same[:, col]).any()) if len(truth) else 0
    rows = []
    for c, t in tally.items():
        if t["instances"] or t["detections"]:
            rows.append({"set": SETS.get(split, split), "class": c, "conf": privacy.BLUR_CONF,
                         "instances": t["instances"], "detections": t["detections"],
                         "recall": round(t["found"] / t["instances"], 4) if t["instances"] else None,
                         "hidden": round(t["hidden"] / t["instances"], 4) if t["instances"] else None,
                         "precision": round(t["right"] / t["detections"], 4) if t["detections"] else None})
    return rows


def write_card(weights: Path, data: Path, start: Path, training: dict[str, Any] | None = None,
               device: str | None = "cpu") -> dict[str, Any]:
    """Write (or rewrite) the privacy model's card with its scores; `training` None keeps the card's."""
    classes = list(privacy.CLASSES)
    old = card.read(weights)
    new = card.new_card(name=weights.stem, purpose=PURPOSE, classes=classes, data=data,
                        training=training or old.get("training", {}), sha256=file_sha256(weights),
                        version=__version__,
                        initialised_from=card.initialised_from(start) + "; its classifier cut to the rows of COCO "
                        "person, car, truck, bus and bicycle (as person, car, truck, bus, cyclist)")
    new["intended_use"] = INTENDED_USE
    new["split"] = ("by source: train KIT AIS MOS74-93 and MunichStreet02 and the DJI sequences DJI-00760 and "
                    "DJI_0762; val KIT AIS MOS155-179 and the DJI sequence DJI_0013; test (held out) the DJI_0005 "
                    "sequence and the photos DJI_0022, DJI_0031; people in the DJI frames boxed by hand; see "
                    "datasets/privacy/SOURCE.md")
    card.write(weights, new)
    for split, label in (("val", "val"), ("test", SETS["test"])):
        card.set_scores(weights, validate(weights, data, split=split, imgsz=privacy.IMGSZ, device=device), label)
    result = card.read(weights)
    result["blur_scores"] = [row for split in ("test", "val", "persons")
                             for row in blur_scores(weights, data, split, device=device)]
    people = weights.parent / privacy.PEOPLE_WEIGHTS_NAME
    result["used_with"] = (f"{people.name} (sha256 {file_sha256(people)}), the Ultralytics YOLO11n COCO weights "
                           "unchanged (AGPL-3.0), for people seen from the side (COCO person) and cyclists (COCO "
                           "bicycle, motorcycle); this model gives people from above, cars, trucks and buses. The "
                           "blur scores below are of the two together.")
    result["limits"] = _limits(result["blur_scores"])
    card.write(weights, result)
    return result


def _limits(rows: list[dict[str, Any]]) -> str:
    test = {r["class"]: r for r in rows if r["set"] == SETS["test"] and r["instances"]}
    measured = ", ".join(f"{c} recall {r['recall']:.2f}, hidden {r['hidden']:.2f} ({r['instances']} boxes)"
                         for c, r in test.items())
    unmeasured = [c for c in privacy.CLASSES if c not in test]
    return (f"Measured on 11 held-out DJI drone frames at conf {privacy.BLUR_CONF}: {measured}. "
            + (f"No {' or '.join(unmeasured)} is labelled in the held-out frames, so their recall there is not "
               "measured. " if unmeasured else "")
            + "The people in the drone frames were boxed by hand by the project (datasets/privacy/SOURCE.md): "
            "boxes of 10-30 pixels, loosely drawn, so 'hidden' (a person at least 80% under the blur) says more "
            "than recall at IoU 0.5; a few people may have been missed by the labellers, and unsure ones are left "
            "out. The Scores table (Ultralytics' validator) sees each frame whole at 640 pixels, where a person "
            "from above is a few pixels and is seldom found; the blurring looks in 640-pixel tiles at full "
            "resolution, as the blur scores do. The persons check (people the COCO model finds at conf >= 0.5 in "
            "9 ground-level photos) is not ground truth. At this confidence the model marks many things that are "
            "neither people nor vehicles (low precision; in the ground photos many boxes are 'person'): blurring "
            "errs on the side of too much. vehicles-aerial has no cyclists and two trucks: the cyclist and truck "
            "classes rest on COCO's bicycle and truck. Minibuses are counted as bus. Street scenes from above and "
            "from oblique drone angles in two cities only (Minsk, Munich); number plates are not looked for on "
            "their own (a vehicle is blurred whole).")
