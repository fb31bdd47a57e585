"""Find the photos of a flight: JPEG and TIFF files, searched recursively."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

PHOTO_SUFFIXES = {".jpg", ".jpeg", ".tif", ".tiff"}


@dataclass
class Discovery:
    photos: list[Path] = field(default_factory=list)
    ignored: list[Path] = field(default_factory=list)  # files that are not photos by their name


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def discover(path: Path) -> Discovery:
    """Photos under `path` (or `path` itself), sorted; hidden files and folders are passed over."""
    if path.is_file():
        return Discovery([path]) if path.suffix.lower() in PHOTO_SUFFIXES else Discovery([], [path])
    found = Discovery()
    for file in sorted(p for p in path.rglob("*") if p.is_file() and not _hidden(p, path)):
        (found.photos if file.suffix.lower() in PHOTO_SUFFIXES else found.ignored).append(file)
    return found
