"""Build the `ships` training set from ../shared/data/ships-aerial.

Run from the repository root:  python datasets/ships/build.py [--shared ../shared/data]

The 317 images are ~3 augmented copies of 107 source images (`boat<N>_png.rf.<hash>.jpg`):
the split is by source number, so no source has copies on two sides. Sources are sorted
by number and every 5th goes to val, every 5th (offset 2) to test, the rest to train.
"""

from __future__ import annotations

import argparse
import re
import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = re.compile(r"boat(\d+)_png")


def split_of(source: int) -> str:
    return {0: "val", 2: "test"}.get(source % 5, "train")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=HERE.parents[2] / "shared" / "data")
    root = parser.parse_args().shared / "ships-aerial" / "train"
    for sub in ("images", "labels"):
        shutil.rmtree(HERE / sub, ignore_errors=True)
    for image in sorted((root / "images").glob("*.jpg")):
        match = SOURCE.match(image.name)
        assert match, f"unexpected file name {image.name}"
        split = split_of(int(match.group(1)))
        for sub, src in (("images", image), ("labels", root / "labels" / f"{image.stem}.txt")):
            (HERE / sub / split).mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, HERE / sub / split / src.name)
    for split in ("train", "val", "test"):
        labels = list((HERE / "labels" / split).glob("*.txt"))
        sources = {SOURCE.match(p.name).group(1) for p in labels}
        boxes = sum(len(p.read_text().splitlines()) for p in labels)
        print(f"{split}: {len(sources)} sources, {len(labels)} images, {boxes} boxes")


if __name__ == "__main__":
    main()
