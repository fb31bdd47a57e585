"""Label people by eye: cut a photo into enlarged tiles with a pixel grid, and draw boxes back to check them.

vehicles-aerial labels no people, so the people of the privacy set's drone frames were boxed by hand
(see SOURCE.md, "People"). Run from the repository root:

    python datasets/privacy/label_tiles.py tiles IMAGE OUT/ [--tile 500 --zoom 1.6]
    python datasets/privacy/label_tiles.py check IMAGE BOXES.txt OUT/ [--tile 500 --zoom 1.6]

`tiles` writes OUT/{stem}_x{X}_y{Y}.png: the part of IMAGE from (X, Y), enlarged, with a grid line every
GRID pixels labelled in the photo's own pixel coordinates, so a box can be read off the grid.
`check` writes the same tiles with the boxes of BOXES.txt drawn on them. BOXES.txt holds one box per
line, `x1 y1 x2 y2` in the photo's pixels; a line starting with # is a comment.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from PIL import Image, ImageDraw

GRID = 50


def read_boxes(path: Path) -> list[tuple[float, float, float, float]]:
    """The boxes of a BOXES.txt file (x1 y1 x2 y2 in pixels per line; # comments)."""
    boxes = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            x1, y1, x2, y2 = (float(v) for v in line.split()[:4])
            boxes.append((min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)))
    return boxes


def tile(image: Image.Image, x: int, y: int, size: int, zoom: float,
         boxes: list[tuple[float, float, float, float]] = ()) -> Image.Image:
    """The part of `image` from (x, y), enlarged by `zoom`, with the pixel grid and `boxes` drawn."""
    part = image.crop((x, y, min(x + size, image.width), min(y + size, image.height)))
    part = part.resize((round(part.width * zoom), round(part.height * zoom)), Image.Resampling.LANCZOS)
    draw = ImageDraw.Draw(part)
    for gx in range(x - x % GRID, x + size + 1, GRID):
        px = (gx - x) * zoom
        draw.line([(px, 0), (px, part.height)], fill=(0, 255, 255), width=1)
        draw.text((px + 2, 2), str(gx), fill=(255, 255, 0))
    for gy in range(y - y % GRID, y + size + 1, GRID):
        py = (gy - y) * zoom
        draw.line([(0, py), (part.width, py)], fill=(0, 255, 255), width=1)
        draw.text((2, py + 2), str(gy), fill=(255, 255, 0))
    for x1, y1, x2, y2 in boxes:
        draw.rectangle([(x1 - x) * zoom, (y1 - y) * zoom, (x2 - x) * zoom, (y2 - y) * zoom],
                       outline=(255, 0, 255), width=2)
    return part


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["tiles", "check"])
    parser.add_argument("image", type=Path)
    parser.add_argument("rest", nargs="+", type=Path, help="OUT/ for tiles; BOXES.txt OUT/ for check")
    parser.add_argument("--tile", type=int, default=500)
    parser.add_argument("--zoom", type=float, default=1.6)
    args = parser.parse_args()
    boxes = read_boxes(args.rest[0]) if args.command == "check" else []
    out = args.rest[-1]
    out.mkdir(parents=True, exist_ok=True)
    image = Image.open(args.image).convert("RGB")
    for y in range(0, image.height, args.tile):
        for x in range(0, image.width, args.tile):
            tile(image, x, y, args.tile, args.zoom, boxes).save(out / f"{args.image.stem}_x{x}_y{y}.png")


if __name__ == "__main__":
    main()
