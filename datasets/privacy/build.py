"""Build the `privacy` training set (people and vehicles seen from above) from ../shared/data.

Run from the repository root:  python datasets/privacy/build.py [--shared ../shared/data]

Classes (the order of the privacy model): 0 person, 1 car, 2 truck, 3 bus, 4 cyclist.
vehicles-aerial's `minibus` (its class 3) is merged into `bus`: for blurring the two are the same.

Split by source, never random frames of one sequence on both sides:
- train: KIT AIS `MOS74-93` and `MunichStreet02-MOS74-93`, and the DJI sequences `DJI-00760`,
  `DJI_0762` and `DJI_0013` (8 drone frames, so the model sees oblique drone views too)
- val:   KIT AIS `MOS155-179` (another KIT flight; picks the best epoch)
- test:  the DJI sequence `DJI_0005` (9 video frames) and the two DJI photos `DJI_0022`, `DJI_0031`
  (4000x2250): held out, never in train or val; the recall in the model card
- persons: the 9 ground photos of ../shared/data/gps-photos with COCO-model persons (conf >= 0.5)
  as labels: not ground truth, a check that the fine-tune kept COCO's people

vehicles-aerial has no people labelled. People are pseudo-labelled on the train and val images by
the COCO model the privacy model starts from (`../shared/models/yolo11n-coco.pt`, class person,
conf >= PERSON_CONF, whole image at 1280 px); the test images keep only their true labels.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
NAMES = ["person", "car", "truck", "bus", "cyclist"]
FROM_SOURCE = {0: 1, 1: 2, 2: 3, 3: 3, 4: 4}  # vehicles-aerial: car, truck, bus, minibus, cyclist
PERSON_CONF = 0.5
COCO_PERSON = 0


def split_of(stem: str) -> str:
    if stem.startswith(("DJI_0005-", "DJI_0022", "DJI_0031")):
        return "test"
    if stem.startswith("MOS") and int(stem[3:]) >= 155:
        return "val"
    return "train"


def remap(text: str) -> list[str]:
    rows = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 5:
            rows.append(" ".join([str(FROM_SOURCE[int(parts[0])]), *parts[1:]]))
    return rows


def coco_persons(model, image: Path) -> list[str]:
    """YOLO rows (class 0) of the people the COCO model finds at conf >= PERSON_CONF."""
    result = model.predict(str(image), imgsz=1280, conf=PERSON_CONF, classes=[COCO_PERSON], verbose=False)[0]
    return [f"0 {x:.6f} {y:.6f} {w:.6f} {h:.6f}" for x, y, w, h in result.boxes.xywhn.tolist()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=HERE.parents[2] / "shared" / "data")
    args = parser.parse_args()
    sys.path.insert(0, str(HERE.parents[1] / "src"))
    from dronecheck.detect import runtime

    runtime.prepare()
    from ultralytics import YOLO

    coco = YOLO(str(args.shared.parent / "models" / "yolo11n-coco.pt"))
    source = args.shared / "vehicles-aerial"
    for split in ("train", "val", "test", "persons"):
        for folder in (HERE / "images" / split, HERE / "labels" / split):
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
    counts: dict[str, list[int]] = {}
    for image in sorted((source / "images").iterdir()):
        split = split_of(image.stem)
        rows = remap((source / "labels" / f"{image.stem}.txt").read_text())
        if split != "test":
            rows += coco_persons(coco, image)
        shutil.copyfile(image, HERE / "images" / split / image.name.replace(".JPG", ".jpg"))
        (HERE / "labels" / split / f"{image.stem}.txt").write_text("".join(r + "\n" for r in rows))
        c = counts.setdefault(split, [0] * (len(NAMES) + 1))
        c[0] += 1
        for r in rows:
            c[1 + int(r.split()[0])] += 1
    for image in sorted((args.shared / "gps-photos" / "jpg" / "gps").glob("*.jpg")):
        rows = coco_persons(coco, image)
        shutil.copyfile(image, HERE / "images" / "persons" / image.name)
        (HERE / "labels" / "persons" / f"{image.stem}.txt").write_text("".join(r + "\n" for r in rows))
        c = counts.setdefault("persons", [0] * (len(NAMES) + 1))
        c[0] += 1
        c[1] += len(rows)
    for split, c in counts.items():
        print(f"{split}: {c[0]} images, " + ", ".join(f"{n} {k} {name}" for n, k, name in
                                                      zip(c[1:], ["boxes"] * 5, NAMES, strict=True)))


if __name__ == "__main__":
    main()
