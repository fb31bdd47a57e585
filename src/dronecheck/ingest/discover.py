"""Find the photos and videos of a flight: JPEG and TIFF files, MP4 and MOV videos, searched recursively."""

from __future__ import annotations

import os
import stat
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


KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
         (stat.S_ISBLK, "a block device"), (stat.S_ISDIR, "a folder"))


def not_regular(path: Path) -> str | None:
    """Why `path` is not a regular file that can be read to its end (links followed), or None when it is one.

    Opening a FIFO or a device to read it can block for ever: nothing may open one as a photo.

    >>> not_regular(Path("/dev/null"))
    'not a regular file but a character device'
    """
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        return f"cannot read the file ({exc.strerror or exc})"
    if stat.S_ISREG(mode):
        return None
    kind = next((name for test, name in KINDS if test(mode)), "a special file")
    return f"not a regular file but {kind}"


def utf8_name(path: Path) -> bool:
    """Whether the path is valid UTF-8. Names from old cards and Windows shares may not be: Python holds their
    bytes as surrogate escapes, which OpenCV and SQLite cannot take as text.

    >>> utf8_name(Path("DJI_0001.JPG")), utf8_name(Path(os.fsdecode(b"caf\\xe9.JPG")))
    (True, False)
    """
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _named_like_media(name: str) -> bool:
    return Path(name).suffix.lower() in PHOTO_SUFFIXES | VIDEO_SUFFIXES


def _files(folder: Path) -> list[Path]:
    """Every file under `folder`, sorted, passing over hidden files and not entering hidden folders.

    Links to folders are not followed (a link loop cannot trap the walk). A folder named like a
    photo or video is listed too, so that the scan says it skipped it; its files are searched all the same.
    """
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found += [Path(root, f) for f in files if not f.startswith(".")]
        found += [Path(root, d) for d in dirs if _named_like_media(d)]
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
