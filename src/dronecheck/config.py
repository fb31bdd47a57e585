"""dronecheck.toml: the inboxes a nightly job scans, with their profile, output and settings.

    out = "/srv/dronecheck/outputs"      # defaults for every inbox
    device = "cpu"

    [[inbox]]
    path = "/srv/inbox/roads"
    profile = "cracks"
    conf = 0.3

    [[inbox]]
    path = "/srv/inbox/north-sea"
    profile = "fishing"
    zones = "/srv/zones/closed-areas.geojson"
    fps = 2

Precedence, highest first: command-line flags, DRONECHECK_* environment variables, the
inbox's keys, the file's top-level keys, the built-in defaults. Relative paths are taken
from the folder the file is in.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from dronecheck.errors import DronecheckError

CONFIG_NAME = "dronecheck.toml"


class ConfigError(DronecheckError, ValueError):
    """A dronecheck.toml that cannot be used: the message names the file and the key."""


@dataclass(frozen=True)
class Settings:
    """What one scan of one inbox needs besides the photos; None means 'not set here'."""

    profile: str | None = None
    weights: Path | None = None
    out: Path | None = None
    ledger: Path | None = None
    device: str | None = None
    conf: float | None = None
    iou: float | None = None
    batch: int | str | None = None  # a number, or "auto"
    fps: float | None = None
    hfov: float | None = None
    zones: Path | None = None

    def over(self, lower: Settings) -> Settings:
        """These settings, with the gaps filled from `lower`."""
        return replace(lower, **{f.name: getattr(self, f.name) for f in fields(self)
                                 if getattr(self, f.name) is not None})


@dataclass(frozen=True)
class Inbox:
    path: Path
    settings: Settings


@dataclass(frozen=True)
class Config:
    source: Path | None = None
    defaults: Settings = field(default_factory=Settings)
    inboxes: tuple[Inbox, ...] = ()


TYPES: dict[str, type] = {"profile": str, "weights": Path, "out": Path, "ledger": Path, "device": str,
                          "conf": float, "iou": float, "batch": int, "fps": float, "hfov": float, "zones": Path}
RANGES = {"conf": (0.0, 1.0), "iou": (0.0, 1.0), "batch": (1, 4096), "fps": (0.01, 1000.0), "hfov": (1.0, 179.0)}


def _value(key: str, value: Any, where: str, base: Path) -> Any:
    if key == "batch" and value == "auto":
        return value
    kind = TYPES.get(key, Path)  # "path" of an inbox
    if kind is Path:
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{where}: {key} must be a path (a non-empty string), not {value!r}")
        path = Path(value).expanduser()
        return path if path.is_absolute() else base / path
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or isinstance(value, bool):
        expected = "a whole number or \"auto\"" if key == "batch" else kind.__name__
        raise ConfigError(f"{where}: {key} must be {expected}, not {value!r}")
    low, high = RANGES.get(key, (None, None))
    if low is not None and not low <= value <= high:
        raise ConfigError(f"{where}: {key} = {value} is out of range {low}..{high}")
    return value


def _settings(table: dict[str, Any], where: str, base: Path, allowed: set[str]) -> Settings:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(allowed))})")
    return Settings(**{k: _value(k, v, where, base) for k, v in table.items() if k in TYPES})


def load_config(path: Path) -> Config:
    """Read and check a dronecheck.toml. Raises ConfigError naming the file and the key."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file ({exc.strerror or exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    base = path.resolve().parent
    tables = raw.pop("inbox", [])
    defaults = _settings(raw, str(path), base, set(TYPES) | {"inbox"})
    if not isinstance(tables, list):
        raise ConfigError(f"{path}: inbox must be an array of tables ([[inbox]]), not {type(tables).__name__}")
    inboxes = []
    for n, table in enumerate(tables, 1):
        where = f"{path} [[inbox]] #{n}"
        if "path" not in table:
            raise ConfigError(f"{where}: missing key 'path' (the folder to scan)")
        inbox_path = _value("path", table["path"], where, base)
        rest = {k: v for k, v in table.items() if k != "path"}
        inboxes.append(Inbox(inbox_path, _settings(rest, where, base, set(TYPES))))
    return Config(path, defaults, tuple(inboxes))


def find_config(given: Path | None) -> Config:
    """The config given, else ./dronecheck.toml when there is one, else an empty config."""
    if given is not None:
        return load_config(given)
    local = Path.cwd() / CONFIG_NAME
    return load_config(local) if local.is_file() else Config()
