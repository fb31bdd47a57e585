"""Reading ahead: photos and video frames decoded in worker threads while the model runs.

JPEG and video decoding release the GIL, so they overlap inference. Every queue is
bounded: a frame is only decoded once one of the `depth` before it has been taken, so
memory stays flat however long the flight.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np

from dronecheck.errors import BadInputError
from dronecheck.ingest.ortho import Mosaic, MosaicWindow, open_mosaic, read_windows
from dronecheck.ingest.photos import load_pixels, read_frame
from dronecheck.ingest.video import read_video, video_file_sha256
from dronecheck.types import Frame

T = TypeVar("T")


@dataclass
class Loaded:
    """One frame read and decoded; or a file that could not be (`failed` says why); or the end of a video."""

    path: Path
    frame: Frame | None = None
    pixels: np.ndarray | None = None
    failed: str | None = None
    video_done: tuple[str, int] | None = None  # (sha256, frames) of the video (or mosaic) whose frames all came before
    keep: tuple[float, float, float, float] | None = None  # a mosaic window's own part (see ortho.MosaicWindow)


def load_photo(path: Path, sha256: str | None = None) -> Loaded:
    """The photo read and decoded, or why it could not be; `sha256` when the caller hashed it already."""
    try:
        frame = read_frame(path, sha256)
        return Loaded(path, frame, load_pixels(frame))
    except BadInputError as exc:
        return Loaded(path, failed=exc.reason)


def read_ahead(photos: Iterable[tuple[Path, str | None]], depth: int) -> Iterator[Loaded]:
    """Photos (path, sha256 or None) read and decoded in two worker threads, at most `depth` ahead of the
    consumer, in order."""
    window: deque[Future[Loaded]] = deque()
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="read") as pool:
        for path, sha256 in photos:
            window.append(pool.submit(load_photo, path, sha256))
            if len(window) >= max(1, depth):
                yield window.popleft().result()
        while window:
            yield window.popleft().result()


def video_frames(path: Path, sha256: str | None, *, fps: float, hfov_deg: float | None,
                 skip: frozenset[str] = frozenset()) -> Iterator[Loaded]:
    """The sampled frames of a video, then its end marker; a video that fails ends with its reason.

    Frames whose sha256 is in `skip` (done before a kill) are decoded but not handed on.
    """
    count = 0
    try:
        digest = sha256 or video_file_sha256(path)
        for frame, pixels in read_video(path, fps=fps, hfov_deg=hfov_deg, sha256=digest):
            count += 1
            if frame.sha256 not in skip:
                yield Loaded(path, frame, pixels)
    except BadInputError as exc:
        yield Loaded(path, failed=exc.reason)
        return
    yield Loaded(path, video_done=(digest, count))


def mosaic_frames(path: Path, sha256: str | None, plan: Callable[[Mosaic], list[MosaicWindow]],
                  skip: frozenset[str] = frozenset()) -> Iterator[Loaded]:
    """The windows of an orthomosaic that hold valid pixels (`plan` says which to cut), then its end marker,
    as a video's frames; a mosaic that fails ends with its reason. Windows in `skip` are not read."""
    mosaic = open_mosaic(path)
    if mosaic is None or sha256 is None:
        yield Loaded(path, failed="cannot open the orthomosaic any more (changed or gone since it was found)")
        return
    windows = plan(mosaic)
    try:
        for window, frame, pixels in read_windows(mosaic, sha256, windows, skip):
            yield Loaded(path, frame, pixels, keep=window.keep)
    except BadInputError as exc:
        yield Loaded(path, failed=exc.reason)
        return
    yield Loaded(path, video_done=(sha256, len(windows)))


class _Raised:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


_END = object()


def prefetched(items: Iterator[T], depth: int) -> Iterator[T]:
    """`items` produced by a worker thread, at most `depth` ahead of the consumer.

    An exception in the worker is raised in the consumer; a consumer that stops early
    stops the worker.
    """
    ahead: queue.Queue[object] = queue.Queue(maxsize=max(1, depth))
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                ahead.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(item):
                    return
        except BaseException as exc:  # handed to the consumer, which raises it
            put(_Raised(exc))
            return
        put(_END)

    worker = threading.Thread(target=produce, name="read-video", daemon=True)
    worker.start()
    try:
        while (item := ahead.get()) is not _END:
            if isinstance(item, _Raised):
                raise item.exc
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        worker.join()
