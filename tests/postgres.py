"""A throwaway PostgreSQL server for the tests and bench/ledger.py: `initdb` into a temporary folder, `postgres` on a
Unix socket in that folder (no TCP), stopped and removed at the end.

PostgreSQL refuses to run as root; as root (CI) the server runs as `nobody`, in a folder made in /tmp
and given to it (pytest's own temporary folders are closed to other users; and a socket path must be short).
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

START_TIMEOUT_S = 60


def bindir() -> Path | None:
    """The folder of initdb and postgres: `pg_config --bindir`, else the newest /usr/lib/postgresql/*/bin."""
    try:
        found = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True).stdout.strip()
        if (Path(found) / "initdb").is_file():
            return Path(found)
    except (OSError, subprocess.CalledProcessError):
        pass
    folders = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    return folders[-1].parent if folders else None


@dataclass(frozen=True)
class Server:
    folder: Path  # its data folder is in it, and its socket

    def url(self, database: str) -> str:
        return f"postgresql://postgres@/{database}?host={self.folder}"

    def create(self, database: str) -> str:
        """A new empty database; its URL."""
        with psycopg.connect(self.url("postgres"), autocommit=True) as db:
            db.execute(f'CREATE DATABASE "{database}"')
        return self.url(database)


def _as_server_user() -> dict[str, Any]:
    """subprocess arguments that run a command as the server's user: `nobody` when we are root, else ourselves."""
    if os.geteuid() != 0:
        return {}
    nobody = pwd.getpwnam("nobody")
    return {"user": nobody.pw_uid, "group": nobody.pw_gid, "extra_groups": []}


@contextmanager
def temporary_server(durable: bool = False) -> Iterator[Server]:
    """A running server, stopped and removed at the end. Not `durable`: no fsync (tests); durable: as shipped."""
    binaries = bindir()
    if binaries is None:
        raise FileNotFoundError("no PostgreSQL server binaries (initdb, postgres): apt-get install postgresql")
    folder = Path(tempfile.mkdtemp(prefix="dronecheck-pg-"))
    who = _as_server_user()
    if who:
        os.chown(folder, who["user"], who["group"])
    data = folder / "data"
    subprocess.run([binaries / "initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C",
                    *([] if durable else ["--no-sync"])], check=True, capture_output=True, **who)
    options = ["-c", "listen_addresses=", "-c", f"unix_socket_directories={folder}", "-c", "max_connections=50"]
    if not durable:
        options += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
    log = open(folder / "server.log", "wb")  # noqa: SIM115 -- closed after the server stopped
    server = subprocess.Popen([binaries / "postgres", "-D", data, *options], stdout=log, stderr=subprocess.STDOUT,
                              **who)
    try:
        _wait_ready(Server(folder), server)
        yield Server(folder)
    finally:
        server.send_signal(signal.SIGINT)  # fast shutdown: sessions still open are ended
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
        shutil.rmtree(folder, ignore_errors=True)


def _wait_ready(server: Server, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            psycopg.connect(server.url("postgres"), connect_timeout=2).close()
            return
        except psycopg.OperationalError:
            if process.poll() is not None or time.monotonic() > deadline:
                log = (server.folder / "server.log").read_text(errors="replace")
                raise RuntimeError(f"PostgreSQL did not start:\n{log}") from None
            time.sleep(0.1)


def count(url: str, sql: str) -> int:
    """The count `sql` gives on the server at `url`; 0 while its table or column is not made yet."""
    try:
        with psycopg.connect(url) as db:
            return db.execute(sql).fetchone()[0]
    except (psycopg.errors.UndefinedTable, psycopg.errors.UndefinedColumn):
        return 0
