"""A photo file to a `Frame` (metadata, no pixels) and, separately, to its pixels."""

from __future__ import annotations

import hashlib
import io
import math
import warnings
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from dronecheck.errors import BadInputError
from dronecheck.ingest.cameras import focal_px
from dronecheck.ingest.discover import not_regular, utf8_name
from dronecheck.ingest.exif import Exif, read_exif
from dronecheck.ingest.lrf import laser_range
from dronecheck.ingest.position import gps_problem
from dronecheck.ingest.xmp import dji_fields
from dronecheck.types import Camera, Frame, Pose

ALTITUDE_M = (-20_000.0, 20_000.0)  # beyond any ground or flight: a broken value
ANGLE_DEG = (-360.0, 360.0)
XMP_RANGES = {"RelativeAltitude": ALTITUDE_M, "AbsoluteAltitude": ALTITUDE_M, "GimbalYawDegree": ANGLE_DEG,
              "GimbalPitchDegree": ANGLE_DEG, "GimbalRollDegree": ANGLE_DEG, "FlightYawDegree": ANGLE_DEG,
              "FlightPitchDegree": ANGLE_DEG, "FlightRollDegree": ANGLE_DEG, "CalibratedFocalLength": (0.0, 1e6)}
JPEG_SUFFIXES = {".jpg", ".jpeg"}
JPEG_END = b"\xff\xd9"
TAIL_BYTES = 4096
# What Pillow raises on a file it cannot decode, besides OSError: bad headers, tables or sizes.
DECODE_ERRORS = (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError)


def _read(path: Path) -> bytes:
    problem = not_regular(path)
    if problem:
        raise BadInputError(path, problem)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadInputError(path, f"cannot read the file ({exc.strerror or exc})") from None
    if not data:
        raise BadInputError(path, "empty file (0 bytes)")
    return data


def _open(path: Path, data: bytes) -> Image.Image:
    """Open without decoding the pixels: Pillow reads only the header here."""
    try:
        return Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        raise BadInputError(path, "not a JPEG or TIFF image (PIL: cannot identify image file)") from None
    except DECODE_ERRORS as exc:
        raise BadInputError(path, f"unreadable image header ({type(exc).__name__}: {exc})") from None


def _xmp_numbers(data: bytes, notes: list[str]) -> dict[str, float]:
    fields, note = dji_fields(data)
    if note:
        notes.append(note)
    numbers = {}
    for key, (low, high) in XMP_RANGES.items():
        if key in fields:
            try:
                value = float(fields[key])  # float() takes "+16.508" and "1.900000" alike
            except ValueError:
                notes.append(f"XMP {key}={fields[key]!r} is not a number")
                continue
            if low <= value <= high:
                numbers[key] = value
            elif math.isfinite(value):
                notes.append(f"XMP {key}={fields[key]!r} is out of range {low:g}..{high:g}: treated as missing")
            else:
                notes.append(f"XMP {key}={fields[key]!r} is not a finite number: treated as missing")
    numbers.update(laser_range(fields, notes))  # Pose field names: lrf_distance_m, ...
    return numbers


def _exif(image: Image.Image, notes: list[str]) -> Exif:
    try:
        return read_exif(image)
    except Exception as exc:  # Pillow raises many kinds on malformed EXIF; none should stop the scan
        notes.append(f"EXIF unreadable ({type(exc).__name__}: {exc})")
        return Exif()


def _gps_altitude(exif: Exif, notes: list[str]) -> float | None:
    low, high = ALTITUDE_M
    if exif.altitude_m is None or low <= exif.altitude_m <= high:
        return exif.altitude_m
    notes.append(f"GPS altitude {exif.altitude_m:g} m is out of range in EXIF: treated as missing")
    return None


def _pose(exif: Exif, xmp: dict[str, float], notes: list[str]) -> Pose:
    lat, lon = exif.lat, exif.lon
    if lat is None or lon is None:
        notes.append("no GPS position in EXIF")
        lat = lon = None
    elif problem := gps_problem(lat, lon):
        notes.append(f"photo {problem} in EXIF ({lat}, {lon})")
        lat = lon = None
    if not xmp:
        notes.append("no DJI XMP: no gimbal angles or relative altitude")
    else:
        if "RelativeAltitude" not in xmp:
            notes.append("no relative altitude in DJI XMP")
        if "GimbalPitchDegree" not in xmp:
            notes.append("no gimbal angles in DJI XMP")
    return Pose(lat=lat, lon=lon, altitude_abs_m=xmp.get("AbsoluteAltitude", _gps_altitude(exif, notes)),
                altitude_rel_m=xmp.get("RelativeAltitude"),
                gimbal_yaw_deg=xmp.get("GimbalYawDegree"), gimbal_pitch_deg=xmp.get("GimbalPitchDegree"),
                gimbal_roll_deg=xmp.get("GimbalRollDegree"), flight_yaw_deg=xmp.get("FlightYawDegree"),
                flight_pitch_deg=xmp.get("FlightPitchDegree"), flight_roll_deg=xmp.get("FlightRollDegree"),
                **{k: v for k, v in xmp.items() if k.startswith("lrf_")})


def _camera(exif: Exif, xmp: dict[str, float], width: int, height: int, notes: list[str]) -> Camera:
    focal = focal_px(exif, xmp, width, height)
    if focal.px is None:
        notes.append("no focal length: the camera ray cannot be computed")
    elif focal.source == "35mm-equivalent":
        notes.append("focal length from the 35 mm equivalent (approximate)")
    return Camera(width=width, height=height, make=exif.make, model=exif.model, focal_mm=exif.focal_mm,
                  focal_35mm=exif.focal_35mm, focal_px=focal.px, sensor_width_mm=focal.sensor_width_mm,
                  sensor_height_mm=focal.sensor_height_mm, focal_source=focal.source)


def read_frame(path: Path, sha256: str | None = None) -> Frame:
    """Read a photo's metadata (EXIF, DJI XMP) into a Frame without decoding its pixels.

    `sha256` is the file's, when the caller has hashed it already (the scan does, to know
    whether the photo is new); else it is hashed here.

    Raises BadInputError for a file that cannot be read, is empty or is not an image. Broken
    EXIF or XMP does not raise: the Frame's notes say what could not be read.
    """
    data = _read(path)
    notes: list[str] = []
    with warnings.catch_warnings(record=True) as caught:  # Pillow warns about corrupt EXIF, even in open()
        warnings.simplefilter("always")
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # a photo over 89 MP: it is a photo
        image = _open(path, data)
        exif = _exif(image, notes)
    if caught:
        notes.append(f"EXIF partly corrupt ({caught[-1].message})")
    xmp = _xmp_numbers(data, notes)
    if exif.time is None:
        notes.append("no capture time in EXIF")
    elif not exif.time_from_original:
        notes.append("capture time from the EXIF DateTime (no DateTimeOriginal)")
    if image.format == "TIFF" and getattr(image, "n_frames", 1) > 1:  # (a JPEG's second picture is its preview)
        notes.append(f"{image.n_frames} pages (a multi-page TIFF): only the first is scanned")
    camera = _camera(exif, xmp, *image.size, notes)
    return Frame(path=path, sha256=sha256 or hashlib.sha256(data).hexdigest(), camera=camera,
                 pose=_pose(exif, xmp, notes), time=exif.time, notes=tuple(notes))


def _to_rgb(image: Image.Image) -> np.ndarray:
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):  # 16-bit and float TIFFs: stretch to 8 bits
        values = np.asarray(image, dtype=np.float64)
        low, high = float(np.nanmin(values)), float(np.nanmax(values))  # NaN: no-data in float TIFFs
        grey = np.nan_to_num(np.round((values - low) / ((high - low) or 1.0) * 255.0)).astype(np.uint8)
        return np.repeat(grey[..., None], 3, axis=2)
    return np.asarray(image if image.mode == "RGB" else image.convert("RGB"))  # convert() would copy an RGB image


def _ends_whole(path: Path) -> bool:
    """Whether the file ends with JPEG's end-of-image marker (trailing padding allowed)."""
    with path.open("rb") as stream:
        stream.seek(max(0, stream.seek(0, 2) - TAIL_BYTES))
        return stream.read().rstrip(b"\x00\r\n ").endswith(JPEG_END)


def _decode_jpeg(path: Path) -> np.ndarray | None:
    """A complete JPEG decoded by OpenCV straight into one RGB array; None for anything else.

    Pillow holds an RGB photo as 4 bytes a pixel and copies it out again for NumPy: 690 MB
    for a 100-megapixel photo where this takes 290 MB, in about the same time. libjpeg fills
    a cut-off file with grey without an error, so only files that end whole come this way;
    Pillow decodes the rest, and says what is wrong. EXIF orientation is not applied, as with
    Pillow (drone photos are stored the way the camera looked).
    """
    if path.suffix.lower() not in JPEG_SUFFIXES or not _ends_whole(path):
        return None
    flags = cv2.IMREAD_COLOR_RGB | cv2.IMREAD_IGNORE_ORIENTATION
    if not utf8_name(path):  # OpenCV crashes the process on such a name: it gets the bytes instead
        return cv2.imdecode(np.fromfile(path, dtype=np.uint8), flags)
    return cv2.imread(str(path), flags)


def load_pixels(frame: Frame | Path) -> np.ndarray:
    """Decode a photo (a Frame's or a path) to an (H, W, 3) uint8 RGB array.

    16-bit and float images (radiometric TIFFs) are stretched from their minimum to their
    maximum. Raises BadInputError when the file cannot be decoded completely (truncated, corrupt).
    """
    path = frame.path if isinstance(frame, Frame) else Path(frame)
    problem = not_regular(path)
    if problem:
        raise BadInputError(path, problem)
    try:
        pixels = _decode_jpeg(path)
    except OSError as exc:
        raise BadInputError(path, f"cannot read the file ({exc.strerror or exc})") from None
    if pixels is not None:
        return pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # corrupt EXIF: read_frame has noted it
            with Image.open(path) as image:
                image.load()
                return _to_rgb(image)
    except DECODE_ERRORS as exc:
        reason = str(exc)
        if "truncated" in reason.lower():
            raise BadInputError(path, f"truncated image: the file ends early ({reason})") from None
        raise BadInputError(path, f"cannot decode image ({type(exc).__name__}: {reason})") from None
