"""A crontab line or a systemd service + timer pair that runs `dronecheck scan --config` every night."""

from __future__ import annotations

import shlex
import shutil
import sys
from pathlib import Path

from dronecheck.errors import ConfigError


def command(config: Path) -> list[str]:
    """The scan command a scheduler runs: absolute paths, JSON log lines, no waiting for a running scan."""
    exe = shutil.which("dronecheck")
    program = [str(Path(exe).resolve())] if exe else [sys.executable, "-m", "dronecheck"]
    return [*program, "scan", "--config", str(config.resolve()), "--log-json"]


def _hour_minute(at: str) -> tuple[int, int]:
    """'02:30' -> (2, 30).

    >>> _hour_minute("2:05")
    (2, 5)
    """
    try:
        hour, minute = (int(part) for part in at.split(":"))
    except ValueError:
        raise ConfigError(f"--at {at!r}: expected a time of day as HH:MM, e.g. 02:30") from None
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise ConfigError(f"--at {at!r}: expected a time of day as HH:MM, e.g. 02:30")
    return hour, minute


def cron_line(config: Path, at: str, log_file: Path) -> str:
    """One crontab line: the scan at `at` every day, its JSON log lines appended to `log_file`."""
    hour, minute = _hour_minute(at)
    scan = shlex.join(command(config))
    return f"{minute} {hour} * * * cd {shlex.quote(str(config.resolve().parent))} && {scan} " \
           f">> {shlex.quote(str(log_file.resolve()))} 2>&1"


def systemd_units(config: Path, at: str) -> dict[str, str]:
    """dronecheck.service (one scan) and dronecheck.timer (every day at `at`), by file name.

    Exit code 4 (nothing to do) counts as success; 3 (some photos failed) and 5 (locked:
    the previous night's scan still runs) show as a failed unit, for ops to see.
    """
    hour, minute = _hour_minute(at)
    service = f"""[Unit]
Description=dronecheck: scan the inboxes of {config.resolve()}
After=local-fs.target

[Service]
Type=oneshot
WorkingDirectory={config.resolve().parent}
ExecStart={shlex.join(command(config))}
SuccessExitStatus=4
Nice=10
"""
    timer = f"""[Unit]
Description=dronecheck: nightly scan

[Timer]
OnCalendar=*-*-* {hour:02d}:{minute:02d}:00
Persistent=true

[Install]
WantedBy=timers.target
"""
    return {"dronecheck.service": service, "dronecheck.timer": timer}
