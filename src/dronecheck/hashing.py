"""The sha256 of a file, read in chunks: photos, videos (larger than memory) and weights alike."""

from __future__ import annotations

import errno
import hashlib
import stat
from pathlib import Path

CHUNK = 1 << 20


def file_sha256(path: Path) -> str:
    """Hex sha256 of the file's bytes; OSError when it cannot be read, or is no regular file (opening a FIFO
    to read it would block until something writes to it)."""
    if not stat.S_ISREG(path.stat().st_mode):
        raise OSError(errno.EINVAL, "not a regular file", str(path))
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
