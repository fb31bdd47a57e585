"""Make Ultralytics run offline, quietly and on every CPU core.

Ultralytics reaches for the network in several places (online probe, settings sync and
analytics, update checks, auto-install of packages, an Arial.ttf download on every
train/val, weight downloads) and caps torch at cpu_count - 1 threads. `prepare()` must
run before the first `import ultralytics`; it is called by the code that loads a model,
never at import time of dronecheck.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path


def config_dir() -> Path:
    """The Ultralytics config folder dronecheck owns (settings, fonts)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "dronecheck" / "ultralytics"


def threads() -> int:
    """CPU threads for torch: all cores, or DRONECHECK_THREADS."""
    return int(os.environ.get("DRONECHECK_THREADS") or os.cpu_count() or 1)


def prepare() -> None:
    """Set the environment so that importing and using Ultralytics stays offline."""
    os.environ["YOLO_OFFLINE"] = "1"
    os.environ["YOLO_AUTOINSTALL"] = "0"
    os.environ.setdefault("YOLO_VERBOSE", "0")
    os.environ.setdefault("OMP_NUM_THREADS", str(threads()))
    cfg = Path(os.environ.setdefault("YOLO_CONFIG_DIR", str(config_dir())))
    cfg.mkdir(parents=True, exist_ok=True)
    _install_font(cfg / "Arial.ttf")

    import torch
    import ultralytics.utils
    import ultralytics.utils.patches
    import ultralytics.utils.torch_utils
    from PIL import Image
    from ultralytics.utils import SETTINGS

    # Importing Ultralytics replaces PIL.Image.open with a version that, on any file Pillow
    # cannot identify, tries to install pi-heif: undo that for the whole process.
    Image.open = ultralytics.utils.patches._image_open

    # select_device() resets torch to NUM_THREADS (cpu_count - 1) on every call
    ultralytics.utils.NUM_THREADS = ultralytics.utils.torch_utils.NUM_THREADS = threads()
    torch.set_num_threads(threads())
    wanted = {"sync": False, "hub": False, "wandb": False, "mlflow": False, "tensorboard": False,
              "clearml": False, "comet": False, "dvc": False, "neptune": False, "raytune": False}
    changed = {k: v for k, v in wanted.items() if k in SETTINGS and SETTINGS[k] != v}
    if changed:
        SETTINGS.update(changed)


def _install_font(target: Path) -> None:
    """Ultralytics downloads Arial.ttf for plots unless it finds one; give it matplotlib's DejaVu."""
    if target.exists():
        return
    import matplotlib

    dejavu = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    shutil.copyfile(dejavu, target)
