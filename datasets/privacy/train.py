"""Train the privacy model (weights/privacy-yolo11n.pt) and write its card.

Run from the repository root, after build.py:
    python datasets/privacy/train.py [--epochs 40] [--imgsz 640]     # train, then the card
    python datasets/privacy/train.py --card-only                      # (re)score and write the card

The start is ../shared/models/yolo11n-coco.pt with its 80-class head cut down to the five privacy
classes: the classifier rows of COCO person, car, truck, bus and bicycle (for cyclist) are kept, so
every class starts with what COCO knows of it and nothing is initialised at random. The backbone
(first FREEZE layers) stays frozen. It learns people from above from the drone frames' hand-boxed
people (build.py); the privacy detector also runs the unchanged COCO model, for people seen from the
side and cyclists (see datasets/privacy/SOURCE.md).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
COCO = ROOT.parent / "shared" / "models" / "yolo11n-coco.pt"
WEIGHTS = ROOT / "weights" / "privacy-yolo11n.pt"
COCO_ROWS = [0, 2, 7, 5, 1]  # COCO person, car, truck, bus, bicycle -> person, car, truck, bus, cyclist
NAMES = ["person", "car", "truck", "bus", "cyclist"]
FREEZE = 10


def make_start(coco: Path, out: Path) -> Path:
    """The COCO checkpoint with its classifier cut to COCO_ROWS (as the five privacy classes)."""
    import torch

    ckpt = torch.load(coco, map_location="cpu", weights_only=False)
    model = ckpt["model"]
    head = model.model[-1]
    rows = torch.tensor(COCO_ROWS)
    for branch in head.cv3:
        conv = branch[-1]
        cut = torch.nn.Conv2d(conv.in_channels, len(rows), 1).to(conv.weight.dtype)
        cut.weight.data = conv.weight.data[rows].clone()
        cut.bias.data = conv.bias.data[rows].clone()
        branch[-1] = cut
    head.nc, head.no = len(rows), len(rows) + head.reg_max * 4
    model.nc = len(rows)
    model.yaml["nc"] = len(rows)
    model.names = dict(enumerate(NAMES))
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"model": model, "train_args": ckpt.get("train_args", {}), "date": ckpt.get("date"),
                "version": ckpt.get("version")}, out)
    return out


def resume(epochs: int, data: Path, imgsz: int, batch: int) -> None:
    """Go on with the stopped run in weights/runs/privacy-yolo11n, with `epochs` in all (the learning rate
    still decays to its end and mosaic still closes for the last epochs), then copy best.pt and write the card."""
    import shutil
    import time

    import torch
    from ultralytics import YOLO

    from dronecheck.hashing import file_sha256
    from dronecheck.models import privacy_card

    last = ROOT / "weights" / "runs" / WEIGHTS.stem / "weights" / "last.pt"
    ckpt = torch.load(last, map_location="cpu", weights_only=False)
    done = ckpt["epoch"] + 1
    ckpt["train_args"].update(epochs=epochs, close_mosaic=min(5, epochs - done))
    torch.save(ckpt, last)
    t0 = time.perf_counter()
    YOLO(str(last)).train(resume=True)
    seconds = time.perf_counter() - t0
    shutil.copyfile(last.parent / "best.pt", WEIGHTS)
    start = ROOT / "weights" / "runs" / "privacy-start.pt"
    log = ROOT / "weights" / "runs" / WEIGHTS.stem / "results.csv"
    rows = [line.split(",") for line in log.read_text().splitlines()[1:]]
    # Ultralytics' own train time, which starts again at the resume: the last epoch before it, plus the last
    total = float(rows[done - 1][1]) + float(rows[-1][1])
    training = {"epochs": epochs, "imgsz": imgsz, "batch": batch, "device": "cpu", "freeze": FREEZE,
                "seconds": round(total), "resumed_after_epoch": done, "seconds_after_resume": round(seconds),
                "start": str(start.relative_to(ROOT)), "start_from": str(COCO.name),
                "start_sha256": file_sha256(COCO)}
    privacy_card.write_card(WEIGHTS, data, COCO, training)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--imgsz", type=int, default=640)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--card-only", action="store_true")
    parser.add_argument("--resume", type=int, metavar="EPOCHS",
                        help="go on with a stopped run, its schedule shortened to EPOCHS in all")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    from dronecheck.detect import runtime

    runtime.prepare()
    data = HERE / "data.yaml"
    if args.resume:
        resume(args.resume, data, args.imgsz, args.batch)
    elif not args.card_only:
        from dronecheck.models.train import train

        start = make_start(COCO, ROOT / "weights" / "runs" / "privacy-start.pt")
        result = train(data, WEIGHTS, epochs=args.epochs, imgsz=args.imgsz, batch=args.batch, start=start,
                       device="cpu", freeze=FREEZE)
        print(f"trained {result.epochs} epochs in {result.seconds:.0f} s -> {result.weights}", flush=True)
        from dronecheck.hashing import file_sha256
        from dronecheck.models import privacy_card

        privacy_card.write_card(WEIGHTS, data, COCO, {
            "epochs": result.epochs, "imgsz": result.imgsz, "batch": args.batch, "device": result.device,
            "freeze": FREEZE, "seconds": round(result.seconds), "start_from": COCO.name,
            "start_sha256": file_sha256(COCO)})
    else:
        from dronecheck.models import privacy_card

        privacy_card.write_card(WEIGHTS, data, COCO)


if __name__ == "__main__":
    main()
