"""Crops of each finding for the report: the box with some context around it."""

from __future__ import annotations

import io
import math
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from dronecheck.report.files import write_atomic

CONTEXT = 0.5  # extra margin around the box, as a fraction of its size
MIN_SIDE = 96  # pixels: a tiny box still gets a crop you can see
MAX_SIDE = 480
BLUR_PAD = 0.15  # a blurred box is grown by this fraction of its size on every side: blurring errs on the side of more
VIEW_MAX_SIDE = 2048  # pixels: the longest side of a photo's view (views/<frame id>.jpg)


def crop_box(width: int, height: int, box: tuple[float, float, float, float]) -> tuple[int, int, int, int]:
    """The window to cut around `box`, clipped to the image.

    >>> crop_box(1000, 800, (100, 100, 200, 150))
    (50, 75, 250, 175)
    """
    x0, y0, x1, y1 = box
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    w = max((x1 - x0) * (1 + 2 * CONTEXT), MIN_SIDE)
    h = max((y1 - y0) * (1 + 2 * CONTEXT), MIN_SIDE)
    return (max(0, int(cx - w / 2)), max(0, int(cy - h / 2)),
            min(width, int(np.ceil(cx + w / 2))), min(height, int(np.ceil(cy + h / 2))))


def write_crop(image: np.ndarray, box: tuple[float, float, float, float], path: Path) -> None:
    """Save the crop around `box` with the box outlined, as JPEG."""
    height, width = image.shape[:2]
    left, top, right, bottom = crop_box(width, height, box)
    crop = Image.fromarray(image[top:bottom, left:right])
    draw = ImageDraw.Draw(crop)
    x0, y0, x1, y1 = box
    draw.rectangle((x0 - left, y0 - top, x1 - left, y1 - top), outline=(255, 40, 40), width=2)
    if max(crop.size) > MAX_SIDE:
        crop.thumbnail((MAX_SIDE, MAX_SIDE))
    buf = io.BytesIO()
    crop.save(buf, format="JPEG", quality=85)
    write_atomic(path, buf.getvalue())


def grown(box: Iterable[float], pad: float, width: int, height: int) -> tuple[int, int, int, int]:
    """The pixels (left, top, right, bottom) a blurred box covers: `box` grown by `pad` of its size on every side,
    out to whole pixels, inside the `width` x `height` image."""
    x0, y0, x1, y1 = box
    bw, bh = x1 - x0, y1 - y0
    return (max(0, int(x0 - pad * bw)), max(0, int(y0 - pad * bh)),
            min(width, math.ceil(x1 + pad * bw)), min(height, math.ceil(y1 + pad * bh)))


def blurred(image: np.ndarray, boxes: Iterable[Iterable[float]], pad: float = BLUR_PAD) -> np.ndarray:
    """A copy of `image` with every box (x0, y0, x1, y1 in pixels), grown by `pad`, blurred past recognising
    (Gaussian, radius a quarter of the box's longest side); `image` itself when there is no box."""
    out = None
    height, width = image.shape[:2]
    for box in boxes:
        left, top, right, bottom = grown(box, pad, width, height)
        if right <= left or bottom <= top:
            continue
        out = image.copy() if out is None else out
        radius = max(4.0, max(right - left, bottom - top) / 4)
        margin = math.ceil(2 * radius)  # blur with the surroundings, so the box has no sharp inner edge
        l0, t0 = max(0, left - margin), max(0, top - margin)
        r0, b0 = min(width, right + margin), min(height, bottom + margin)
        region = np.asarray(Image.fromarray(out[t0:b0, l0:r0]).filter(ImageFilter.GaussianBlur(radius)))
        out[top:bottom, left:right] = region[top - t0:bottom - t0, left - l0:right - l0]
    return image if out is None else out


def write_view(image: np.ndarray, path: Path, max_side: int = VIEW_MAX_SIDE) -> None:
    """Save a copy of a photo for the report's photo viewer, its longest side at most `max_side`, as JPEG."""
    view = Image.fromarray(image)
    if max(view.size) > max_side:
        view.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    view.save(buf, format="JPEG", quality=85)
    write_atomic(path, buf.getvalue())


def blur_summary(blurred_per_frame: dict[str, dict[str, int]], classes: Iterable[str]) -> dict[str, object]:
    """What was blurred in a run, for run.json and the report: the classes asked for, the boxes blurred per
    class, the photos looked at and those with something blurred, and a line that says it.

    >>> blur_summary({"a": {"person": 3, "car": 2}, "b": {"car": 3}, "c": {}}, ["person", "car"])["text"]
    'blurred: 3 person, 5 car in 2 of 3 photos (looked for: person, car)'
    """
    total: Counter[str] = Counter()
    for counts in blurred_per_frame.values():
        total.update(counts)
    classes = list(classes)
    with_some = sum(1 for counts in blurred_per_frame.values() if sum(counts.values()))
    looked = len(blurred_per_frame)
    found = ", ".join(f"{total[c]} {c}" for c in classes if total[c]) or "nothing"
    return {"classes": classes, "boxes": {c: total[c] for c in classes}, "photos": looked, "photos_blurred": with_some,
            "text": f"blurred: {found} in {with_some} of {looked} photo{'s' if looked != 1 else ''} "
                    f"(looked for: {', '.join(classes)})"}
