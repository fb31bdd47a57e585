"""The only module that touches Ultralytics and torch: load weights, run batches."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from dronecheck.detect import runtime
from dronecheck.detect.tiling import detect_tiled
from dronecheck.errors import ModelError
from dronecheck.hashing import file_sha256
from dronecheck.types import Detections

DEVICES = ("auto", "cpu", "cuda", "mps")
MAX_DET = 300  # boxes per tile, as Ultralytics' predict keeps
PAD = 114  # the grey Ultralytics pads its letterbox with
STRIDE = 32  # the largest stride of a YOLO detector: input sides are multiples of it
CPU_BATCH = 4  # on 2 cores, 4 stacked 640 px tiles ran fastest per tile of the 1, 4 and 8 measured
GPU_BYTES_PER_PX = 64  # measured ~50 B per input pixel of YOLOv8n inference (float32, CPU), plus a margin
GPU_MAX_BATCH = 128


def auto_batch(device: str, tile_px: int, *, fraction: float = 0.5) -> int:
    """Tiles per model call for `--batch auto`: what fits in `fraction` of free GPU memory, else CPU_BATCH.

    `tile_px` is the side of one model input (the profile's imgsz).
    """
    if not device.startswith("cuda"):
        return CPU_BATCH
    import torch

    free, _ = torch.cuda.mem_get_info(torch.device(device))
    return int(max(1, min(GPU_MAX_BATCH, fraction * free // (GPU_BYTES_PER_PX * tile_px * tile_px))))


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


def device_facts() -> list[tuple[str, str]]:
    """What torch sees of the accelerators, for `dronecheck doctor`."""
    import torch

    cuda = torch.cuda.is_available()
    return [("torch threads", str(runtime.threads())),
            ("CUDA", f"yes: {torch.cuda.get_device_name(0)} (CUDA {torch.version.cuda})" if cuda
             else f"no (torch built for CUDA {torch.version.cuda})" if torch.version.cuda else "no"),
            ("MPS", "yes" if torch.backends.mps.is_available() else "no"),
            ("device for --device auto", pick_device("auto"))]


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
    full_pass: bool = False  # tiled photos also go to the model whole, and those boxes are merged in

    @property
    def name(self) -> str:
        return self.weights.name

    def detect(self, images: list[np.ndarray], batch: int, *,
               tile_sizes: Sequence[int] | None = None) -> list[Detections]:
        """Detect in whole photos, tiled when the profile asks for tiles.

        `tile_sizes` (one per image, e.g. from `tiling.tile_size_for` and each photo's ground
        resolution; 0 for a photo that goes to the model whole) overrides the profile's tile
        size; `batch` is tiles per model call.
        """
        sizes = list(tile_sizes) if tile_sizes is not None else [self.tile_size] * len(images)
        if len(sizes) != len(images):
            raise ValueError(f"{len(sizes)} tile sizes for {len(images)} images")
        whole = [i for i, size in enumerate(sizes) if not size]
        tiled = [i for i, size in enumerate(sizes) if size]
        found: dict[int, Detections] = dict(zip(whole, self.predict([images[i] for i in whole]), strict=True))
        if tiled:
            merged = detect_tiled([images[i] for i in tiled], self.predict_tiles, sizes=[sizes[i] for i in tiled],
                                  overlap=self.tile_overlap, batch=batch, iou=self.iou,
                                  whole=self.predict if self.full_pass else None)
            found.update(zip(tiled, merged, strict=True))
        return [found[i] for i in range(len(images))]

    @cached_property
    def _channels_last(self) -> bool:
        """On CPU the model and its input are channels-last, as in Ultralytics' own predict: oneDNN
        runs them faster (on 2 AVX2 cores about 90 against 120 ms per 640 px tile), and an input
        stacked as (n, H, W, 3) is channels-last already, so the first conv needs no reorder."""
        import torch

        return self.device == "cpu" and torch.backends.mkldnn.is_available()

    @cached_property
    def _network(self) -> Any:
        """The fused torch model on the device, for stacked tiles: half precision on CUDA, float32 else."""
        import torch

        net = self.model.model.fuse(verbose=False).to(self.device).eval()
        if self.device.startswith("cuda"):
            return net.half()
        if self._channels_last:
            net = net.to(memory_format=torch.channels_last)
        return net.float()

    def predict_tiles(self, tiles: list[np.ndarray], size: int) -> list[Detections]:
        """Detect in (H, W, 3) uint8 RGB tiles of one shape, cut at `size` photo pixels; boxes in tile pixels.

        The tiles are resized by imgsz / size and run as one stacked tensor straight through
        the torch model and Ultralytics' NMS, without `predict`'s per-call set-up and letterbox:
        a tile is already the model's input size, only photo-border tiles need padding.
        """
        import torch
        from ultralytics.utils.nms import non_max_suppression

        if not tiles:
            return []
        h, w = tiles[0].shape[:2]
        scaled = (max(1, round(w * self.imgsz / size)), max(1, round(h * self.imgsz / size)))
        stack = _stacked(tiles, scaled, int(self._network.stride.max()))
        dtype = next(self._network.parameters()).dtype
        with torch.inference_mode():
            x = torch.from_numpy(stack).to(self.device).permute(0, 3, 1, 2)  # channels-last in memory, as stacked
            if not self._channels_last:
                x = x.contiguous()
            x = x.to(dtype).div_(255)
            found = non_max_suppression(self._network(x), self.conf, self.iou, max_det=MAX_DET)
        back = np.array([w / scaled[0], h / scaled[1]] * 2)
        return [_boxes(rows.float().cpu().numpy(), scaled, back) for rows in found]

    def predict(self, images: list[np.ndarray]) -> list[Detections]:
        """Detect in a batch of (H, W, 3) uint8 RGB images, one `Detections` each.

        A photo goes to the model at `imgsz` (its longest side), or at its own size when it is
        smaller: enlarging a small photo adds no detail, and a model sees objects best near the
        scale it was trained at (RDD2022's 512 px road photos score mAP50 0.42 as they are,
        0.36 enlarged to 640 and 0.21 to 1280).
        """
        found: dict[int, Detections] = {}
        by_size: dict[int, list[int]] = {}
        for i, image in enumerate(images):
            by_size.setdefault(self.input_size(image), []).append(i)
        gpu = {"half": True} if self.device.startswith("cuda") else {}  # half precision on CUDA only
        for size, members in by_size.items():
            bgr = [np.ascontiguousarray(images[i][..., ::-1]) for i in members]  # Ultralytics takes BGR arrays
            results = self.model.predict(bgr, imgsz=size, conf=self.conf, iou=self.iou, device=self.device,
                                         batch=len(bgr), verbose=False, **gpu)
            found.update(zip(members, (detections_from_ultralytics(r) for r in results), strict=True))
        return [found[i] for i in range(len(images))]

    def input_size(self, image: np.ndarray) -> int:
        """The model input size of a whole photo: imgsz, or the photo's longest side (to the stride) when smaller.

        >>> Detector(Path("m.pt"), "", "cpu", ("a",), 0.25, 0.5, 1280, None).input_size(np.zeros((512, 400, 3)))
        512
        """
        side = max(image.shape[:2])
        return self.imgsz if side >= self.imgsz else max(STRIDE, math.ceil(side / STRIDE) * STRIDE)


def _stacked(tiles: list[np.ndarray], scaled: tuple[int, int], stride: int) -> np.ndarray:
    """Tiles resized to `scaled` (w, h) in one (n, H, W, 3) array, padded right and bottom to the stride."""
    import cv2

    w, h = scaled
    out = np.full((len(tiles), math.ceil(h / stride) * stride, math.ceil(w / stride) * stride, 3), PAD, np.uint8)
    for slot, tile in zip(out, tiles, strict=True):
        if tile.shape[:2] != (h, w):
            shrink = w < tile.shape[1]
            tile = cv2.resize(tile, (w, h), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)
        slot[:h, :w] = tile
    return out


def _boxes(rows: np.ndarray, scaled: tuple[int, int], back: np.ndarray) -> Detections:
    """NMS rows (x0, y0, x1, y1, conf, cls) clipped to the tile (not its padding), in tile pixels."""
    xyxy = np.clip(rows[:, :4], 0, np.array(scaled * 2)) * back
    return Detections(xyxy, rows[:, 4], rows[:, 5].astype(np.int64))


def load(weights: Path, *, device: str | None = None, conf: float = 0.25, iou: float = 0.5,
         imgsz: int = 640, tile_size: int = 0, tile_overlap: float = 0.2, full_pass: bool = False) -> Detector:
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
    return Detector(weights, file_sha256(weights), chosen, class_names, conf, iou, imgsz, model, tile_size,
                    tile_overlap, full_pass)
