"""DJI .SRT telemetry sidecars: one sample of position, altitude and camera state per subtitle cue.

A DJI drone that records video writes a subtitle file beside it, one cue per video frame
(newer models) or per second (older ones). The layout differs by model and firmware:

- old (Phantom 3/4, Mavic Pro): ``HOME(lon,lat) 2017.08.05 14:11:51`` then
  ``GPS(lon,lat,satellites) BAROMETER:1.9`` (or ``Hb:1.9 Hs:1.9``);
- Matrice 300: ``GPS(lat,lon,0.0M) BAROMETER:0.3M`` — latitude first, told apart by the ``M``;
- Phantom 4 Pro / P4 RTK / Mavic Mini, comma separated: ``GPS (lon, lat, satellites)``,
  ``HOME (lon, lat, alt m)``, ``H 85.80m`` (height over home), ``G.PRY (pitch°, roll°, yaw°)``;
- bracketed (Mavic 2, Air 2, Air 2S, Mavic 3, Mini 3/4, M30): ``[latitude: 41.42]
  [longitude: 2.16]`` (``longtitude`` on Mavic 2), ``[altitude: 117.0]`` (above sea level) or
  ``[rel_alt: 1.3 abs_alt: 132.8]``, ``[gb_yaw: .. gb_pitch: .. gb_roll: ..]`` where the model
  writes them, ``[focal_len: 240]`` and ``[dzoom_ratio: 10000]``;
- date stamps as ``2017.8.5 14:11:51``, ``2021-12-25 12:27:52.373`` or
  ``2022-08-07 13:40:40,774,808`` (milliseconds, microseconds), in the drone's local time;
- some files have no cue times at all (only index and date) and some mix two layouts.

``focal_len`` is the lens's 35 mm equivalent, as a whole number times ten on older firmware:
280 on the Mavic 2 Pro (a 28 mm-equivalent lens), 240 to 480 on the Mavic 2 Zoom (24-48 mm),
24.00 on the Mavic 3 (24 mm). ``dzoom_ratio`` likewise: 10000 or 1.00 for no digital zoom.

Cues that cannot be used (no position, a 0,0 position, a cut-off last cue) are skipped and
counted in the notes; a file with no usable cue is a BadInputError.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import cached_property
from itertools import pairwise
from pathlib import Path

from dronecheck.errors import BadInputError
from dronecheck.ingest.position import gps_problem

# The lookbehinds and possessive quantifiers keep each pattern linear: hostile lines of 30 000 characters
# otherwise took seconds to minutes of backtracking.
TIMECODE = re.compile(r"(?<!\d)(\d{1,9}):(\d\d):(\d\d)[,.](\d{1,3})\s*-->\s*(\d{1,9}):(\d\d):(\d\d)[,.](\d{1,3})")
DATE = re.compile(r"(\d{4})[-.](\d{1,2})[-.](\d{1,2})\s+(\d{1,2}):(\d\d):(\d\d)(?:[.,](\d{1,3})(?:,(\d{3}))?)?")
FONT = re.compile(r"</?font[^<>]*>", re.IGNORECASE)
TUPLE = re.compile(r"(?<![\w.])([A-Za-z][\w.]*)\s*\(([^()]*)\)")  # GPS(..), HOME (..), G.PRY (..)
# `key: value` and `key : value`; a value directly followed by a colon is the next key ("EV: Fnum:2.2").
COLON_PAIR = re.compile(r"(?<![\w.])([A-Za-z][\w.]*)\s*:\s*([^\s\[\],:]++)(?!:)")
SPACE_PAIR = re.compile(r"([A-Za-z][\w.]*?)(?>\s*[ /]\s*)(\S+)")  # "SS 400", "H 85.80m", "F/5.6"
NUMBER = re.compile(r"([-+]?\d+(?:\.\d+)?)\s*(?:m|M|ms|°)?")
CUE_INDEX = re.compile(r"\d+")
RADIANS_SPAN = 0.001  # a flight spanning less than this many "degrees" near 0,0 is really in radians
ALTITUDE_M, ANGLE_DEG = (-20_000.0, 20_000.0), (-360.0, 360.0)
RANGES = {"rel_alt_m": ALTITUDE_M, "abs_alt_m": ALTITUDE_M, "gimbal_yaw_deg": ANGLE_DEG, "gimbal_pitch_deg": ANGLE_DEG,
          "gimbal_roll_deg": ANGLE_DEG, "focal_35mm": (0.1, 10_000.0), "digital_zoom": (0.1, 1000.0)}


@dataclass(frozen=True)
class TelemetrySample:
    """The drone's state during one subtitle cue. Angles in degrees, following DJI (see `Pose`)."""

    offset_s: float  # start of the cue: seconds from the start of the video
    end_s: float  # end of the cue; equal to offset_s when the file has no cue times
    lat: float
    lon: float
    time: datetime | None = None  # the date stamp: the drone's local clock, no time zone
    rel_alt_m: float | None = None  # above the take-off point
    abs_alt_m: float | None = None  # above sea level, as the drone writes it
    gimbal_yaw_deg: float | None = None
    gimbal_pitch_deg: float | None = None
    gimbal_roll_deg: float | None = None
    focal_35mm: float | None = None  # the SRT's focal_len: the 35 mm equivalent of the lens
    digital_zoom: float | None = None  # 1.0 when not zoomed
    raw: dict[str, str] = field(default_factory=dict, compare=False, hash=False)  # the cue's fields as written


@dataclass(frozen=True)
class Telemetry:
    """All usable samples of an SRT file in time order, and what was odd about it."""

    path: Path
    samples: tuple[TelemetrySample, ...]
    notes: tuple[str, ...] = ()

    @cached_property
    def offsets(self) -> list[float]:
        """The samples' offsets in seconds, for bisecting by time."""
        return [s.offset_s for s in self.samples]


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadInputError(path, f"cannot read the SRT file ({exc.strerror or exc})") from None
    if not data.strip():
        raise BadInputError(path, "empty SRT file: no telemetry")
    return data.decode("utf-8-sig", "replace")


def _cues(text: str) -> list[list[str]]:
    """The lines of each cue. A cue starts with a line holding only its index, after a blank line or
    before a cue time (a file that leaves out the blank lines still splits right)."""
    lines = [line.strip() for line in text.splitlines()] + [""]
    cues: list[list[str]] = []
    for i, line in enumerate(lines[:-1]):
        if CUE_INDEX.fullmatch(line) and (i == 0 or not lines[i - 1] or TIMECODE.match(lines[i + 1])):
            cues.append([])
        elif line and cues:
            cues[-1].append(line)
    return cues


def _pairs(line: str) -> list[tuple[str, str]]:
    if ":" in line:
        return COLON_PAIR.findall(line)
    return [m.groups() for token in line.split(",") if (m := SPACE_PAIR.fullmatch(token.strip()))]


def cue_fields(lines: list[str]) -> dict[str, str]:
    """The fields of one cue as written: DJI's keys, plus "timecode" and "date".

    >>> cue_fields(["00:00:01,000 --> 00:00:02,000", "HOME(149.0251,-20.2532) 2017.08.05 14:11:51",
    ...         "GPS(149.0251,-20.2533,16) BAROMETER:1.9", "ISO:100 Shutter:60 EV: Fnum:2.2"])
    ... # doctest: +NORMALIZE_WHITESPACE
    {'timecode': '00:00:01,000 --> 00:00:02,000', 'date': '2017.08.05 14:11:51', 'HOME': '149.0251,-20.2532',
     'GPS': '149.0251,-20.2533,16', 'BAROMETER': '1.9', 'ISO': '100', 'Shutter': '60', 'Fnum': '2.2'}
    """
    raw: dict[str, str] = {}
    for line in lines:
        line = FONT.sub(" ", line)
        if match := TIMECODE.search(line):
            raw.setdefault("timecode", match.group(0))
            continue
        if match := DATE.search(line):
            raw.setdefault("date", match.group(0))
            line = line[:match.start()] + " " + line[match.end():]
        for key, values in TUPLE.findall(line):
            raw.setdefault(key, ",".join(v.strip().rstrip("°").strip() for v in values.split(",")))
        for key, value in _pairs(TUPLE.sub(" ", line)):
            raw.setdefault(key, value)
    return raw


def _number(text: str | None) -> float | None:
    """A number with an optional unit ("81.8M", "33ms", "-27.3°"); None for "N/A" and the like."""
    match = NUMBER.fullmatch(text.strip()) if text else None
    return float(match.group(1)) if match else None


def _span(timecode: str) -> tuple[float, float]:
    h0, m0, s0, f0, h1, m1, s1, f1 = TIMECODE.match(timecode).groups()  # type: ignore[union-attr]
    return (int(h0) * 3600 + int(m0) * 60 + int(s0) + int(f0.ljust(3, "0")) / 1000,
            int(h1) * 3600 + int(m1) * 60 + int(s1) + int(f1.ljust(3, "0")) / 1000)


def parse_date(stamp: str) -> datetime | None:
    """A DJI date stamp to a naive datetime (the drone's local clock); None when impossible.

    >>> parse_date("2017.8.5 14:11:51"), parse_date("2022-08-07 13:40:40,774,808").isoformat()
    (datetime.datetime(2017, 8, 5, 14, 11, 51), '2022-08-07T13:40:40.774808')
    """
    match = DATE.match(stamp)
    if not match:
        return None
    *parts, millis, micros = match.groups()
    try:
        moment = datetime(*(int(p) for p in parts))
    except ValueError:
        return None
    return moment + timedelta(milliseconds=int((millis or "0").ljust(3, "0")), microseconds=int(micros or 0))


def _key(low: dict[str, str], *names: str) -> str | None:
    """The first of `names` present in a cue's fields keyed in lower case."""
    return next((low[n] for n in names if n in low), None)


def _position(low: dict[str, str]) -> tuple[float | None, float | None]:
    lat, lon = _key(low, "latitude"), _key(low, "longitude", "longtitude")  # DJI's spelling on the Mavic 2
    if lat is not None or lon is not None:
        return _number(lat), _number(lon)
    gps = (_key(low, "gps") or "").split(",")
    if len(gps) < 2:
        return None, None
    if len(gps) > 2 and re.fullmatch(r"[-+]?[\d.]+M", gps[2]):  # Matrice 300: GPS(lat,lon,0.0M)
        return _number(gps[0]), _number(gps[1])
    return _number(gps[1]), _number(gps[0])


def _gps_altitude(low: dict[str, str]) -> float | None:
    """The third GPS value when it is an altitude ("12.3m"); on most models it counts satellites."""
    gps = (_key(low, "gps") or "").split(",")
    return _number(gps[2]) if len(gps) > 2 and gps[2].endswith("m") else None


def _first(*values: float | None) -> float | None:
    return next((v for v in values if v is not None), None)


def _scaled(text: str | None, scale: float) -> float | None:
    """Older firmware writes whole numbers times `scale` ("240" for 24 mm); newer, decimals ("24.00")."""
    value = _number(text)
    if value is None or text is None or "." in text:
        return value
    return value / scale


def _gimbal(low: dict[str, str]) -> tuple[float | None, float | None, float | None]:
    """Gimbal (yaw, pitch, roll): from gb_yaw/gb_pitch/gb_roll, or G.PRY (pitch, roll, yaw).

    The G.PRY order is read off the P4 RTK sample: the first value is -24.4 all flight (a tilted
    camera), the second 0.0 (a level gimbal), the third follows the aircraft's heading in F.PRY.
    """
    if (pry := _key(low, "g.pry")) is not None:
        pitch, roll, yaw = ([*map(_number, pry.split(","))] + [None] * 3)[:3]
        return yaw, pitch, roll
    return _number(_key(low, "gb_yaw")), _number(_key(low, "gb_pitch")), _number(_key(low, "gb_roll"))


def _sample(raw: dict[str, str], span: tuple[float, float] | None) -> TelemetrySample | str:
    """The sample of one cue, or why it cannot be used."""
    if not raw:
        return "empty (cut off)"
    if span is None:
        return "without a cue time"
    low = {k.lower(): v for k, v in reversed(raw.items())}  # the first of a repeated key wins
    lat, lon = _position(low)
    problem = gps_problem(lat, lon)
    if problem:
        return problem
    yaw, pitch, roll = _gimbal(low)
    return TelemetrySample(
        offset_s=span[0], end_s=span[1], lat=lat, lon=lon, time=parse_date(raw.get("date", "")),
        rel_alt_m=_number(_key(low, "rel_alt", "barometer", "hb", "h")),
        abs_alt_m=_first(_number(_key(low, "abs_alt", "altitude")), _gps_altitude(low)),
        gimbal_yaw_deg=yaw, gimbal_pitch_deg=pitch, gimbal_roll_deg=roll,
        focal_35mm=_scaled(_key(low, "focal_len35", "focal_len"), 10),
        digital_zoom=_scaled(_key(low, "dzoom_ratio", "dzoom"), 10000), raw=raw)


def _in_range(sample: TelemetrySample) -> tuple[TelemetrySample, list[str]]:
    """The sample with its values outside RANGES (infinite ones too) made missing, and the names of those."""
    bad = [name for name, (low, high) in RANGES.items()
           if (value := getattr(sample, name)) is not None and not low <= value <= high]
    return replace(sample, **dict.fromkeys(bad)), bad


def _spans(cues: list[dict[str, str]], notes: list[str]) -> list[tuple[float, float] | None]:
    """Each cue's (start, end) in seconds from the video start: from the cue times, else from the dates."""
    if any("timecode" in raw for raw in cues):
        return [_span(raw["timecode"]) if "timecode" in raw else None for raw in cues]
    dates = [parse_date(raw.get("date", "")) for raw in cues]
    first = next((d for d in dates if d is not None), None)
    if first is None:
        return [None] * len(cues)
    notes.append("no cue times: offsets from the date stamps, counted from the first cue")
    return [((d - first).total_seconds(),) * 2 if d is not None else None for d in dates]


def _in_radians(samples: list[TelemetrySample]) -> bool:
    """Some Mavic Air 2 firmware wrote radians. Read as degrees, such a flight lies within 1.6° of the
    equator and 3.2° of the prime meridian, in the sea off Africa, and spans less than 0.001°."""
    lats, lons = [s.lat for s in samples], [s.lon for s in samples]
    return (max(map(abs, lats)) <= math.pi / 2 and max(map(abs, lons)) <= math.pi
            and max(lats) - min(lats) < RADIANS_SPAN and max(lons) - min(lons) < RADIANS_SPAN)


def _count(skipped: Counter[str]) -> str:
    return ", ".join(f"{n} {reason}" for reason, n in skipped.most_common())


def _content_notes(samples: list[TelemetrySample]) -> list[str]:
    notes = []
    if all(s.rel_alt_m is None and s.abs_alt_m is None for s in samples):
        notes.append("no altitude in the SRT")
    elif all(s.rel_alt_m is None for s in samples):
        notes.append("no height above take-off in the SRT (only above sea level)")
    with_gimbal = sum(s.gimbal_pitch_deg is not None for s in samples)
    if not with_gimbal:
        notes.append("no gimbal angles in the SRT: the camera direction is unknown")
    elif with_gimbal < len(samples):
        notes.append(f"gimbal angles in only {with_gimbal} of {len(samples)} samples")
    if all(s.time is None for s in samples):
        notes.append("no date stamps in the SRT: frame times unknown")
    return notes


def read_srt(path: Path) -> Telemetry:
    """Parse a DJI SRT sidecar into time-ordered telemetry samples.

    Cues without a usable position or time are skipped and counted in the notes. Raises
    BadInputError for an unreadable or empty file and for one with no usable cue.
    """
    cues = [cue_fields(lines) for lines in _cues(_read_text(path))]
    if not cues:
        raise BadInputError(path, "no subtitle cues: not a DJI SRT file")
    notes: list[str] = []
    samples: list[TelemetrySample] = []
    skipped: Counter[str] = Counter()
    out_of_range: Counter[str] = Counter()
    for raw, span in zip(cues, _spans(cues, notes), strict=True):
        sample = _sample(raw, span)
        if isinstance(sample, str):
            skipped[sample] += 1
        else:
            sample, bad = _in_range(sample)
            out_of_range.update(bad)
            samples.append(sample)
    if not samples:
        raise BadInputError(path, f"no usable telemetry in {len(cues)} cue(s): {_count(skipped)}")
    if skipped:
        notes.append(f"skipped {skipped.total()} of {len(cues)} cues: {_count(skipped)}")
    if out_of_range:
        notes.append(f"values out of range treated as missing: {_count(out_of_range)}")
    if any(b.offset_s < a.offset_s for a, b in pairwise(samples)):
        samples.sort(key=lambda s: s.offset_s)
        notes.append("cues out of time order: sorted by cue time")
    if _in_radians(samples):
        samples = [replace(s, lat=math.degrees(s.lat), lon=math.degrees(s.lon)) for s in samples]
        notes.append("positions were written in radians (a DJI firmware bug): converted to degrees")
    return Telemetry(path=path, samples=tuple(samples), notes=tuple(notes + _content_notes(samples)))


def _lerp(a: float | None, b: float | None, w: float) -> float | None:
    return None if a is None or b is None else a + (b - a) * w


def _lerp_angle(a: float | None, b: float | None, w: float) -> float | None:
    """Interpolate on the circle, the short way round, in [-180, 180).

    >>> _lerp_angle(170.0, -170.0, 0.25), _lerp_angle(-10.0, 30.0, 0.5)
    (175.0, 10.0)
    """
    if a is None or b is None:
        return None
    turn = (b - a + 180.0) % 360.0 - 180.0
    return (a + turn * w + 180.0) % 360.0 - 180.0


def _lerp_time(a: datetime | None, b: datetime | None, w: float) -> datetime | None:
    return None if a is None or b is None else a + (b - a) * w


def sample_at(telemetry: Telemetry, offset_s: float) -> TelemetrySample:
    """The drone's state `offset_s` seconds into the video, interpolated between the two nearest cues.

    Positions, altitudes, pitch, roll and time are interpolated linearly, yaw on the circle;
    focal length, zoom and the raw fields are the nearer cue's (a zoom steps, it does not glide).
    Before the first cue or after the last the nearest cue is returned unchanged.
    """
    samples = telemetry.samples
    after = bisect_right(telemetry.offsets, offset_s)
    if after == 0 or after == len(samples):
        return samples[min(after, len(samples) - 1)]
    a, b = samples[after - 1], samples[after]
    gap = b.offset_s - a.offset_s
    w = (offset_s - a.offset_s) / gap if gap > 0 else 0.0
    near = a if w < 0.5 else b
    return replace(near, offset_s=offset_s, end_s=offset_s, lat=a.lat + (b.lat - a.lat) * w,
                   lon=a.lon + (b.lon - a.lon) * w,
                   time=_lerp_time(a.time, b.time, w), rel_alt_m=_lerp(a.rel_alt_m, b.rel_alt_m, w),
                   abs_alt_m=_lerp(a.abs_alt_m, b.abs_alt_m, w),
                   gimbal_yaw_deg=_lerp_angle(a.gimbal_yaw_deg, b.gimbal_yaw_deg, w),
                   gimbal_pitch_deg=_lerp(a.gimbal_pitch_deg, b.gimbal_pitch_deg, w),
                   gimbal_roll_deg=_lerp(a.gimbal_roll_deg, b.gimbal_roll_deg, w))
