"""Benchmark: end-to-end `scan` against the detector alone, and peak memory against flight length.

Throughput. Builds a flight of large photos (mosaics of the real 1280x960 road photos in
datasets/sample-flight, default 8 of 5472x3648, with the EXIF GPS and DJI XMP metadata a
Phantom 4 Pro writes, so that they are real inputs) and a tiled profile (a TOML file with
the tile size, overlap, imgsz and thresholds given here). Then, interleaved round by round:

- detector: `Detector.detect(photos, batch)` on the photos already decoded in memory, in
  batches of `--batch` photos as the scan takes them (the model loaded and warmed up once);
- scan: `dronecheck.pipeline.scan` of the same files with the same profile, batch and
  threads, into a fresh output folder and ledger each round, everything included: hashing,
  loading the model, reading and decoding, detection, georeferencing, crops, ledger, GeoJSON
  and HTML report.

It prints photos/s of both (median over the rounds, and the spread), their ratio (target:
scan >= 0.9 of the detector) and the median seconds of each scan stage.

Memory. Scans a flight of `--short` and one of `--long` photos (default 100 and 1,000: the
ten real 1280x960 photos over and over, each copy with its own position and time, so each
file is distinct), each in a fresh process, and prints the peak resident memory of each
(VmHWM) and their ratio (target: within 20%). These photos go to the model as one tile
each (`--memory-tile`, default 1280: the photo shrunk to imgsz), so that the 1,000-photo
flight takes a few minutes on two CPU cores.

Huge photos. Scans `--huge` mosaics of 12000x8400 (100 MP, 288 MiB each once decoded) in
tiles of `--tile` in a fresh process and prints the peak resident memory, also counted in
decoded photos: the scan holds the photo being detected and two read ahead.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python bench/pipeline.py               # both parts
    .venv/bin/python bench/pipeline.py --skip-memory --rounds 5
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import multiprocessing
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from dronecheck.detect.yolo import Detector

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "datasets" / "sample-flight"  # real 1280x960 UAV road photos (UAV-PDD2023 samples)
HUGE = (12000, 8400)  # a 100-megapixel photo
XMP_ID = b"http://ns.adobe.com/xap/1.0/"


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--weights", type=Path, default=ROOT / "weights" / "cracks-yolo11n.pt", help="YOLO weights")
    parser.add_argument("--photos", type=int, default=8,
                        help="throughput: photos in the flight (two batches or more: reading overlaps detection)")
    parser.add_argument("--width", type=int, default=5472, help="throughput: width of a built photo (pixels)")
    parser.add_argument("--height", type=int, default=3648, help="throughput: height of a built photo (pixels)")
    parser.add_argument("--tile", type=int, default=640, help="throughput: the profile's tile size (photo pixels)")
    parser.add_argument("--imgsz", type=int, default=640, help="the profile's model input size")
    parser.add_argument("--overlap", type=float, default=0.2, help="the profile's tile overlap")
    parser.add_argument("--conf", type=float, default=0.25, help="confidence threshold")
    parser.add_argument("--iou", type=float, default=0.5, help="NMS IoU threshold")
    parser.add_argument("--batch", type=int, default=4, help="photos per detect call and tiles per model call")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (DRONECHECK_THREADS) for all runs")
    parser.add_argument("--rounds", type=int, default=3, help="throughput: timed rounds of each")
    parser.add_argument("--short", type=int, default=100, help="memory: photos in the short flight")
    parser.add_argument("--long", type=int, default=1000, help="memory: photos in the long flight")
    parser.add_argument("--memory-tile", type=int, default=1280, help="memory: the profile's tile size")
    parser.add_argument("--huge", type=int, default=3, help="memory: photos of 12000x8400 (100 MP) in the huge flight")
    parser.add_argument("--skip-throughput", action="store_true", help="only the memory parts")
    parser.add_argument("--skip-memory", action="store_true", help="only the throughput part")
    parser.add_argument("--skip-huge", action="store_true", help="no 100 MP flight")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "dronecheck-bench",
                        help="folder for the built flights (kept and reused)")
    return parser.parse_args()


@functools.cache
def make_flight_module() -> ModuleType:
    """datasets/sample-flight/make_flight.py: how the demo flight's EXIF and XMP are written."""
    spec = importlib.util.spec_from_file_location("make_flight", SOURCE / "make_flight.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_photo(jpeg: bytes, path: Path, index: int, size: tuple[int, int]) -> None:
    """`jpeg` with the metadata of photo `index` of a straight flight (own position and time) as `path`."""
    import piexif

    mf = make_flight_module()
    lat, lon = mf.offset(*mf.START, index * mf.STEP_M, mf.HEADING_DEG)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(jpeg)
    piexif.insert(mf.exif_bytes(lat, lon, mf.START_TIME + timedelta(seconds=2 * index), *size), str(tmp))
    if XMP_ID not in jpeg:  # the demo flight's photos carry their XMP already
        xmp = mf.XMP.format(abs=mf.GROUND_ELLIPSOID_M + mf.REL_ALT_M, rel=mf.REL_ALT_M, yaw=mf.HEADING_DEG)
        tmp.write_bytes(mf.with_xmp(tmp.read_bytes(), xmp))
    tmp.replace(path)


def sources() -> list[Path]:
    found = sorted(SOURCE.glob("*.JPG"))
    if not found:
        raise SystemExit(f"no source photos in {SOURCE}")
    return found


def mosaic(k: int, width: int, height: int) -> bytes:
    """A JPEG of real photos side by side, a different mix for each `k`."""
    import io

    from PIL import Image

    photos = sources()
    canvas = Image.new("RGB", (width, height))
    tile_w, tile_h = Image.open(photos[0]).size
    for i, (y, x) in enumerate((y, x) for y in range(0, height, tile_h) for x in range(0, width, tile_w)):
        canvas.paste(Image.open(photos[(7 * k + i) % len(photos)]).convert("RGB"), (x, y))
    out = io.BytesIO()
    canvas.save(out, format="JPEG", quality=92)
    return out.getvalue()


def large_flight(n: int, width: int, height: int, cache: Path) -> Path:
    """A folder of `n` mosaics of `width` x `height` with flight metadata (built once, then reused)."""
    folder = cache / f"flight-{n}x{width}x{height}"
    folder.mkdir(parents=True, exist_ok=True)
    for k in range(n):
        path = folder / f"DJI_{k + 1:04d}.JPG"
        if not path.exists():
            write_photo(mosaic(k, width, height), path, k, (width, height))
    return folder


def repeated_flight(n: int, cache: Path) -> Path:
    """A folder of `n` photos: the real photos in turn, not re-encoded, each with its own metadata."""
    folder = cache / f"flight-{n}-real"
    folder.mkdir(parents=True, exist_ok=True)
    photos = sources()
    for k in range(n):
        path = folder / f"DJI_{k + 1:04d}.JPG"
        if not path.exists():
            write_photo(photos[k % len(photos)].read_bytes(), path, k, (1280, 960))
    return folder


def write_profile(args: argparse.Namespace, tile: int, folder: Path) -> Path:
    path = folder / f"bench-tile{tile}.toml"
    path.write_text(f'name = "bench-tile{tile}"\ndescription = "bench/pipeline.py"\n'
                    f'weights = "{args.weights.resolve()}"\nclasses = ["crack"]\nconf = {args.conf}\n'
                    f'iou = {args.iou}\nimgsz = {args.imgsz}\ntile_size = {tile}\ntile_overlap = {args.overlap}\n')
    return path


def scan_flight(folder: Path, profile_path: Path, batch: int) -> tuple[float, dict[str, float], int]:
    """Seconds for a scan of `folder` into a fresh output folder, its stage timings, photos scanned."""
    from dronecheck.pipeline.scan import scan
    from dronecheck.profiles import load_profile
    from dronecheck.run import ScanOptions

    out = Path(tempfile.mkdtemp(prefix="dronecheck-bench-out-"))
    try:
        start = time.perf_counter()
        run = scan(ScanOptions(folder, load_profile(str(profile_path)), out=out, device="cpu", batch=batch))
        seconds = time.perf_counter() - start
    finally:
        shutil.rmtree(out, ignore_errors=True)
    if run.skipped or not run.frames:
        raise SystemExit(f"scan of {folder} skipped {len(run.skipped)} photo(s), scanned {len(run.frames)}")
    return seconds, dict(run.timings), len(run.frames)


def detect_all(detector: Detector, images: list[np.ndarray], batch: int) -> None:
    """Detection alone on decoded photos, `batch` photos a call as the scan takes them."""
    for start in range(0, len(images), batch):
        detector.detect(images[start:start + batch], batch)


def throughput(args: argparse.Namespace) -> None:
    import torch
    from PIL import Image

    from dronecheck.detect import yolo

    folder = large_flight(args.photos, args.width, args.height, args.cache)
    profile_path = write_profile(args, args.tile, args.cache)
    paths = sorted(folder.glob("*.JPG"))
    images = [np.asarray(Image.open(p).convert("RGB")) for p in paths]
    detector = yolo.load(args.weights, device="cpu", conf=args.conf, iou=args.iou, imgsz=args.imgsz,
                         tile_size=args.tile, tile_overlap=args.overlap)
    warm = args.cache / "flight-warm-up"  # the first scan in a process pays for imports and caches
    warm.mkdir(exist_ok=True)
    shutil.copyfile(paths[0], warm / paths[0].name)
    scan_flight(warm, profile_path, args.batch)
    detect_all(detector, images[:1], args.batch)
    if torch.get_num_threads() != args.threads:
        raise SystemExit(f"torch runs {torch.get_num_threads()} threads, not {args.threads}")
    load_before = os.getloadavg()
    speeds, stages = timed_rounds(args.rounds, len(images), lambda: detect_all(detector, images, args.batch),
                                  lambda: scan_flight(folder, profile_path, args.batch))
    h, w = images[0].shape[:2]
    print(f"throughput: {len(images)} photos of {w}x{h} ({w * h / 1e6:.1f} MP), tile {args.tile}, imgsz {args.imgsz}, "
          f"overlap {args.overlap}, conf {args.conf}, iou {args.iou}, batch {args.batch}, threads {args.threads}, "
          f"{args.rounds} rounds; load average before {_load(load_before)}, after {_load(os.getloadavg())}")
    for name, values in speeds.items():
        print(f"{name:>10}: {statistics.median(values):.3f} photos/s (median; rounds: "
              f"{', '.join(f'{v:.3f}' for v in values)})")
    ratio = statistics.median(speeds["scan"]) / statistics.median(speeds["detector"])
    print(f"     ratio: scan / detector = {ratio:.2f}")
    print("scan stages, median seconds: " + ", ".join(f"{k} {statistics.median(t[k] for t in stages):.2f}"
                                                     for k in stages[0]))


def timed_rounds(rounds: int, photos: int, detect: Callable[[], None],
                 scan: Callable[[], tuple[float, dict[str, float], int]]
                 ) -> tuple[dict[str, list[float]], list[dict[str, float]]]:
    """Photos/s of the detector and of the scan in each round (which goes first alternates, so that
    load from other processes hits both alike), and the stage timings of each scan."""
    speeds: dict[str, list[float]] = {"detector": [], "scan": []}
    stages = []
    for r in range(rounds):
        for name in (["detector", "scan"] if r % 2 == 0 else ["scan", "detector"]):
            if name == "detector":
                start = time.perf_counter()
                detect()
                speeds[name].append(photos / (time.perf_counter() - start))
            else:
                seconds, timings, scanned = scan()
                speeds[name].append(scanned / seconds)
                stages.append(timings)
    return speeds, stages


def _load(values: tuple[float, ...]) -> str:
    return "/".join(f"{v:.2f}" for v in values)


def child_scan(folder: Path, profile_path: Path, batch: int, conn: Connection) -> None:
    """In a fresh process: scan, then send back seconds, photos and peak RSS (MiB)."""
    from dronecheck.detect import runtime

    runtime.prepare()
    seconds, _, n = scan_flight(folder, profile_path, batch)
    conn.send((seconds, n, peak_rss_mib()))
    conn.close()


def peak_rss_mib() -> float:
    """This process's peak resident memory: VmHWM (Linux), the high-water mark of this address space.

    Not getrusage's ru_maxrss: Linux carries that over from before exec, so a child started
    from this (large) process would report the parent's size when its own is smaller.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # kB
    raise SystemExit("no VmHWM in /proc/self/status: the memory part needs Linux")


def scan_in_child(folder: Path, profile_path: Path, batch: int) -> tuple[float, int, float]:
    """Seconds, photos scanned and peak RSS (MiB) of a scan of `folder` in a fresh interpreter."""
    context = multiprocessing.get_context("spawn")  # nothing inherited from this process
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=child_scan, args=(folder, profile_path, batch, send))
    child.start()
    result = receive.recv()
    child.join()
    return result


def peak_memory(args: argparse.Namespace) -> None:
    profile_path = write_profile(args, args.memory_tile, args.cache)
    peaks = {}
    load_before = os.getloadavg()
    for n in (args.short, args.long):
        seconds, scanned, peaks[n] = scan_in_child(repeated_flight(n, args.cache), profile_path, args.batch)
        print(f"memory: {scanned} photos of 1280x960, tile {args.memory_tile}, imgsz {args.imgsz}: "
              f"peak RSS {peaks[n]:.0f} MiB, scan {seconds:.0f} s ({scanned / seconds:.2f} photos/s)")
    print(f"memory: peak RSS {args.long} / {args.short} photos = {peaks[args.long] / peaks[args.short]:.2f}; "
          f"load average before {_load(load_before)}, after {_load(os.getloadavg())}")


def huge_memory(args: argparse.Namespace) -> None:
    """Peak RSS of a scan of 100-megapixel photos in tiles, against the size of one decoded photo."""
    width, height = HUGE
    seconds, scanned, peak = scan_in_child(large_flight(args.huge, width, height, args.cache),
                                           write_profile(args, args.tile, args.cache), args.batch)
    decoded = width * height * 3 / 2**20
    print(f"memory: {scanned} photos of {width}x{height} ({width * height / 1e6:.0f} MP, {decoded:.0f} MiB decoded "
          f"each), tile {args.tile}: peak RSS {peak:.0f} MiB = {peak / decoded:.1f} decoded photos, scan "
          f"{seconds:.0f} s")


def main() -> None:
    args = arguments()
    os.environ["DRONECHECK_THREADS"] = str(args.threads)  # read by runtime.prepare(), here and in child processes
    from dronecheck.detect import runtime

    runtime.prepare()
    if not args.skip_throughput:
        throughput(args)
    if not args.skip_memory:
        peak_memory(args)
    if not args.skip_huge:
        huge_memory(args)


if __name__ == "__main__":
    main()
