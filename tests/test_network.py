"""A scan must never reach for the network: no downloads, no online checks, no analytics."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import copy_photos

pytestmark = pytest.mark.slow  # these tests run the model

# Installed in a fresh interpreter before anything else is imported: every attempt to open
# a network socket is recorded and refused. Unix sockets stay allowed (they never leave the
# machine); name lookups and inet connections are what Ultralytics' online checks,
# downloads and analytics would use.
GUARD = r'''
import os, socket, sys

def _refuse(what, detail):
    with open(os.environ["NETGUARD_LOG"], "a") as fh:
        fh.write(f"{what} {detail}\n")
    raise OSError(f"netguard: network use refused ({what} {detail})")

_connect = socket.socket.connect

def _guarded_connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _refuse("connect", address)
    return _connect(self, address)

socket.socket.connect = _guarded_connect
socket.socket.connect_ex = _guarded_connect
socket.getaddrinfo = lambda *a, **k: _refuse("getaddrinfo", a[:2])
socket.gethostbyname = lambda *a, **k: _refuse("gethostbyname", a)
socket.create_connection = lambda *a, **k: _refuse("create_connection", a[:1])

from dronecheck.cli import app

sys.argv = ["dronecheck"] + sys.argv[1:]
app()
'''


def test_scan_opens_no_network_socket(tmp_path: Path) -> None:
    copy_photos(tmp_path / "flight", 2)
    log = tmp_path / "net.log"
    # a fresh config folder: Ultralytics' first-run paths (settings, fonts) are where it downloads
    env = {**os.environ, "NETGUARD_LOG": str(log), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    env.pop("YOLO_CONFIG_DIR", None)
    args = ["scan", str(tmp_path / "flight"), "--out", str(tmp_path / "out")]
    result = subprocess.run([sys.executable, "-c", GUARD, *args], env=env, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert not log.exists(), "network use was attempted:\n" + log.read_text()
    assert list((tmp_path / "out").glob("*/*/findings.geojson"))
