"""Does the fine-tuned privacy model alone still find people seen from the side (what COCO knew)?

Run from the repository root, after build.py:
    python datasets/privacy/persons_check.py [WEIGHTS ...]     # default: weights/privacy-yolo11n.pt

For each model it counts the people of the `persons` split (9 ground photos; the people the COCO
model finds there at conf >= 0.5, a reference and not ground truth) that the model alone finds as
person (IoU >= 0.5) at the blur confidence, seeing each photo as the privacy detector's COCO pass does.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("weights", nargs="*", type=Path, default=[ROOT / "weights" / "privacy-yolo11n.pt"])
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    from dronecheck.detect import runtime

    runtime.prepare()
    import numpy as np
    from PIL import Image

    from dronecheck.detect import privacy, yolo
    from dronecheck.models.privacy_card import _iou
    from dronecheck.models.scores import _labels, _split_images

    for weights in args.weights:
        model = yolo.load(weights, conf=privacy.BLUR_CONF, iou=privacy.IOU, imgsz=privacy.IMGSZ,
                          tile_size=privacy.TILE_SIZE, tile_overlap=privacy.TILE_OVERLAP, full_pass=True)
        people = found = 0
        for image in _split_images(HERE / "data.yaml", "persons"):
            pixels = np.asarray(Image.open(image).convert("RGB"))
            truth = _labels(image, pixels.shape[1], pixels.shape[0])
            truth = truth[truth[:, 0] == 0, 1:]
            dets = model.detect([pixels], 1, tile_sizes=[privacy.tile_size(pixels)])[0]
            boxes = dets.xyxy[dets.class_id == 0]
            people += len(truth)
            if len(truth) and len(boxes):
                found += int((_iou(truth, boxes).max(axis=1) >= 0.5).sum())
        print(f"{weights.name}: found {found} of the {people} people of the persons check alone "
              f"(IoU 0.5, conf {privacy.BLUR_CONF})")


if __name__ == "__main__":
    main()
