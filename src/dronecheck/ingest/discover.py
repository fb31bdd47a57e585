"""Find the photos and videos of a flight: JPEG and TIFF files, MP4 and MOV videos, searched recursively."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from dronecheck.errors import BadInputError

PHOTO_SUFFIXES = {".jpg", ".jpeg", ".tif", ".tiff"}
VIDEO_SUFFIXES = {".mp4", ".mov"}


@dataclass
class Discovery:
    photos: list[Path] = field(default_factory=list)
    videos: list[Path] = field(default_factory=list)
    ignored: list[Path] = field(default_factory=list)  # neither photo nor video by their name, nor a video's .SRT


def _files(folder: Path) -> list[Path]:
    """Every file under `folder`, sorted, passing over hidden files and not entering hidden folders."""
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found += [Path(root, f) for f in files if not f.startswith(".")]
    return sorted(found)


def discover(path: Path) -> Discovery:
    """The photos and videos under a folder (or the single file `path`) by suffix, and the other files apart."""
    if path.is_file():
        files = [path]
    elif path.is_dir():
        files = _files(path)
    else:
        raise BadInputError(path, "no such file or folder")
    found = Discovery()
    for file in files:
        suffix = file.suffix.lower()
        kind = found.photos if suffix in PHOTO_SUFFIXES else found.videos if suffix in VIDEO_SUFFIXES else found.ignored
        kind.append(file)
    videos = {(v.parent, v.stem) for v in found.videos}
    found.ignored = [f for f in found.ignored if not (f.suffix.lower() == ".srt" and (f.parent, f.stem) in videos)]
    return found
