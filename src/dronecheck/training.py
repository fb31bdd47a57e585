"""`dronecheck train`: train for a profile, then write the weights' model card."""

from __future__ import annotations

from pathlib import Path

import yaml

from dronecheck import __version__, card
from dronecheck.detect import yolo
from dronecheck.errors import ProfileError
from dronecheck.evaluate import evaluate
from dronecheck.hashing import file_sha256
from dronecheck.profile import load_profile
from dronecheck.train import TrainResult, train


def train_profile(profile_name: str, data: Path, *, epochs: int, imgsz: int, batch: int, start: Path | None,
                  device: str | None, out: Path | None) -> TrainResult:
    profile = load_profile(profile_name, require_weights=False)
    names = yaml.safe_load(data.read_text()).get("names", {})
    classes = [names[k] for k in sorted(names)] if isinstance(names, dict) else list(names)
    if classes != list(profile.classes):
        raise ProfileError(f"{data} has classes {classes} but profile {profile.name} expects {list(profile.classes)}")
    target = out or Path("weights") / profile.weights.name
    chosen = yolo.pick_device(device)
    result = train(data, target, epochs=epochs, imgsz=imgsz, batch=batch, start=start, device=chosen)
    training = {"epochs": epochs, "imgsz": imgsz, "batch": batch, "device": chosen,
                "seconds": round(result.seconds), "start": result.start}
    card.write(target, card.new_card(name=target.stem, purpose=profile.description, classes=classes, data=data,
                                     training=training, sha256=file_sha256(target), version=__version__))
    card.set_scores(target, evaluate(target, data, split="val", imgsz=imgsz, device=chosen), "val")
    return result
