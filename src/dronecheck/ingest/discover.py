"""Find the photos of a flight: JPEG and TIFF files, searched recursively."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from dronecheck.errors import BadInputError

PHOTO_SUFFIXES = {".jpg", ".jpeg", ".tif", ".tiff"}


@dataclass
class Discovery:
    photos: list[Path] = field(default_factory=list)
    ignored: list[Path] = field(default_factory=list)  # files that are not photos by their name: "not a photo"


def _files(folder: Path) -> list[Path]:
    """Every file under `folder`, sorted, passing over hidden files and not entering hidden folders."""
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found += [Path(root, f) for f in files if not f.startswith(".")]
    return sorted(found)


def discover(path: Path) -> Discovery:
    """The photos under a folder (or the single file `path`) by suffix, and the other files apart."""
    if path.is_file():
        files = [path]
    elif path.is_dir():
        files = _files(path)
    else:
        raise BadInputError(path, "no such file or folder")
    found = Discovery()
    for file in files:
        (found.photos if file.suffix.lower() in PHOTO_SUFFIXES else found.ignored).append(file)
    return found
