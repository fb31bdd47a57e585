"""Inspection profiles: which weights, classes, thresholds, tiling and rules a scan uses.

A profile is a small TOML file. The built-in ones are the .toml files in this folder; a
user can pass the path of their own file instead of a name.
"""

from __future__ import annotations

import math
import os
import tomllib
from dataclasses import dataclass, fields, replace
from importlib import resources
from pathlib import Path

from dronecheck.analyse.rules import Rule, parse_rules
from dronecheck.errors import ProfileError

PROJECT_WEIGHTS = Path(__file__).resolve().parents[3] / "weights"


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    weights: Path
    classes: tuple[str, ...]
    conf: float = 0.25
    iou: float = 0.5
    imgsz: int = 640
    tile_size: int = 0  # 0: photos go to the model whole; else tiles of this many pixels
    tile_overlap: float = 0.2  # fraction of a tile shared with its neighbour
    target_gsd_cm: float | None = None  # ground cm per pixel the model was trained at: tile size per photo
    # (see pipeline.tiles.tile_size_of for how these decide the tiling of each photo)
    full_pass: bool = False  # tiled photos also go to the model whole, and those boxes are merged in
    min_object_m: float | None = None  # smallest object looked for: a photo where it stays big enough goes whole
    track: bool = False  # link detections across the frames of a video or photo sequence into tracks
    rules: tuple[Rule, ...] = ()  # [[rules]]: when tracks and findings inside zones are suspected violations
    codes: tuple[str, ...] = ()  # a code per class, kept in every export (e.g. the RDD2022 codes D00, D10, ...)
    trace: tuple[str, ...] = ()  # classes whose centre line, length and widths are traced from the pixels
    width_classes_mm: tuple[float, ...] = ()  # bounds of the crack width classes, e.g. (0.2, 0.5)
    lang: str | None = None  # nl or en: the language of its report and factsheet, unless a setting says otherwise
    blur: tuple[str, ...] = ()  # privacy-model classes (person, car, ...) blurred in every crop and photo view
    source: str = ""  # the file the profile came from


def builtin_names() -> list[str]:
    files = resources.files("dronecheck.profiles")
    return sorted(p.name.removesuffix(".toml") for p in files.iterdir() if p.name.endswith(".toml"))


def weights_dirs() -> list[Path]:
    """Where a bare weights name is looked for: $DRONECHECK_WEIGHTS_DIR, ./weights, the project's weights/."""
    dirs = [Path(d) for d in [os.environ.get("DRONECHECK_WEIGHTS_DIR")] if d]
    return dirs + [Path.cwd() / "weights", PROJECT_WEIGHTS]


def resolve_weights(value: str, relative_to: Path | None) -> Path:
    try:
        path = Path(value).expanduser()
    except RuntimeError as exc:  # "~someone" who is not a user here
        raise ProfileError(f"weights file {value!r}: {exc}") from None
    if path.is_absolute():
        candidates = [path]
    else:
        candidates = ([relative_to / path] if relative_to else []) + [d / path for d in weights_dirs()]
    for candidate in candidates:
        try:
            if candidate.is_file():
                return candidate.resolve()
        except OSError:  # a name too long for the file system, say
            continue
    looked = ", ".join(str(c) for c in candidates)
    raise ProfileError(f"weights file {value!r} not found (looked in: {looked})")


def load_profile(name_or_path: str, weights: Path | None = None, *, require_weights: bool = True) -> Profile:
    """Load a built-in profile by name or a user's profile file by path.

    `weights` overrides the profile's weights. Unknown keys and missing weights fail here,
    at start, with a message that names them (training, which makes the weights, passes
    `require_weights=False`).
    """
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists():
        if not path.is_file():
            raise ProfileError(f"profile file not found: {path}")
        source, base = str(path), path.parent
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ProfileError(f"profile {source}: cannot read the file ({exc})") from None
    elif name_or_path in builtin_names():
        text = (resources.files("dronecheck.profiles") / f"{name_or_path}.toml").read_text()
        source, base = f"built-in:{name_or_path}", None
    else:
        raise ProfileError(f"unknown profile {name_or_path!r}: expected one of {', '.join(builtin_names())} "
                           "or the path of a .toml file")
    try:
        raw = tomllib.loads(text)
    except (ValueError, RecursionError) as exc:  # TOMLDecodeError; a number of over 4300 digits; nesting too deep
        raise ProfileError(f"profile {source}: not valid TOML ({exc})") from exc
    return _build(raw, source, base, weights, require_weights)


def _build(raw: dict, source: str, base: Path | None, weights: Path | None, require_weights: bool) -> Profile:
    known = {f.name for f in fields(Profile)} - {"source"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ProfileError(f"profile {source}: unknown key(s) {', '.join(unknown)}; "
                           f"known keys are {', '.join(sorted(known))}")
    missing = sorted({"name", "weights", "classes"} - set(raw))
    if missing:
        raise ProfileError(f"profile {source}: missing key(s) {', '.join(missing)}")
    if weights is None:
        try:
            weights = resolve_weights(str(raw["weights"]), base)
        except ProfileError:
            if require_weights:
                raise
            weights = Path("weights") / str(raw["weights"])
    try:
        profile = Profile(
            name=str(raw["name"]), description=str(raw.get("description", "")), weights=weights.resolve(),
            classes=tuple(str(c) for c in raw["classes"]), conf=float(raw.get("conf", 0.25)),
            iou=float(raw.get("iou", 0.5)), imgsz=int(raw.get("imgsz", 640)),
            tile_size=int(raw.get("tile_size", 0)), tile_overlap=float(raw.get("tile_overlap", 0.2)),
            target_gsd_cm=_optional_float(raw, "target_gsd_cm"), full_pass=_flag(raw, "full_pass", source),
            min_object_m=_optional_float(raw, "min_object_m"), track=_flag(raw, "track", source),
            codes=tuple(str(c) for c in raw.get("codes", [])), trace=tuple(str(c) for c in raw.get("trace", [])),
            width_classes_mm=tuple(float(b) for b in raw.get("width_classes_mm", [])), source=source,
            lang=_lang(raw, source), blur=_blur(raw, source))
    except (TypeError, ValueError, OverflowError) as exc:  # OverflowError: int(inf), float(10**400)
        raise ProfileError(f"profile {source}: bad value ({exc})") from exc
    profile = replace(profile, rules=tuple(parse_rules(raw.get("rules", []), source, profile.classes)))
    if profile.codes and len(profile.codes) != len(profile.classes):
        raise ProfileError(f"profile {source}: codes has {len(profile.codes)} entries for {len(profile.classes)} "
                           "classes: give one code per class, in the order of classes")
    unknown_classes = sorted(set(profile.trace) - set(profile.classes))
    if unknown_classes:
        raise ProfileError(f"profile {source}: trace names {', '.join(unknown_classes)}, which is not one of its "
                           f"classes ({', '.join(profile.classes)})")
    bounds = profile.width_classes_mm
    if not all(0 < b < math.inf for b in bounds) or list(bounds) != sorted(set(bounds)):
        raise ProfileError(f"profile {source}: width_classes_mm = {list(bounds)} must be rising finite numbers above 0")
    for key, value, ok in (("conf", profile.conf, 0 <= profile.conf <= 1), ("iou", profile.iou, 0 < profile.iou <= 1),
                           ("imgsz", profile.imgsz, profile.imgsz >= 32),
                           ("tile_size", profile.tile_size, profile.tile_size == 0 or profile.tile_size >= 32),
                           ("tile_overlap", profile.tile_overlap, 0 <= profile.tile_overlap < 0.9),
                           ("target_gsd_cm", profile.target_gsd_cm,
                            profile.target_gsd_cm is None or 0 < profile.target_gsd_cm <= 1000),
                           ("min_object_m", profile.min_object_m,
                            profile.min_object_m is None or 0 < profile.min_object_m <= 10_000)):
        if not ok:
            raise ProfileError(f"profile {source}: {key} = {value} is out of range")
    return profile


def _flag(raw: dict, key: str, source: str) -> bool:
    """A true/false key; TOML strings such as "no" are refused rather than read as true."""
    value = raw.get(key, False)
    if not isinstance(value, bool):
        raise ProfileError(f"profile {source}: {key} = {value!r} must be true or false")
    return value


def _lang(raw: dict, source: str) -> str | None:
    """The profile's `lang` (nl or en), or None."""
    from dronecheck.report.i18n import check_lang

    if raw.get("lang") is None:
        return None
    try:
        return check_lang(raw["lang"], "lang")
    except ValueError as exc:
        raise ProfileError(f"profile {source}: {exc}") from None


def _blur(raw: dict, source: str) -> tuple[str, ...]:
    """`blur`: a list of classes of the privacy model (detect.privacy.CLASSES)."""
    from dronecheck.detect.privacy import CLASSES

    value = raw.get("blur", [])
    if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
        raise ProfileError(f"profile {source}: blur = {value!r} must be a list of class names")
    unknown = sorted(set(value) - set(CLASSES))
    if unknown:
        raise ProfileError(f"profile {source}: blur names {', '.join(unknown)}, which the privacy model does not "
                           f"know (it knows {', '.join(CLASSES)})")
    return tuple(dict.fromkeys(value))


def _optional_float(raw: dict, key: str) -> float | None:
    return None if raw.get(key) is None else float(raw[key])
