"""The only module that touches Ultralytics and torch: load weights, run batches."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from dronecheck.detect import runtime
from dronecheck.detect.tiling import detect_tiled
from dronecheck.errors import ModelError
from dronecheck.types import Detections

DEVICES = ("auto", "cpu", "cuda", "mps")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def pick_device(requested: str | None) -> str:
    """`cuda` when there is one, else `mps`, else `cpu`; an explicit choice is checked."""
    import torch

    requested = (requested or "auto").lower()
    if requested == "auto":
        if torch.cuda.is_available():
            return "cuda"
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return "mps"
        return "cpu"
    if requested.startswith("cuda") and not torch.cuda.is_available():
        raise ModelError(f"--device {requested}: torch sees no CUDA GPU on this machine; use --device cpu")
    if requested == "mps" and not torch.backends.mps.is_available():
        raise ModelError("--device mps: Apple MPS is not available here; use --device cpu")
    if requested.split(":")[0] not in DEVICES:
        raise ModelError(f"--device {requested}: expected one of {', '.join(DEVICES)} (or cuda:N)")
    return requested


def detections_from_ultralytics(result: Any) -> Detections:
    """Adapt one Ultralytics `Results` object to our `Detections`."""
    boxes = result.boxes
    if boxes is None or len(boxes) == 0:
        return Detections.empty()
    return Detections(boxes.xyxy.cpu().numpy(), boxes.conf.cpu().numpy(), boxes.cls.cpu().numpy().astype(int))


@dataclass
class Detector:
    """A YOLO model ready to run on batches of RGB images."""

    weights: Path
    sha256: str
    device: str
    class_names: tuple[str, ...]
    conf: float
    iou: float
    imgsz: int
    model: Any
    tile_size: int = 0  # 0: each photo goes to the model whole, resized to imgsz
    tile_overlap: float = 0.2

    @property
    def name(self) -> str:
        return self.weights.name

    def detect(self, images: list[np.ndarray], batch: int) -> list[Detections]:
        """Detect in whole photos, tiled when the profile asks for tiles."""
        if not self.tile_size:
            return self.predict(images)
        return detect_tiled(images, self.predict, self.merge, size=self.tile_size, overlap=self.tile_overlap,
                            batch=batch)

    def merge(self, dets: Detections) -> Detections:
        """Class-wise NMS at the detector's IoU threshold: one box per object across tile borders."""
        import torch
        from torchvision.ops import batched_nms

        if len(dets) < 2:
            return dets
        keep = batched_nms(torch.from_numpy(dets.xyxy), torch.from_numpy(dets.confidence),
                           torch.from_numpy(dets.class_id), self.iou).numpy()
        return dets[np.sort(keep)]

    def predict(self, images: list[np.ndarray]) -> list[Detections]:
        """Detect in a batch of (H, W, 3) uint8 RGB images, one `Detections` each."""
        if not images:
            return []
        bgr = [np.ascontiguousarray(im[..., ::-1]) for im in images]  # Ultralytics takes arrays as BGR
        gpu = {"half": True} if self.device.startswith("cuda") else {}  # half precision on CUDA only
        results = self.model.predict(bgr, imgsz=self.imgsz, conf=self.conf, iou=self.iou, device=self.device,
                                     batch=len(bgr), verbose=False, **gpu)
        return [detections_from_ultralytics(r) for r in results]


def load(weights: Path, *, device: str | None = None, conf: float = 0.25, iou: float = 0.5,
         imgsz: int = 640, tile_size: int = 0, tile_overlap: float = 0.2) -> Detector:
    """Load YOLO weights offline. Raises ModelError with the file and the reason."""
    if not weights.is_file():
        raise ModelError(f"weights file not found: {weights}")
    runtime.prepare()
    from ultralytics import YOLO

    chosen = pick_device(device)
    try:
        model = YOLO(str(weights), task="detect")
    except Exception as exc:  # Ultralytics raises many kinds; all mean "cannot load this file"
        raise ModelError(f"cannot load weights {weights}: {exc}") from exc
    names = model.names
    class_names = tuple(names[i] for i in sorted(names)) if isinstance(names, dict) else tuple(names)
    return Detector(weights, sha256_file(weights), chosen, class_names, conf, iou, imgsz, model, tile_size,
                    tile_overlap)
