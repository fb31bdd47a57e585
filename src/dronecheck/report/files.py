"""Writing files so that a killed run never leaves a half-written one."""

from __future__ import annotations

import functools
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from dronecheck.errors import OutputError


@functools.cache
def file_mode() -> int:
    """The mode a new file gets under the process's umask (0644 under the usual 022): mkstemp makes 0600,
    which the GIS team, a web server or a colleague in the group could not read."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file in the same folder, then rename over the target; readable as the umask says.

    The temporary file is beside the target, not in the temp folder, so the rename never crosses
    filesystems. Raises OutputError (disk full, read-only, no permission) with the old file untouched.
    """
    try:
        tmp = temp_beside(path)
    except OSError as exc:
        raise OutputError(path, exc) from exc
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise OutputError(path, exc) from exc
        raise


def temp_beside(path: Path) -> Path:
    """An empty file in `path`'s folder (made with its parents if need be), so that renaming it over `path` never
    crosses filesystems, readable as the umask says; OSError when it cannot be made."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, file_mode())
    finally:
        os.close(fd)
    return Path(name)


def make_dirs(folder: Path) -> None:
    """Make `folder` and its parents, as the umask says; OutputError when that cannot be done."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(folder, exc) from exc


def fsync_file(path: Path) -> None:
    """Flush a file that another library wrote (SQLite, GDAL) to the disk, before it is renamed into place."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def text_bytes(text: str) -> bytes:
    """UTF-8, with a file name that is no valid UTF-8 (held with surrogate escapes) written escaped, as \\udcXX:
    in JSON that is a valid escape, and in HTML it shows which byte it was."""
    return text.encode("utf-8", "backslashreplace")


def write_json(path: Path, obj: Any) -> None:
    write_atomic(path, text_bytes(json.dumps(obj, indent=1, ensure_ascii=False) + "\n"))
