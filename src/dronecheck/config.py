"""dronecheck.toml: the inboxes a nightly job scans, with their profile, output and settings.

    out = "/srv/dronecheck/outputs"      # defaults for every inbox
    device = "cpu"
    crs = "EPSG:28992"                   # the GeoPackage and the CSV's x/y in RD New
    organisation = "Gemeente Noorderhaaks"  # for the factsheet (also contact, legal_basis, dpia)
    lang = "nl"                          # the report and summary in Dutch (or en)

    [[inbox]]
    path = "/srv/inbox/roads"
    profile = "cracks"
    conf = 0.3
    dem = "/srv/dem/ahn4-flevoland.tif"  # a GeoTIFF DEM: findings on the terrain, not flat ground

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

import math
import sys
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from dronecheck.errors import ConfigError
from dronecheck.ledger.records import is_url

CONFIG_NAME = "dronecheck.toml"
LEDGER_NAME = "ledger.sqlite"  # in the output folder, unless a ledger is named
DEFAULT_OUT = Path("outputs")
DEFAULT_BATCH = 4
DEFAULT_FPS = 2.0
DEFAULT_CRS = 4326  # WGS84


@dataclass(frozen=True)
class Settings:
    """What one scan of one inbox needs besides the photos; None means 'not set here'."""

    profile: str | None = None
    weights: Path | None = None
    out: Path | None = None
    ledger: Path | str | None = None  # an SQLite file, or a postgresql:// URL
    device: str | None = None
    conf: float | None = None
    iou: float | None = None
    batch: int | str | None = None  # a number, or "auto"
    fps: float | None = None
    hfov: float | None = None
    zones: Path | None = None
    crs: int | None = None  # EPSG code of the GeoPackage and CSV layers (see parse_crs)
    dem: Path | None = None  # GeoTIFF DEM the findings are put on
    reviewer: str | None = None  # who the verdicts of `dronecheck review` are by (default: the OS user)
    lang: str | None = None  # nl or en: the report, the factsheet and the scan summary (default: the profile's)
    organisation: str | None = None  # who uses the algorithm, for the factsheet (models.factsheet)
    contact: str | None = None  # an e-mail address or URL for questions about it
    legal_basis: str | None = None  # the law or task it serves
    dpia: str | None = None  # the DPIA done for it: a reference or a short statement

    def over(self, lower: Settings) -> Settings:
        """These settings, with the gaps filled from `lower`."""
        return replace(lower, **{f.name: getattr(self, f.name) for f in fields(self)
                                 if getattr(self, f.name) is not None})


DEFAULTS = Settings(profile="cracks", out=DEFAULT_OUT, device="auto", batch=DEFAULT_BATCH, fps=DEFAULT_FPS,
                    crs=DEFAULT_CRS)


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
                          "conf": float, "iou": float, "batch": int, "fps": float, "hfov": float, "zones": Path,
                          "crs": str, "dem": Path, "reviewer": str, "lang": str, "organisation": str,
                          "contact": str, "legal_basis": str, "dpia": str}
TEXTS = {"organisation": 200, "contact": 200, "legal_basis": 1000, "dpia": 1000}  # plain text, at most so long
RANGES = {"conf": (0.0, 1.0), "iou": (0.0, 1.0), "batch": (1, 4096), "fps": (0.01, 1000.0), "hfov": (1.0, 179.0)}


def parse_batch(value: str | int) -> int | str:
    """A batch setting: a whole number in RANGES["batch"], or "auto".

    >>> parse_batch("8"), parse_batch("auto")
    (8, 'auto')
    """
    if value == "auto":
        return value
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    low, high = RANGES["batch"]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(f"batch {value!r} is not a whole number from {low} to {high}, nor auto")
    return value


def parse_crs(value: object) -> int:
    """A crs setting ("EPSG:28992", or the code alone) as its EPSG code; ConfigError for a code PROJ does not
    know as a 2D CRS.

    >>> parse_crs("EPSG:28992")
    28992
    """
    from dronecheck.geo.crs import epsg_code  # pyproj: only when a crs is given

    if not isinstance(value, str):
        raise ConfigError(f"crs must be a string such as \"EPSG:28992\", not {value!r}")
    try:
        return epsg_code(value)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def _value(key: str, value: Any, where: str, base: Path) -> Any:
    parse = {"crs": parse_crs, "batch": parse_batch}.get(key)
    if parse:
        try:
            return parse(value)
        except ConfigError as exc:
            raise ConfigError(f"{where}: {exc}") from None
    if key == "ledger" and isinstance(value, str) and is_url(value):
        return value
    if key == "lang":
        from dronecheck.report.i18n import check_lang

        return check_lang(value, f"{where}: lang")
    if key in TEXTS and not (isinstance(value, str) and value.strip() and len(value) <= TEXTS[key]
                             and value.isprintable()):
        raise ConfigError(f"{where}: {key} must be one line of text of at most {TEXTS[key]} characters, not "
                          f"{value!r}")
    kind = TYPES.get(key, Path)  # "path" of an inbox
    if kind is Path:
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{where}: {key} must be a path (a non-empty string), not {value!r}")
        try:
            path = Path(value).expanduser()
        except RuntimeError as exc:  # "~someone" who is not a user here
            raise ConfigError(f"{where}: {key} {value!r}: {exc}") from None
        return path if path.is_absolute() else base / path
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value) if abs(value) <= sys.float_info.max else math.inf  # out of range below, no OverflowError
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
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc})") from None
    except (ValueError, RecursionError) as exc:  # TOMLDecodeError; a number of over 4300 digits; nesting too deep
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    base = path.resolve().parent
    tables = raw.pop("inbox", [])
    defaults = _settings(raw, str(path), base, set(TYPES) | {"inbox"})
    if not isinstance(tables, list):
        raise ConfigError(f"{path}: inbox must be an array of tables ([[inbox]]), not {type(tables).__name__}")
    inboxes = []
    for n, table in enumerate(tables, 1):
        where = f"{path} [[inbox]] #{n}"
        if not isinstance(table, dict):
            raise ConfigError(f"{where}: expected a table of keys, not {table!r}")
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


def scan_jobs(path: Path | None, flags: Settings, config_file: Path | None) -> list[tuple[Path, Settings]]:
    """(folder, settings) for each scan to run: PATH alone, or every inbox of the config, with the
    settings resolved in the order of precedence above."""
    cfg = find_config(config_file)
    if path is not None:
        inbox = next((i.settings for i in cfg.inboxes if i.path.resolve() == path.resolve()), Settings())
        return [(path, flags.over(inbox.over(cfg.defaults)).over(DEFAULTS))]
    if not cfg.inboxes:
        where = f"{cfg.source} has no [[inbox]] tables" if cfg.source else "no ./dronecheck.toml and no --config"
        raise ConfigError(f"nothing to scan: give a PATH, or a config with [[inbox]] tables ({where})")
    for inbox in cfg.inboxes:
        if not inbox.path.is_dir():
            raise ConfigError(f"{cfg.source}: inbox {inbox.path} is not a folder")
    return [(i.path, flags.over(i.settings.over(cfg.defaults)).over(DEFAULTS)) for i in cfg.inboxes]


def ledger_paths(config_file: Path | None, out: Path | None, ledger: Path | str | None) -> list[Path | str]:
    """The ledgers `runs`, `report` and `export` read (files, or PostgreSQL URLs): the one given, else those of the
    config, else the default."""
    if ledger or out:
        return [ledger or out / LEDGER_NAME]  # type: ignore[operator]
    cfg = find_config(config_file)
    paths: list[Path | str] = []
    for s in [cfg.defaults, *(i.settings.over(cfg.defaults) for i in cfg.inboxes)]:
        path = s.ledger or (s.out or DEFAULT_OUT) / LEDGER_NAME
        if path not in paths:
            paths.append(path)
    return paths
