"""Build the `privacy` training set (people and vehicles seen from above) from ../shared/data.

Run from the repository root:  python datasets/privacy/build.py [--shared ../shared/data]

Classes (the order of the privacy model): 0 person, 1 car, 2 truck, 3 bus, 4 cyclist.
vehicles-aerial's `minibus` (its class 3) is merged into `bus`: for blurring the two are the same.

Split by source, never random frames of one sequence on both sides:
- train: KIT AIS `MOS74-93` and `MunichStreet02-MOS74-93`, and the DJI sequences `DJI-00760` and
  `DJI_0762` (6 drone frames, so the model sees drone views and people from above)
- val:   KIT AIS `MOS155-179` (another KIT flight) and the DJI sequence `DJI_0013` (2 frames, with
  people): picks the best epoch
- test:  the DJI sequence `DJI_0005` (9 video frames) and the two DJI photos `DJI_0022`, `DJI_0031`
  (4000x2250): held out, never in train or val; the recall in the model card
- persons: the 9 ground photos of ../shared/data/gps-photos with COCO-model persons (conf >= 0.5)
  as labels: not ground truth, a check that the fine-tune kept COCO's people

vehicles-aerial has no people labelled. The people of its 19 DJI frames were boxed by hand
(people/{stem}.txt, x1 y1 x2 y2 in photo pixels, made with label_tiles.py; boxes marked `unsure`
are left out). The KIT images, whose people are a few pixels, are pseudo-labelled by the COCO model
the privacy model starts from (`../shared/models/yolo11n-coco.pt`, class person, conf >= PERSON_CONF,
whole image at 1280 px).

The DJI frames of train and val go in whole and also as TILE-pixel tiles at full resolution: people
from above are 10-30 pixels, gone when a 1920-pixel frame is shrunk to 640; the privacy detector
looks at drone frames in tiles of that size too (detect.privacy).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from PIL import Image

HERE = Path(__file__).resolve().parent
NAMES = ["person", "car", "truck", "bus", "cyclist"]
FROM_SOURCE = {0: 1, 1: 2, 2: 3, 3: 3, 4: 4}  # vehicles-aerial: car, truck, bus, minibus, cyclist
PERSON_CONF = 0.5
COCO_PERSON = 0


TILE = 640
OVERLAP = 0.2
KEEP = 0.5  # a box cut by a tile's edge is kept (clipped) when this share of it lies in the tile


def split_of(stem: str) -> str:
    if stem.startswith(("DJI_0005-", "DJI_0022", "DJI_0031")):
        return "test"
    if stem.startswith("MOS") and int(stem[3:]) >= 155 or stem.startswith("DJI_0013"):
        return "val"
    return "train"


def tiled(rows: list[str], width: int, height: int) -> list[tuple[tuple[int, int, int, int], list[str]]]:
    """The TILE-pixel tiles of a width x height photo with its YOLO rows, each clipped to the tile (rows with
    less than KEEP of their box inside are left out)."""
    from dronecheck.detect.tiling import tile_windows

    out = []
    for x0, y0, x1, y1 in tile_windows(width, height, TILE, OVERLAP).tolist():
        tw, th, kept = x1 - x0, y1 - y0, []
        for row in rows:
            c, cx, cy, w, h = row.split()
            bx0, by0 = (float(cx) - float(w) / 2) * width, (float(cy) - float(h) / 2) * height
            bx1, by1 = bx0 + float(w) * width, by0 + float(h) * height
            ix0, iy0, ix1, iy1 = max(bx0, x0), max(by0, y0), min(bx1, x1), min(by1, y1)
            if ix1 <= ix0 or iy1 <= iy0 or (ix1 - ix0) * (iy1 - iy0) < KEEP * (bx1 - bx0) * (by1 - by0):
                continue
            kept.append(f"{c} {((ix0 + ix1) / 2 - x0) / tw:.6f} {((iy0 + iy1) / 2 - y0) / th:.6f} "
                        f"{(ix1 - ix0) / tw:.6f} {(iy1 - iy0) / th:.6f}")
        out.append(((x0, y0, x1, y1), kept))
    return out


def remap(text: str) -> list[str]:
    rows = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 5:
            rows.append(" ".join([str(FROM_SOURCE[int(parts[0])]), *parts[1:]]))
    return rows


def hand_persons(path: Path, width: int, height: int) -> list[str]:
    """YOLO rows (class 0) of the people boxed by hand in `path`, leaving out those marked unsure."""
    rows = []
    for line in path.read_text().splitlines():
        if "unsure" in line or not line.split("#", 1)[0].strip():
            continue
        x1, y1, x2, y2 = (float(v) for v in line.split("#", 1)[0].split()[:4])
        x1, x2 = sorted((max(0.0, x1), min(float(width), x2)))
        y1, y2 = sorted((max(0.0, y1), min(float(height), y2)))
        rows.append(f"0 {(x1 + x2) / 2 / width:.6f} {(y1 + y2) / 2 / height:.6f} {(x2 - x1) / width:.6f} "
                    f"{(y2 - y1) / height:.6f}")
    return rows


def coco_persons(model, image: Path) -> list[str]:
    """YOLO rows (class 0) of the people the COCO model finds at conf >= PERSON_CONF."""
    result = model.predict(str(image), imgsz=1280, conf=PERSON_CONF, classes=[COCO_PERSON], verbose=False)[0]
    return [f"0 {x:.6f} {y:.6f} {w:.6f} {h:.6f}" for x, y, w, h in result.boxes.xywhn.tolist()]


def count(counts: dict[str, list[int]], split: str, rows: list[str]) -> None:
    c = counts.setdefault(split, [0] * (len(NAMES) + 1))
    c[0] += 1
    for r in rows:
        c[1 + int(r.split()[0])] += 1


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
        people = HERE / "people" / f"{image.stem}.txt"
        if people.is_file():
            rows += hand_persons(people, *Image.open(image).size)
        elif split != "test":
            rows += coco_persons(coco, image)
        shutil.copyfile(image, HERE / "images" / split / image.name.replace(".JPG", ".jpg"))
        (HERE / "labels" / split / f"{image.stem}.txt").write_text("".join(r + "\n" for r in rows))
        count(counts, split, rows)
        if split != "test" and image.stem.startswith("DJI"):
            photo = Image.open(image)
            for (x0, y0, x1, y1), kept in tiled(rows, *photo.size):
                name = f"{image.stem}_t{x0}-{y0}"
                photo.crop((x0, y0, x1, y1)).save(HERE / "images" / split / f"{name}.jpg", quality=95)
                (HERE / "labels" / split / f"{name}.txt").write_text("".join(r + "\n" for r in kept))
                count(counts, f"{split} (tiles)", kept)
    for image in sorted((args.shared / "gps-photos" / "jpg" / "gps").glob("*.jpg")):
        rows = coco_persons(coco, image)
        shutil.copyfile(image, HERE / "images" / "persons" / image.name)
        (HERE / "labels" / "persons" / f"{image.stem}.txt").write_text("".join(r + "\n" for r in rows))
        count(counts, "persons", rows)
    for split, c in counts.items():
        print(f"{split}: {c[0]} images, " + ", ".join(f"{n} {k} {name}" for n, k, name in
                                                      zip(c[1:], ["boxes"] * 5, NAMES, strict=True)))


if __name__ == "__main__":
    main()
