"""Benchmark: memory of an orthomosaic read window by window, a small mosaic against a large one.

Builds two RGB GeoTIFFs (EPSG:28992, 7.6 mm a pixel, tiled 512 x 512, uncompressed) from a real
drone photo repeated, written strip by strip so that building them stays in flat memory too: a
small one (--small pixels a side) and a large one (--large; 20000 is 1.2 GB). Then, each in a
fresh process, reads every window of it as a scan would (the profile's window plan, through the
read-ahead thread) and prints the peak RSS, its growth over the process before reading, the
windows and the seconds per window. With --scan it also runs `dronecheck scan` on each mosaic
(the model on every window; minutes on a CPU for the large one) and prints that process's peak RSS.

    .venv/bin/python bench/ortho.py --small 4000 --large 20000
    .venv/bin/python bench/ortho.py --small 4000 --large 20000 --scan --profile cracks
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PHOTO = ROOT / "datasets" / "sample-flight" / "DJI_20260615101204_0001.JPG"  # real 1280x960 UAV road photo
GSD_M = 0.0076


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--small", type=int, default=4000, help="side of the small mosaic (pixels)")
    parser.add_argument("--large", type=int, default=20000, help="side of the large mosaic (pixels)")
    parser.add_argument("--profile", default="cracks", help="profile whose window plan is read")
    parser.add_argument("--scan", action="store_true", help="also run `dronecheck scan` on each mosaic")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # the child: read one mosaic, print JSON
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)  # the child with --scan: where the run goes
    return parser.parse_args()


def build(path: Path, side: int) -> None:
    """An RGB GeoTIFF of `side` x `side` pixels: the photo repeated, written one strip of photo rows at a time."""
    import rasterio
    from PIL import Image
    from rasterio.transform import from_origin
    from rasterio.windows import Window

    from dronecheck.ingest.ortho import CACHE_MB

    photo = np.moveaxis(np.asarray(Image.open(PHOTO).convert("RGB")), -1, 0)  # (3, 960, 1280)
    _, ph, pw = photo.shape
    profile = {"driver": "GTiff", "width": side, "height": side, "count": 3, "dtype": "uint8", "crs": "EPSG:28992",
               "transform": from_origin(155000.0, 463000.0, GSD_M, GSD_M), "tiled": True, "blockxsize": 512,
               "blockysize": 512, "photometric": "RGB", "BIGTIFF": "IF_SAFER"}
    with rasterio.Env(GDAL_CACHEMAX=CACHE_MB), rasterio.open(path, "w", **profile) as ds:
        for row in range(0, side, ph):
            height = min(ph, side - row)
            strip = np.tile(photo[:, :height], (1, 1, -(-side // pw)))[:, :, :side]
            ds.write(strip, window=Window(0, row, side, height))


def peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM). Not getrusage's ru_maxrss: Linux carries that over an exec from the
    process that forked, so a child would report its parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # not Linux: kilobytes on most systems


def measure(path: Path, profile_name: str) -> dict[str, float]:
    """Read every window of the mosaic as the scan does; peak RSS before and after, and the time a window."""
    from functools import partial

    from dronecheck.hashing import file_sha256
    from dronecheck.ingest.ahead import mosaic_frames, prefetched
    from dronecheck.pipeline.mosaic import plan_windows
    from dronecheck.profiles import load_profile

    profile = load_profile(profile_name)
    sha = file_sha256(path)
    before = peak_rss_mb()
    t0 = time.perf_counter()
    windows = pixels = 0
    for item in prefetched(mosaic_frames(path, sha, partial(plan_windows, profile)), 2):
        if item.pixels is not None:
            windows += 1
            pixels += item.pixels.size // 3
        elif item.failed:
            raise SystemExit(item.failed)
    seconds = time.perf_counter() - t0
    return {"rss_before_mb": before, "peak_rss_mb": peak_rss_mb(), "windows": windows,
            "s_per_window": seconds / max(1, windows), "megapixels_handed_on": pixels / 1e6}


def scan(path: Path, profile: str, out: Path) -> dict[str, float]:
    """`dronecheck scan` on the mosaic, in this process: peak RSS, seconds, windows scanned."""
    from typer.testing import CliRunner

    from dronecheck.cli import app

    before = peak_rss_mb()
    t0 = time.perf_counter()
    result = CliRunner().invoke(app, ["scan", str(path), "--out", str(out), "--profile", profile])
    if result.exit_code != 0:
        raise SystemExit(f"scan exited {result.exit_code}: {result.output}")
    seconds = time.perf_counter() - t0
    [record] = out.glob("*/*/run.json")
    windows = json.loads(record.read_text())["counts"]["mosaic_windows_scanned"]
    return {"scan_rss_before_mb": before, "scan_peak_rss_mb": peak_rss_mb(), "scan_s": seconds,
            "scan_s_per_window": seconds / max(1, windows)}


def child(*args: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, *args], check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    args = arguments()
    if args.measure:
        found = scan(args.measure, args.profile, args.out) if args.scan else measure(args.measure, args.profile)
        print(json.dumps(found))
        return
    with tempfile.TemporaryDirectory() as tmp:
        for name, side in (("small", args.small), ("large", args.large)):
            path = Path(tmp) / name / f"{name}.tif"
            path.parent.mkdir()
            t0 = time.perf_counter()
            build(path, side)
            built = time.perf_counter() - t0
            row = {"mosaic": name, "side_px": side, "file_mb": round(path.stat().st_size / 2**20),
                   "build_s": round(built, 1), "builder_peak_rss_mb": peak_rss_mb(),
                   **child("--measure", str(path), "--profile", args.profile)}
            if args.scan:
                row.update(child("--measure", str(path), "--profile", args.profile, "--scan", "--out",
                                 str(Path(tmp) / name / "out")))
            print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()}), flush=True)


if __name__ == "__main__":
    main()
