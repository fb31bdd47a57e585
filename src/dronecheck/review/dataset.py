"""`dronecheck dataset`: the reviewed findings of runs as an Ultralytics (YOLO) data set, to fine-tune the model on
the authority's own verdicts (`dronecheck train --from WEIGHTS --data OUT/data.yaml`).

What goes in, per photo (a photo is known by its bytes: each once, however many runs saw it):

* Only photos whose findings were all reviewed. A photo with an unreviewed finding is left out whole: its
  unreviewed boxes would otherwise be positives without a label, which teaches the model they are background.
  Photos without findings are left out too: nobody looked at them.
* Confirmed boxes are labels as the model found them; corrected ones with the reviewer's class and box.
* Rejected boxes are hard negatives: their pixels are in the data set with no label on them.
* Images are re-encoded from the photo's pixels as stored (no EXIF: no orientation flag, no GPS), at full
  resolution. A photo up to twice the model's input side (its tile size, else its image size) goes in whole. A
  larger one goes in as tiles of that side (as the scan tiles it): one centred on each labelled box, with every
  labelled box that lies mostly inside it, and one centred on each rejected box (a background tile, usually with an
  empty label file).
* Split by flight: a flight's images are all in train or all in val, never on both sides (val gets about
  `val_fraction` of the flights, at least one, chosen by the hash of their names, so the same runs give the same
  split). With a single flight there is nothing to split by: every image is in train and val names train too,
  which SOURCE.md says (its scores are not honest).
* Video frames and orthomosaic windows are left out (their pixels are not a file to copy), and so are photos that
  are gone or whose bytes changed since the scan.

What it does not know: objects the model missed (no finding, so no verdict) stay unlabelled in the photos it keeps.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import yaml

from dronecheck.errors import ConfigError, DronecheckError
from dronecheck.hashing import file_sha256
from dronecheck.ledger import Ledger, RunRow
from dronecheck.report.files import make_dirs, text_bytes, write_atomic
from dronecheck.types import Finding, ModelInfo, Verdict

Box = tuple[float, float, float, float]
INSIDE = 0.5  # a labelled box goes into a tile when at least this share of it lies inside
JPEG_QUALITY = 95


@dataclass
class Photo:
    """One photo of the data set: its file, its flight, and its reviewed boxes (labels and hard negatives)."""

    path: Path
    sha256: str
    flight: str
    width: int
    height: int
    labels: list[tuple[int, Box]] = field(default_factory=list)  # class id, box in pixels
    negatives: list[Box] = field(default_factory=list)


@dataclass
class DatasetResult:
    target: Path
    images: dict[str, int]  # split -> images written
    labels: dict[str, int]  # split -> boxes labelled
    negatives: int  # rejected boxes kept as unlabelled pixels
    flights: dict[str, list[str]]  # split -> flights
    left_out: Counter[str]  # why photos were left out -> how many


def choose_runs(ledger: Ledger, run_ids: Sequence[str], every: bool) -> list[RunRow]:
    """The runs asked for (`every`: all that scanned something), newest first; ConfigError for an unknown one."""
    if every:
        return [r for r in ledger.runs() if r.details.get("model")]
    rows = []
    for run_id in dict.fromkeys(run_ids):
        row = ledger.run(run_id)
        if row is None:
            raise ConfigError(f"no run {run_id!r} in {ledger.path} (see `dronecheck runs`)")
        rows.append(row)
    if not rows:
        raise ConfigError("give the runs: --runs RUN (repeated, or comma-separated) or --all")
    return sorted(rows, key=lambda r: r.started, reverse=True)


def _model(rows: Sequence[RunRow]) -> tuple[str, ...]:
    """The class names the runs' model(s) share; ConfigError when they differ (one data set, one set of classes)."""
    names = {tuple(ModelInfo.from_dict(r.details["model"]).class_names) for r in rows if r.details.get("model")}
    if len(names) != 1:
        raise ConfigError("the runs' models have different classes " + "; ".join(map(str, sorted(names)))
                          if names else "the runs scanned nothing: no model, no classes")
    return names.pop()


def collect(ledger: Ledger, rows: Sequence[RunRow], classes: Sequence[str]
            ) -> tuple[list[Photo], Counter[str], dict[str, Verdict]]:
    """The photos that go in, why the others were left out, and the verdicts used."""
    left: Counter[str] = Counter()
    by_photo: dict[str, tuple[RunRow, list[Finding]]] = {}
    for row in rows:  # newest first: a photo seen by several runs takes the newest's findings and flight
        _, findings, _, _ = ledger.run_contents(row.run_id)
        grouped: dict[str, list[Finding]] = defaultdict(list)
        for f in findings:
            grouped[f.frame.sha256 if f.frame.frame_index is None and f.frame.grid is None else ""].append(f)
        other = len({(f.frame.sha256, f.frame.frame_index) for f in grouped.pop("", [])})
        if other:
            left["video frame or orthomosaic window"] += other
        for sha, group in grouped.items():
            by_photo.setdefault(sha, (row, group))
    verdicts = ledger.verdicts(f.id for _, group in by_photo.values() for f in group)
    photos = []
    used: dict[str, Verdict] = {}
    for sha, (row, group) in by_photo.items():
        if any(f.id not in verdicts for f in group):
            left["a finding not reviewed"] += 1
            continue
        frame = group[0].frame
        if not frame.path.is_file():
            left["photo gone"] += 1
            continue
        if file_sha256(frame.path) != sha:
            left["photo changed since the scan"] += 1
            continue
        photo = Photo(frame.path, sha, row.flight, frame.camera.width, frame.camera.height)
        for f in group:
            v = verdicts[f.id]
            used[f.id] = v
            if v.verdict == "rejected":
                photo.negatives.append(f.box_px)
                continue
            name = v.corrected_class or f.class_name
            if name not in classes:
                left["a class the model does not have"] += 1
                continue
            box = _clip(v.corrected_box_px or f.box_px, photo.width, photo.height)
            if box:
                photo.labels.append((classes.index(name), box))
        photos.append(photo)
    return photos, left, used


def _clip(box: Box, width: int, height: int) -> Box | None:
    x0, y0, x1, y1 = max(0.0, box[0]), max(0.0, box[1]), min(float(width), box[2]), min(float(height), box[3])
    return (x0, y0, x1, y1) if x1 - x0 >= 1 and y1 - y0 >= 1 else None


def split_flights(flights: Iterable[str], val_fraction: float) -> dict[str, str]:
    """Flight -> "train" or "val": about `val_fraction` of the flights (at least one, where there are two or
    more) in val, chosen by the hash of their names.

    >>> split_flights(["a"], 0.2), sorted(split_flights(["a", "b", "c"], 0.2).values())
    ({'a': 'train'}, ['train', 'train', 'val'])
    """
    names = sorted(set(flights), key=lambda f: hashlib.sha256(f.encode("utf-8", "surrogateescape")).hexdigest())
    n_val = 0 if len(names) < 2 else min(len(names) - 1, max(1, round(val_fraction * len(names))))
    return {f: "val" if i < n_val else "train" for i, f in enumerate(names)}


def _windows(photo: Photo, side: int | None) -> list[tuple[tuple[int, int, int, int], list[tuple[int, Box]]]]:
    """(window in pixels, its labels in window pixels): the whole photo, or `side` tiles around its boxes."""
    if side is None:
        return [((0, 0, photo.width, photo.height), photo.labels)]
    centres = [b for _, b in photo.labels] + photo.negatives
    out = []
    seen = set()
    for box in centres:
        window = _window(box, side, photo.width, photo.height)
        if window in seen:
            continue
        seen.add(window)
        wx0, wy0, wx1, wy1 = window
        labels = []
        for cid, (x0, y0, x1, y1) in photo.labels:
            inside = _clip((x0 - wx0, y0 - wy0, x1 - wx0, y1 - wy0), wx1 - wx0, wy1 - wy0)
            if inside and _area(inside) >= INSIDE * _area((x0, y0, x1, y1)):
                labels.append((cid, inside))
        out.append((window, labels))
    return out


def _area(b: Box) -> float:
    return (b[2] - b[0]) * (b[3] - b[1])


def _window(box: Box, side: int, width: int, height: int) -> tuple[int, int, int, int]:
    """A `side` square centred on `box`, moved to lie inside the photo (smaller where the photo is)."""
    w, h = min(side, width), min(side, height)
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    x0 = int(min(max(0, round(cx - w / 2)), width - w))
    y0 = int(min(max(0, round(cy - h / 2)), height - h))
    return x0, y0, x0 + w, y0 + h


def _label_text(labels: Sequence[tuple[int, Box]], width: int, height: int) -> str:
    """YOLO labels: class x_centre y_centre width height, as fractions of the image."""
    return "".join(f"{cid} {(x0 + x1) / 2 / width:.6f} {(y0 + y1) / 2 / height:.6f} {(x1 - x0) / width:.6f} "
                   f"{(y1 - y0) / height:.6f}\n" for cid, (x0, y0, x1, y1) in labels)


def build_dataset(ledger: Ledger, target: Path, run_ids: Sequence[str] = (), every: bool = False,
                  val_fraction: float = 0.2, tile: int | None = None) -> DatasetResult:
    """Write the data set of the module's docstring into `target` (images/{train,val}, labels/{train,val},
    data.yaml, SOURCE.md). `tile`: cut tiles of this side around the boxes whatever the photo's size (default:
    as the docstring says). DronecheckError when nothing is reviewed enough to go in."""
    from PIL import Image

    if target.exists() and any(target.iterdir()):
        raise ConfigError(f"{target}: not empty; give a new folder for the data set")
    rows = choose_runs(ledger, run_ids, every)
    classes = _model(rows)
    model = ModelInfo.from_dict(rows[0].details["model"])
    side = model.tile_size or model.imgsz
    photos, left, used = collect(ledger, rows, classes)
    if not photos:
        why = ", ".join(f"{n} photo(s): {k}" for k, n in left.items()) or "the runs have no findings"
        raise DronecheckError(f"nothing to put in a data set: no photo with all its findings reviewed ({why})")
    split = split_flights((p.flight for p in photos), val_fraction)
    images: Counter[str] = Counter()
    labelled: Counter[str] = Counter()
    for part in ("train", "val"):
        make_dirs(target / "images" / part)
        make_dirs(target / "labels" / part)
    for photo in sorted(photos, key=lambda p: (p.flight, p.path.name)):
        part = split[photo.flight]
        cut = tile or (side if max(photo.width, photo.height) > 2 * side else None)
        with Image.open(photo.path) as image:
            pixels = image.convert("RGB")
        for n, (window, labels) in enumerate(_windows(photo, cut)):
            stem = photo.sha256[:16] if cut is None else f"{photo.sha256[:16]}-{n}"
            piece = pixels if cut is None else pixels.crop(window)
            piece.save(target / "images" / part / f"{stem}.jpg", quality=JPEG_QUALITY)
            write_atomic(target / "labels" / part / f"{stem}.txt",
                         _label_text(labels, window[2] - window[0], window[3] - window[1]).encode())
            images[part] += 1
            labelled[part] += len(labels)
    one_flight = "val" not in split.values()
    data = {"path": str(target.resolve()), "train": "images/train", "val": "images/train" if one_flight
            else "images/val", "names": dict(enumerate(classes))}
    write_atomic(target / "data.yaml", yaml.safe_dump(data, sort_keys=False, allow_unicode=True).encode())
    flights = {p: sorted(f for f, s in split.items() if s == p) for p in ("train", "val")}
    result = DatasetResult(target, dict(images), dict(labelled), sum(len(p.negatives) for p in photos), flights,
                           left)
    write_atomic(target / "SOURCE.md", text_bytes(_source(result, rows, used, classes, cut_note(tile, side))))
    return result


def cut_note(tile: int | None, side: int) -> str:
    if tile:
        return f"tiles of {tile} px around the reviewed boxes (--tile)"
    return f"whole photos up to {2 * side} px; larger ones as tiles of {side} px (the model's input) around the boxes"


def _source(result: DatasetResult, rows: Sequence[RunRow], used: dict[str, Verdict], classes: Sequence[str],
            how: str) -> str:
    by = Counter(v.reviewed_by for v in used.values())
    kinds = Counter(v.verdict for v in used.values())
    times = sorted(v.reviewed_at for v in used.values())
    lines = [
        "# Where this data set came from",
        "",
        f"Written by `dronecheck dataset` on {datetime.now(UTC).isoformat(timespec='seconds')} from the reviewers' "
        "verdicts in the ledger. Labels are the confirmed boxes and the corrected ones (the reviewer's class and "
        "box); rejected boxes are hard negatives (their pixels, no label); photos with a finding nobody reviewed "
        "are left out. Objects the model missed are not labelled.",
        "",
        f"- classes: {', '.join(classes)}",
        f"- images: {how}",
        f"- train: {result.images.get('train', 0)} images, {result.labels.get('train', 0)} boxes; flights "
        f"{', '.join(result.flights['train']) or '-'}",
        f"- val: {result.images.get('val', 0)} images, {result.labels.get('val', 0)} boxes; flights "
        f"{', '.join(result.flights['val']) or '-'}",
        f"- hard negatives (rejected boxes): {result.negatives}",
        f"- verdicts: {', '.join(f'{k} {n}' for k, n in sorted(kinds.items()))}",
        f"- reviewers: {', '.join(f'{k} ({n})' for k, n in sorted(by.items()))}",
        f"- reviewed: {times[0].isoformat(timespec='seconds')} to {times[-1].isoformat(timespec='seconds')}"
        if times else "- reviewed: -",
    ]
    if not result.flights["val"]:
        lines.append("- one flight only: val is train, so its scores say nothing of other flights")
    if result.left_out:
        lines.append("- photos left out: " + ", ".join(f"{k} {n}" for k, n in sorted(result.left_out.items())))
    lines += ["", "## Runs", "", "| run | flight | profile | model | model sha256 | started |",
              "|---|---|---|---|---|---|"]
    lines += [f"| {r.run_id} | {r.flight} | {r.profile} | {r.model} | {r.model_sha256[:16]} | {r.started} |"
              for r in rows]
    return "\n".join(lines) + "\n"
