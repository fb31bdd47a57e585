"""What a bug report needs: versions, device, CUDA, weights found."""

from __future__ import annotations

import platform
import sys
from importlib.metadata import PackageNotFoundError, version

from dronecheck import __version__
from dronecheck.detect import runtime, yolo
from dronecheck.profiles import weights_dirs

PACKAGES = ("ultralytics", "torch", "torchvision", "numpy", "pillow", "pyproj", "jinja2", "typer", "onnxruntime")


def _version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def facts() -> list[tuple[str, str]]:
    rows = [("dronecheck", __version__), ("python", sys.version.split()[0]), ("platform", platform.platform())]
    rows += [(name, _version(name)) for name in PACKAGES]
    rows += yolo.device_facts()
    rows.append(("Ultralytics config", str(runtime.config_dir())))
    for folder in weights_dirs():
        found = sorted(p.name for p in folder.glob("*.pt")) if folder.is_dir() else []
        rows.append((f"weights in {folder}", ", ".join(found) or "none"))
    return rows
