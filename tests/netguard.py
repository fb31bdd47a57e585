"""Imported first in a subprocess: any attempt to open a network socket is recorded and refused.

Unix sockets stay allowed (they never leave the machine); name lookups and inet
connections are what Ultralytics' online checks, downloads and analytics would use.
"""

import os
import socket

LOG = os.environ["NETGUARD_LOG"]


def _refuse(what: str, detail: object) -> None:
    with open(LOG, "a") as fh:
        fh.write(f"{what} {detail}\n")
    raise OSError(f"netguard: network use refused ({what} {detail})")


_connect = socket.socket.connect


def connect(self: socket.socket, address: object) -> None:
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _refuse("connect", address)
    _connect(self, address)


socket.socket.connect = connect  # type: ignore[method-assign]
socket.socket.connect_ex = connect  # type: ignore[assignment,method-assign]
socket.getaddrinfo = lambda *a, **k: _refuse("getaddrinfo", a[:2])  # type: ignore[assignment]
socket.gethostbyname = lambda *a, **k: _refuse("gethostbyname", a)  # type: ignore[assignment]
socket.create_connection = lambda *a, **k: _refuse("create_connection", a[:1])  # type: ignore[assignment]
