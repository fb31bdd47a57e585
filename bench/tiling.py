"""Benchmark: dronecheck's batched tiled detection against SAHI's sliced prediction.

Builds ~20 MP photos (mosaics of real drone photos), runs SAHI `get_sliced_prediction` and
dronecheck's `Detector.detect` on the same decoded photos with the same weights, tile size,
overlap, thresholds and torch thread count, and prints photos/s for both, the ratio, and
the fraction of SAHI's boxes that dronecheck also finds (same class, IoU >= 0.5).

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python bench/tiling.py --photos 4 --rounds 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "datasets" / "sample-flight"  # real 1280x960 UAV road photos (UAV-PDD2023 samples)


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--weights", type=Path, default=ROOT / "weights" / "cracks-yolov8n.pt", help="YOLO weights")
    parser.add_argument("--photos", type=int, default=4, help="how many large photos to build and run")
    parser.add_argument("--width", type=int, default=5472, help="width of a built photo (pixels)")
    parser.add_argument("--height", type=int, default=3648, help="height of a built photo (pixels)")
    parser.add_argument("--tile", type=int, default=640, help="tile size (photo pixels), the same for both")
    parser.add_argument("--imgsz", type=int, default=640, help="model input size, the same for both")
    parser.add_argument("--overlap", type=float, default=0.2, help="tile overlap ratio")
    parser.add_argument("--conf", type=float, default=0.25, help="confidence threshold")
    parser.add_argument("--iou", type=float, default=0.5, help="NMS IoU threshold (inside tiles and across them)")
    parser.add_argument("--batch", type=int, default=8, help="dronecheck: tiles per model call")
    parser.add_argument("--sahi-batch", type=int, default=1, help="SAHI: slices per model call (its default is 1)")
    parser.add_argument("--full-pass", action="store_true", help="also a whole-photo pass (SAHI: standard pred)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads for both")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds per method (the median is reported)")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "dronecheck-bench",
                        help="folder for the built photos")
    return parser.parse_args()


def source_photos() -> list[Path]:
    found = sorted(SOURCE.glob("*.JPG"))
    if not found:
        raise SystemExit(f"no source photos in {SOURCE}")
    return found


def build_photos(n: int, width: int, height: int, cache: Path) -> list[Path]:
    """Mosaics of real photos (each a different mix), written once as JPEG and reused."""
    from PIL import Image

    cache.mkdir(parents=True, exist_ok=True)
    sources = source_photos()
    paths = []
    for k in range(n):
        path = cache / f"mosaic-{k}-{width}x{height}.jpg"
        if not path.exists():
            canvas = Image.new("RGB", (width, height))
            tile_w, tile_h = Image.open(sources[0]).size
            for i, (y, x) in enumerate((y, x) for y in range(0, height, tile_h) for x in range(0, width, tile_w)):
                canvas.paste(Image.open(sources[(7 * k + i) % len(sources)]).convert("RGB"), (x, y))
            canvas.save(path, quality=92)
        paths.append(path)
    return paths


def timed(runners: dict[str, Callable[[], list[np.ndarray]]], photos: int,
          rounds: int) -> tuple[dict[str, float], dict[str, list[np.ndarray]]]:
    """Median photos/s of each runner over `rounds` rounds (interleaved, so that load on the machine
    hits both alike), and the boxes of each runner's last run."""
    speeds: dict[str, list[float]] = {name: [] for name in runners}
    boxes = {}
    for _ in range(rounds):
        for name, run in runners.items():
            start = time.perf_counter()
            boxes[name] = run()
            speeds[name].append(photos / (time.perf_counter() - start))
    print("photos/s per round: " + "; ".join(f"{n} {', '.join(f'{s:.3f}' for s in v)}" for n, v in speeds.items()))
    return {name: statistics.median(v) for name, v in speeds.items()}, boxes


def sahi_runner(args: argparse.Namespace, images: list[np.ndarray]) -> Callable[[], list[np.ndarray]]:
    from sahi import AutoDetectionModel
    from sahi.predict import get_sliced_prediction

    model = AutoDetectionModel.from_pretrained(model_type="ultralytics", model_path=str(args.weights),
                                               confidence_threshold=args.conf, device="cpu", image_size=args.imgsz)
    model.model.overrides["iou"] = args.iou  # SAHI passes no IoU; Ultralytics would use its 0.7

    def run() -> list[np.ndarray]:
        out = []
        for image in images:
            result = get_sliced_prediction(
                image, model, slice_height=args.tile, slice_width=args.tile, overlap_height_ratio=args.overlap,
                overlap_width_ratio=args.overlap, perform_standard_pred=args.full_pass, postprocess_type="GREEDYNMM",
                postprocess_match_metric="IOS", postprocess_match_threshold=0.5, postprocess_class_agnostic=False,
                verbose=0, batch_size=args.sahi_batch)
            out.append(np.array([[*p.bbox.to_xyxy(), p.category.id] for p in result.object_prediction_list],
                                dtype=np.float64).reshape(-1, 5))
        return out

    return run


def dronecheck_runner(args: argparse.Namespace, images: list[np.ndarray]) -> Callable[[], list[np.ndarray]]:
    from dronecheck.detect import yolo

    detector = yolo.load(args.weights, device="cpu", conf=args.conf, iou=args.iou, imgsz=args.imgsz,
                         tile_size=args.tile, tile_overlap=args.overlap, full_pass=args.full_pass)

    def run() -> list[np.ndarray]:
        return [np.column_stack([d.xyxy, d.class_id]) for d in detector.detect(images, args.batch)]

    return run


def found_fraction(reference: list[np.ndarray], ours: list[np.ndarray], cls: int,
                   inside: bool = False) -> tuple[int, int]:
    """(found, total): boxes of class `cls` in `reference` that `ours` has at IoU >= 0.5, same class;
    with `inside`, boxes lying at least 90% inside one of ours (a crack we joined from pieces)."""
    from dronecheck.detect.tiling import pairwise

    found = total = 0
    for ref, mine in zip(reference, ours, strict=True):
        a, b = ref[ref[:, 4] == cls, :4], mine[mine[:, 4] == cls, :4]
        total += len(a)
        if len(a) and len(b):
            inter, area = pairwise(np.concatenate([a, b]))
            inter = inter[: len(a), len(a):]
            union = area[: len(a), None] + area[None, len(a):] - inter
            hit = (inter / union >= 0.5) | (inside & (inter >= 0.9 * area[: len(a), None]))
            found += int(hit.any(axis=1).sum())
    return found, total


def main() -> None:
    args = arguments()
    os.environ["DRONECHECK_THREADS"] = str(args.threads)
    from dronecheck.detect import runtime

    runtime.prepare()
    import torch
    from PIL import Image

    paths = build_photos(args.photos, args.width, args.height, args.cache)
    images = [np.asarray(Image.open(p).convert("RGB")) for p in paths]
    runners = {"sahi": sahi_runner(args, images), "dronecheck": dronecheck_runner(args, images)}
    torch.set_num_threads(args.threads)
    for run in runners.values():  # warm-up: model fusing, first allocations
        run()
    if torch.get_num_threads() != args.threads:
        raise SystemExit(f"torch runs {torch.get_num_threads()} threads, not {args.threads}")
    speeds, boxes = timed(runners, len(images), args.rounds)
    report(args, images, speeds, boxes)


def report(args: argparse.Namespace, images: list[np.ndarray], speeds: dict[str, float],
           boxes: dict[str, list[np.ndarray]]) -> None:
    from dronecheck.detect import yolo

    names = yolo.load(args.weights, device="cpu").class_names
    h, w = images[0].shape[:2]
    print(f"{len(images)} photos of {w}x{h} ({w * h / 1e6:.1f} MP), tile {args.tile}, imgsz {args.imgsz}, "
          f"overlap {args.overlap}, conf {args.conf}, iou {args.iou}, threads {args.threads}, "
          f"full pass {args.full_pass}, batch ours {args.batch} / SAHI {args.sahi_batch}, {args.rounds} rounds")
    for name, speed in speeds.items():
        print(f"{name:>10}: {speed:.3f} photos/s, {sum(len(b) for b in boxes[name])} boxes")
    print(f"     ratio: {speeds['dronecheck'] / speeds['sahi']:.2f}x")
    for cls, label in enumerate(names):
        found, total = found_fraction(boxes["sahi"], boxes["dronecheck"], cls)
        back, ours = found_fraction(boxes["dronecheck"], boxes["sahi"], cls)
        covered, _ = found_fraction(boxes["sahi"], boxes["dronecheck"], cls, inside=True)
        if total or ours:
            print(f"{label:>10}: SAHI boxes found by dronecheck {found}/{total} = {found / max(total, 1):.1%} "
                  f"(IoU >= 0.5), {covered}/{total} = {covered / max(total, 1):.1%} (or 90% inside a joined box); "
                  f"dronecheck boxes found by SAHI {back}/{ours} = {back / max(ours, 1):.1%}")


if __name__ == "__main__":
    main()
