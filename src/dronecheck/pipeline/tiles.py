"""How each frame goes to the model (whole, or in tiles of what size), and batches that fill a model call."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from dronecheck.detect.tiling import tile_size_for, tile_windows
from dronecheck.geo.georef import centre_gsd
from dronecheck.ingest.ahead import Loaded
from dronecheck.profiles import Profile
from dronecheck.types import Frame

# An object this many pixels long at the model's input is still found: YOLO's finest grid
# is 8 pixels, and objects of two cells and more are what it is trained to see.
MIN_OBJECT_MODEL_PX = 16


def tile_size_of(profile: Profile, frame: Frame) -> int:
    """How `frame` goes to the model: whole (0), or cut into tiles of this many pixels.

    Whole when the profile's smallest object (`min_object_m`) stays MIN_OBJECT_MODEL_PX long
    once the photo is shrunk to `imgsz`; tiles that give the model `target_gsd_cm` when the
    profile names one; else `tile_size`. Both need the photo's ground resolution (height,
    focal length, gimbal angles); without it `tile_size` holds. A window of an orthomosaic was read at
    the resolution its tiles of `imgsz` need (pipeline.mosaic).
    """
    if frame.grid is not None:
        return profile.imgsz
    gsd = centre_gsd(frame)
    if gsd is None:
        return profile.tile_size
    if profile.min_object_m:
        shrink = min(1.0, profile.imgsz / max(frame.camera.width, frame.camera.height))
        if profile.min_object_m / gsd * shrink >= MIN_OBJECT_MODEL_PX:
            return 0
    if profile.target_gsd_cm:
        return tile_size_for(gsd, profile.target_gsd_cm, profile.imgsz)
    return profile.tile_size


def model_inputs(item: Loaded, profile: Profile) -> int:
    """How many images `item` gives the model: its tiles (and itself, with a full pass), or 1 whole."""
    if item.frame is None or item.pixels is None:
        return 0
    size = tile_size_of(profile, item.frame)
    if not size:
        return 1
    height, width = item.pixels.shape[:2]
    return len(tile_windows(width, height, size, profile.tile_overlap)) + profile.full_pass


def batches(items: Iterable[Loaded], size: int, weight: Callable[[Loaded], int]) -> Iterator[list[Loaded]]:
    """The fewest items in order whose weights reach `size`: a batch of frames that fills a model call
    (`size` whole frames, or one large photo whose tiles make several calls)."""
    batch: list[Loaded] = []
    filled = 0
    for item in items:
        batch.append(item)
        filled += weight(item)
        if filled >= size:
            yield batch
            batch, filled = [], 0
    if batch:
        yield batch
