"""How many of the hand-boxed people from above one model finds, by tile size and confidence.

Run from the repository root, after build.py:
    python datasets/privacy/people_tiles.py [--split test train]                  # the COCO model
    python datasets/privacy/people_tiles.py --split test --weights weights/privacy-yolo11n.pt

The COCO model never saw these drone frames, so every DJI frame with hand-boxed people (test and
train alike) measures it; the fine-tuned privacy model is measured on the held-out test frames. For
each tile size (0: the whole photo at 640 px) and confidence it prints recall (a person box with IoU >=
0.3 with a COCO person: hand boxes of 10-30 px are loose), hidden (share of people at least 80% under
the blur of the boxes the privacy detector takes from that model, as the card counts hiding) and the
seconds per photo on this machine.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
TILES = (0, 1280, 960, 640)
CONFS = (0.05, 0.1, 0.25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", nargs="+", default=["test", "train"])
    parser.add_argument("--tiles", nargs="+", type=int, default=list(TILES))
    parser.add_argument("--weights", type=Path, default=ROOT / "weights" / "yolo11n-coco.pt")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    from dronecheck.detect import runtime

    runtime.prepare()
    import numpy as np
    from PIL import Image

    from dronecheck.detect import privacy, yolo
    from dronecheck.models.privacy_card import _covered, _iou
    from dronecheck.models.scores import _labels, _split_images

    data = HERE / "data.yaml"
    images = [p for split in args.split for p in _split_images(data, split)
              if (HERE / "people" / f"{p.stem}.txt").is_file()]
    pixels = [np.asarray(Image.open(p).convert("RGB")) for p in images]
    truth = [_labels(p, a.shape[1], a.shape[0]) for p, a in zip(images, pixels, strict=True)]
    people = [t[t[:, 0] == 0, 1:] for t in truth]

    model = yolo.load(args.weights, conf=min(CONFS), iou=0.5, imgsz=privacy.IMGSZ,
                      tile_overlap=privacy.TILE_OVERLAP, full_pass=True)
    fine_tuned = model.class_names == privacy.CLASSES
    blur_ids = [privacy.CLASSES.index(c) for c in privacy.FINE_TUNED] if fine_tuned else list(privacy.FROM_COCO)
    print(f"{args.weights.name}: {len(images)} photos, {sum(len(p) for p in people)} people boxed by hand "
          f"({', '.join(args.split)})")
    print(f"{'tile':>5} {'conf':>5} {'recall':>7} {'hidden':>7} {'boxes':>6} {'s/photo':>8}")
    for tile in args.tiles:
        t0 = time.perf_counter()
        found = model.detect(pixels, 4, tile_sizes=[tile] * len(pixels))
        seconds = (time.perf_counter() - t0) / len(pixels)
        for conf in CONFS:
            hit = hidden = boxes = 0
            for dets, truth_boxes, a in zip(found, people, pixels, strict=True):
                keep = (dets.class_id == 0) & (dets.confidence >= conf)
                person = dets.xyxy[keep]
                blurred = dets.xyxy[np.isin(dets.class_id, blur_ids) & (dets.confidence >= conf)]
                boxes += len(person)
                if len(truth_boxes) and len(person):
                    hit += int((_iou(truth_boxes, person).max(axis=1) >= 0.3).sum())
                hidden += sum(_covered(b, blurred, a.shape[:2]) for b in truth_boxes)
            n = max(1, sum(len(p) for p in people))
            print(f"{tile:>5} {conf:>5} {hit / n:>7.3f} {hidden / n:>7.3f} {boxes:>6} {seconds:>8.2f}", flush=True)


if __name__ == "__main__":
    main()
