"""A photo file to a `Frame` (metadata, no pixels) and, separately, to its pixels."""

from __future__ import annotations

import hashlib
import io
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from dronecheck.errors import BadInputError
from dronecheck.ingest.cameras import focal_px
from dronecheck.ingest.exif import Exif, read_exif
from dronecheck.ingest.xmp import dji_fields
from dronecheck.types import Camera, Frame, Pose

XMP_NUMBERS = ("RelativeAltitude", "AbsoluteAltitude", "GimbalYawDegree", "GimbalPitchDegree", "GimbalRollDegree",
               "FlightYawDegree", "FlightPitchDegree", "FlightRollDegree", "CalibratedFocalLength")


def _open(path: Path, data: bytes) -> Image.Image:
    if not data:
        raise BadInputError(path, "empty file (0 bytes)")
    try:
        return Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        raise BadInputError(path, "not a JPEG or TIFF image (cannot identify image file)") from None


def _xmp_numbers(data: bytes, notes: list[str]) -> dict[str, float]:
    fields = dji_fields(data)
    numbers = {}
    for key in XMP_NUMBERS:
        if key in fields:
            try:
                numbers[key] = float(fields[key])
            except ValueError:
                notes.append(f"XMP {key}={fields[key]!r} is not a number")
    return numbers


def _exif(image: Image.Image, notes: list[str]) -> Exif:
    try:
        return read_exif(image)
    except Exception as exc:  # Pillow raises many kinds on malformed EXIF; none should stop the scan
        notes.append(f"EXIF unreadable ({type(exc).__name__}: {exc})")
        return Exif()


def _pose(exif: Exif, xmp: dict[str, float], notes: list[str]) -> Pose:
    lat, lon = exif.lat, exif.lon
    if lat is None or lon is None:
        notes.append("no GPS position in EXIF")
        lat = lon = None
    elif lat == 0 and lon == 0:
        notes.append("GPS position is 0,0 (no satellite fix)")
        lat = lon = None
    if not xmp:
        notes.append("no DJI XMP: no gimbal angles or relative altitude")
    elif "RelativeAltitude" not in xmp:
        notes.append("no relative altitude in XMP")
    absolute = xmp.get("AbsoluteAltitude", exif.altitude_m)
    return Pose(lat=lat, lon=lon, altitude_abs_m=absolute, altitude_rel_m=xmp.get("RelativeAltitude"),
                gimbal_yaw_deg=xmp.get("GimbalYawDegree"), gimbal_pitch_deg=xmp.get("GimbalPitchDegree"),
                gimbal_roll_deg=xmp.get("GimbalRollDegree"), flight_yaw_deg=xmp.get("FlightYawDegree"),
                flight_pitch_deg=xmp.get("FlightPitchDegree"), flight_roll_deg=xmp.get("FlightRollDegree"))


def read_frame(path: Path) -> Frame:
    """Read a photo's metadata (EXIF, DJI XMP) into a Frame without decoding its pixels.

    Raises BadInputError for an empty file or one that is not an image. Broken EXIF or
    XMP does not raise: the Frame's notes say what could not be read.
    """
    data = path.read_bytes()
    notes: list[str] = []
    with warnings.catch_warnings(record=True) as caught:  # Pillow warns (once per tag) about corrupt EXIF
        warnings.simplefilter("always")
        image = _open(path, data)
        exif, xmp = _exif(image, notes), _xmp_numbers(data, notes)
    if caught:
        notes.append(f"EXIF partly corrupt ({caught[-1].message})")
    width, height = image.size
    focal, source, sw, sh = focal_px(exif, xmp, width, height)
    if focal is None:
        notes.append("no focal length: the camera ray cannot be computed")
    elif source == "35mm-equivalent":
        notes.append("focal length from the 35 mm equivalent (approximate)")
    camera = Camera(width=width, height=height, make=exif.make, model=exif.model, focal_mm=exif.focal_mm,
                    focal_35mm=exif.focal_35mm, focal_px=focal, sensor_width_mm=sw, sensor_height_mm=sh,
                    focal_source=source)
    if exif.time is None:
        notes.append("no capture time in EXIF")
    return Frame(path=path, sha256=hashlib.sha256(data).hexdigest(), camera=camera, pose=_pose(exif, xmp, notes),
                 time=exif.time, notes=tuple(notes))


def _to_rgb(image: Image.Image) -> np.ndarray:
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):  # 16-bit and float TIFFs: stretch to 8 bits
        values = np.asarray(image, dtype=np.float64)
        top = values.max() or 1.0
        grey = np.clip(values / top * 255.0, 0, 255).astype(np.uint8)
        return np.repeat(grey[..., None], 3, axis=2)
    return np.asarray(image.convert("RGB"))


def load_pixels(frame: Frame) -> np.ndarray:
    """Decode the photo of `frame` to an (H, W, 3) uint8 RGB array.

    Raises BadInputError when the file cannot be decoded completely (truncated, corrupt).
    """
    try:
        with warnings.catch_warnings(), Image.open(frame.path) as image:
            warnings.simplefilter("ignore")  # corrupt EXIF was noted by read_frame
            image.load()
            return _to_rgb(image)
    except OSError as exc:
        reason = str(exc)
        if "truncated" in reason.lower():
            raise BadInputError(frame.path, f"truncated image: the file ends early ({reason})") from None
        raise BadInputError(frame.path, f"cannot decode image ({reason})") from None
