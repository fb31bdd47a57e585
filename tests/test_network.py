"""A scan must never reach for the network: no downloads, no online checks, no analytics."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import copy_photos

RUNNER = """
import sys
sys.path.insert(0, {tests!r})
import netguard  # noqa: F401  (installs the guard before anything else is imported)
from dronecheck.cli import app
sys.argv = ["dronecheck"] + {args!r}
app()
"""


def test_scan_opens_no_network_socket(tmp_path: Path) -> None:
    copy_photos(tmp_path / "flight", 2)
    log = tmp_path / "net.log"
    # a fresh config folder: Ultralytics' first-run paths (settings, fonts) are where it downloads
    env = {**os.environ, "NETGUARD_LOG": str(log), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    env.pop("YOLO_CONFIG_DIR", None)
    code = RUNNER.format(tests=str(Path(__file__).parent),
                         args=["scan", str(tmp_path / "flight"), "--out", str(tmp_path / "out")])
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert not log.exists(), "network use was attempted:\n" + log.read_text()
    assert list((tmp_path / "out").glob("*/*/findings.geojson"))
