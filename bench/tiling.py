"""Benchmark: dronecheck's batched tiled detection against SAHI's sliced prediction.

Builds ~20 MP photos (mosaics of real drone photos), runs SAHI `get_sliced_prediction` and
dronecheck's `Detector.detect` on the same decoded photos with the same weights, tile size,
overlap, thresholds and torch thread count, and prints photos/s for both, the ratio, and
the fraction of SAHI's boxes that dronecheck also finds (same class, IoU >= 0.5).

Timing alternates between the two photo by photo (and which goes first, round by round),
so that load from other processes on the machine hits both alike; the median and the
spread of the seconds per photo are printed, with the load average before and after.

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
    parser.add_argument("--weights", type=Path, default=ROOT / "weights" / "cracks-yolo11n.pt", help="YOLO weights")
    parser.add_argument("--photos", type=int, default=4, help="how many large photos to build and run")
    parser.add_argument("--width", type=int, default=5472, help="width of a built photo (pixels)")
    parser.add_argument("--height", type=int, default=3648, help="height of a built photo (pixels)")
    parser.add_argument("--tile", type=int, default=640, help="tile size (photo pixels), the same for both")
    parser.add_argument("--imgsz", type=int, default=640, help="model input size, the same for both")
    parser.add_argument("--overlap", type=float, default=0.2, help="tile overlap ratio")
    parser.add_argument("--conf", type=float, default=0.25, help="confidence threshold")
    parser.add_argument("--iou", type=float, default=0.5, help="NMS IoU threshold (inside tiles and across them)")
    parser.add_argument("--batch", type=int, default=4, help="dronecheck: tiles per model call (its CPU default)")
    parser.add_argument("--sahi-batch", type=int, default=1, help="SAHI: slices per model call (its default is 1)")
    parser.add_argument("--full-pass", action="store_true", help="also a whole-photo pass (SAHI: standard pred)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads for both")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds over all photos per method")
    parser.add_argument("--misses", action="store_true", help="list each SAHI box dronecheck does not match")
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


Runner = Callable[[np.ndarray], np.ndarray]
"""Detect in one photo: boxes (x0, y0, x1, y1, class) in photo pixels."""


def timed(runners: dict[str, Runner], images: list[np.ndarray],
          rounds: int) -> tuple[dict[str, list[float]], dict[str, list[np.ndarray]]]:
    """Seconds per photo of each runner (photo by photo, alternating which runner goes first
    each round), and the boxes of each runner's last round."""
    seconds: dict[str, list[float]] = {name: [] for name in runners}
    boxes: dict[str, list[np.ndarray]] = {name: [np.empty((0, 5))] * len(images) for name in runners}
    for r in range(rounds):
        order = list(runners) if r % 2 == 0 else list(reversed(runners))
        for i, image in enumerate(images):
            for name in order:
                start = time.perf_counter()
                boxes[name][i] = runners[name](image)
                seconds[name].append(time.perf_counter() - start)
    return seconds, boxes


def sahi_runner(args: argparse.Namespace) -> Runner:
    from sahi import AutoDetectionModel
    from sahi.predict import get_sliced_prediction

    model = AutoDetectionModel.from_pretrained(model_type="ultralytics", model_path=str(args.weights),
                                               confidence_threshold=args.conf, device="cpu", image_size=args.imgsz)
    model.model.overrides["iou"] = args.iou  # SAHI passes no IoU; Ultralytics would use its 0.7

    def run(image: np.ndarray) -> np.ndarray:
        result = get_sliced_prediction(
            image, model, slice_height=args.tile, slice_width=args.tile, overlap_height_ratio=args.overlap,
            overlap_width_ratio=args.overlap, perform_standard_pred=args.full_pass, postprocess_type="GREEDYNMM",
            postprocess_match_metric="IOS", postprocess_match_threshold=0.5, postprocess_class_agnostic=False,
            verbose=0, batch_size=args.sahi_batch)
        return np.array([[*p.bbox.to_xyxy(), p.category.id] for p in result.object_prediction_list],
                        dtype=np.float64).reshape(-1, 5)

    return run


def dronecheck_runner(args: argparse.Namespace) -> Runner:
    from dronecheck.detect import yolo

    detector = yolo.load(args.weights, device="cpu", conf=args.conf, iou=args.iou, imgsz=args.imgsz,
                         tile_size=args.tile, tile_overlap=args.overlap, full_pass=args.full_pass)

    def run(image: np.ndarray) -> np.ndarray:
        (found,) = detector.detect([image], args.batch)
        return np.column_stack([found.xyxy, found.class_id])

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
    runners = {"sahi": sahi_runner(args), "dronecheck": dronecheck_runner(args)}
    torch.set_num_threads(args.threads)
    for run in runners.values():  # warm-up: model fusing, first allocations
        run(images[0])
    if torch.get_num_threads() != args.threads:
        raise SystemExit(f"torch runs {torch.get_num_threads()} threads, not {args.threads}")
    load_before = os.getloadavg()
    seconds, boxes = timed(runners, images, args.rounds)
    report(args, images, seconds, boxes, (load_before, os.getloadavg()))


def report(args: argparse.Namespace, images: list[np.ndarray], seconds: dict[str, list[float]],
           boxes: dict[str, list[np.ndarray]], load: tuple[tuple[float, ...], tuple[float, ...]]) -> None:
    from dronecheck.detect import yolo

    names = yolo.load(args.weights, device="cpu").class_names
    h, w = images[0].shape[:2]
    print(f"{len(images)} photos of {w}x{h} ({w * h / 1e6:.1f} MP), tile {args.tile}, imgsz {args.imgsz}, "
          f"overlap {args.overlap}, conf {args.conf}, iou {args.iou}, threads {args.threads}, "
          f"full pass {args.full_pass}, batch ours {args.batch} / SAHI {args.sahi_batch}, {args.rounds} rounds")
    print("load average (1, 5, 15 min) before " + ", ".join(f"{v:.2f}" for v in load[0]) +
          "; after " + ", ".join(f"{v:.2f}" for v in load[1]))
    speed = {name: 1 / statistics.median(s) for name, s in seconds.items()}
    best = {name: 1 / min(s) for name, s in seconds.items()}
    for name, s in seconds.items():
        print(f"{name:>10}: {speed[name]:.3f} photos/s (median of {len(s)} photos; best {best[name]:.3f}, "
              f"worst {1 / max(s):.3f}), {sum(len(b) for b in boxes[name])} boxes")
    print(f"     ratio: {speed['dronecheck'] / speed['sahi']:.2f}x (medians), "
          f"{best['dronecheck'] / best['sahi']:.2f}x (best photos)")
    for cls, label in enumerate(names):
        found, total = found_fraction(boxes["sahi"], boxes["dronecheck"], cls)
        back, ours = found_fraction(boxes["dronecheck"], boxes["sahi"], cls)
        covered, _ = found_fraction(boxes["sahi"], boxes["dronecheck"], cls, inside=True)
        if total or ours:
            print(f"{label:>10}: SAHI boxes found by dronecheck {found}/{total} = {found / max(total, 1):.1%} "
                  f"(IoU >= 0.5), {covered}/{total} = {covered / max(total, 1):.1%} (or 90% inside a joined box); "
                  f"dronecheck boxes found by SAHI {back}/{ours} = {back / max(ours, 1):.1%}")
    if args.misses:
        print_misses(boxes["sahi"], boxes["dronecheck"])


def print_misses(reference: list[np.ndarray], ours: list[np.ndarray]) -> None:
    """Each reference box without an IoU >= 0.5 match of its class in `ours`, with its best match
    and the reference boxes lying 90% inside that match (two or more: pieces we joined)."""
    from dronecheck.detect.tiling import pairwise

    for k, (ref, mine) in enumerate(zip(reference, ours, strict=True)):
        if not len(ref):
            continue
        inter, area = pairwise(np.concatenate([ref[:, :4], mine[:, :4]]))
        inter = inter[: len(ref), len(ref):] * (ref[:, None, 4] == mine[None, :, 4])
        iou = inter / (area[: len(ref), None] + area[None, len(ref):] - inter)
        for i in np.flatnonzero(~(iou >= 0.5).any(axis=1)):
            j = int(iou[i].argmax()) if len(mine) else None
            inside = [] if j is None else np.flatnonzero(inter[:, j] >= 0.9 * area[: len(ref)]).tolist()
            print(f"photo {k}: SAHI box {ref[i, :4].round().tolist()} best IoU "
                  f"{0 if j is None else iou[i, j]:.2f} with {None if j is None else mine[j, :4].round().tolist()}, "
                  f"which holds SAHI boxes {inside}")


if __name__ == "__main__":
    main()
