"""Build the `roads` training set (RDD2022 China_Drone) from the real data in ../shared/data.

Run from the repository root:  python datasets/roads/build.py [--shared ../shared/data]

Neighbouring image numbers are often neighbouring frames of one road, so the split is by
contiguous block of the sequence, never random:
- train: China_Drone_000000 to 001199
- val:   China_Drone_001200 to 001349 (picks the best epoch)
- test:  China_Drone_001350 to 001499 (held out: the scores in the model card)
Only the test block's images are committed (the card's scores can be checked from a clean
clone); train and val are rebuilt from ../shared/data by this script.
The demo flight (UAV-PDD2023 road photos) is never used here: it is the check from another source.
"""

from __future__ import annotations

import argparse
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

HERE = Path(__file__).resolve().parent
CODES = ["D00", "D10", "D20", "D40", "Repair"]  # class ids 0..4, the order of profiles/roads.toml
BLOCKS = {"train": range(0, 1200), "val": range(1200, 1350), "test": range(1350, 1500)}


def voc_to_yolo(xml_path: Path) -> list[str]:
    """YOLO rows for the boxes of the five RDD2022 classes; other names (2 'Block crack') are dropped."""
    root = ET.parse(xml_path).getroot()
    w, h = int(root.findtext("size/width")), int(root.findtext("size/height"))
    rows = []
    for obj in root.iter("object"):
        name = obj.findtext("name")
        if name not in CODES:
            continue
        x0, y0, x1, y1 = (float(obj.findtext(f"bndbox/{k}")) for k in ("xmin", "ymin", "xmax", "ymax"))
        x0, x1 = max(0.0, min(x0, x1)), min(float(w), max(x0, x1))
        y0, y1 = max(0.0, min(y0, y1)), min(float(h), max(y0, y1))
        if x1 - x0 < 1 or y1 - y0 < 1:
            continue
        rows.append(f"{CODES.index(name)} {(x0 + x1) / 2 / w:.6f} {(y0 + y1) / 2 / h:.6f} "
                    f"{(x1 - x0) / w:.6f} {(y1 - y0) / h:.6f}")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=HERE.parents[2] / "shared" / "data")
    args = parser.parse_args()
    source = args.shared / "rdd2022-china-drone"
    for split, block in BLOCKS.items():
        img_dir, lbl_dir = HERE / "images" / split, HERE / "labels" / split
        for folder in (img_dir, lbl_dir):
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
        boxes = 0
        for number in block:
            stem = f"China_Drone_{number:06d}"
            rows = voc_to_yolo(source / "annotations" / f"{stem}.xml")
            shutil.copyfile(source / "images" / f"{stem}.jpg", img_dir / f"{stem}.jpg")
            (lbl_dir / f"{stem}.txt").write_text("".join(r + "\n" for r in rows))
            boxes += len(rows)
        print(f"{split}: {len(block)} images, {boxes} boxes")


if __name__ == "__main__":
    main()
