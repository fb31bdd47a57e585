"""Crops of each finding for the report: the box with some context around it."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from dronecheck.report.files import write_atomic

CONTEXT = 0.5  # extra margin around the box, as a fraction of its size
MIN_SIDE = 96  # pixels: a tiny box still gets a crop you can see
MAX_SIDE = 480


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
