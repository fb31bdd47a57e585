"""Build the `cracks` training set from the real data in ../shared/data.

Run from the repository root:  python datasets/cracks/build.py [--shared ../shared/data]

Split by source, never by tile:
- train: quay-wall site k1 except source photo MAX_1647, and the CC0 mask set's train list
- val:   quay-wall k1 source photo MAX_1647, and the mask set's val list
- test:  quay-wall site h1 (a site the model never sees), and the mask set's test list
The masks of the mask set's val and test images are kept in masks/<split>/ (the truth for traced
crack lines: `dronecheck eval --masks`).
The road photos in road-damage-uav-samples are the demo flight and are never used here.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import cv2
import numpy as np

HERE = Path(__file__).resolve().parent
MIN_PIECE_PX = 20
JOIN_KERNEL = np.ones((7, 7), np.uint8)  # joins crack pieces a few pixels apart


def mask_to_yolo(mask: np.ndarray) -> list[str]:
    """One box per connected crack piece (8-connected, >= MIN_PIECE_PX pixels)."""
    binary = (mask > 127).astype(np.uint8)
    joined = cv2.dilate(binary, JOIN_KERNEL)
    n, labels = cv2.connectedComponents(joined, connectivity=8)
    h, w = binary.shape
    rows = []
    for i in range(1, n):
        ys, xs = np.nonzero((labels == i) & (binary > 0))
        if len(xs) < MIN_PIECE_PX:
            continue
        x0, x1, y0, y1 = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
        rows.append(f"0 {(x0 + x1) / 2 / w:.6f} {(y0 + y1) / 2 / h:.6f} {(x1 - x0) / w:.6f} {(y1 - y0) / h:.6f}")
    return rows


def put(split: str, name: str, image: np.ndarray | Path, rows: list[str]) -> None:
    img_dir, lbl_dir = HERE / "images" / split, HERE / "labels" / split
    img_dir.mkdir(parents=True, exist_ok=True)
    lbl_dir.mkdir(parents=True, exist_ok=True)
    if isinstance(image, Path):
        shutil.copyfile(image, img_dir / f"{name}.jpg")
    else:
        cv2.imwrite(str(img_dir / f"{name}.jpg"), image, [cv2.IMWRITE_JPEG_QUALITY, 92])
    (lbl_dir / f"{name}.txt").write_text("".join(r + "\n" for r in rows))


def quaywall(shared: Path) -> None:
    for site in ("h1", "k1"):
        for jpg in sorted((shared / "cracks-quaywall/BOX" / site).glob("*.[jJ][pP][gG]")):
            rows = [r for r in jpg.with_suffix(".txt").read_text().splitlines() if r.strip()]
            if site == "h1":
                split = "test"
            else:
                split = "val" if jpg.name.startswith("MAX_1647") else "train"
            put(split, f"quaywall-{site}-{jpg.stem}", jpg, rows)


def masks(shared: Path) -> None:
    root = shared / "cracks-uav-masks"
    for split in ("train", "val", "test"):
        for line in (root / f"split_manifests/kaggle_{split}.txt").read_text().splitlines():
            if not line.strip():
                continue
            img_rel, mask_rel = line.split()
            image = cv2.imread(str(root / "kaggle_release" / img_rel), cv2.IMREAD_COLOR)
            mask = cv2.imread(str(root / "kaggle_release" / mask_rel), cv2.IMREAD_GRAYSCALE)
            name = f"uavmasks-{Path(img_rel).stem}"
            put(split, name, image, mask_to_yolo(mask))
            if split != "train":  # the truth for crack lines and widths (`dronecheck eval --masks`)
                (HERE / "masks" / split).mkdir(parents=True, exist_ok=True)
                cv2.imwrite(str(HERE / "masks" / split / f"{name}.png"), mask)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=HERE.parents[2] / "shared" / "data")
    args = parser.parse_args()
    for sub in ("images", "labels", "masks"):
        shutil.rmtree(HERE / sub, ignore_errors=True)
    quaywall(args.shared)
    masks(args.shared)
    h1 = sorted(p.name for p in (HERE / "images" / "test").glob("quaywall-h1-*.jpg"))
    (HERE / "test-site-h1.txt").write_text("".join(f"./images/test/{name}\n" for name in h1))
    for split in ("train", "val", "test"):
        labels = list((HERE / "labels" / split).glob("*.txt"))
        boxes = sum(len(p.read_text().splitlines()) for p in labels)
        print(f"{split}: {len(labels)} images, {boxes} boxes")


if __name__ == "__main__":
    main()
