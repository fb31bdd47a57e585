"""Every error dronecheck raises on purpose, each with the exit code it ends a command with.

The CLI turns any of them into one line and `exit_code`, in one place.
"""

from __future__ import annotations

from dronecheck.types import ExitCode


class DronecheckError(Exception):
    """Root of every error dronecheck raises on purpose."""

    exit_code = ExitCode.ERROR


class BadInputError(DronecheckError, ValueError):
    """A file that cannot be scanned: not an image, empty, truncated, broken metadata; or a zones file
    or DEM that cannot be used."""

    exit_code = ExitCode.CONFIG

    def __init__(self, path: object, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class ProfileError(DronecheckError, ValueError):
    """A profile file that is missing, malformed, or names weights that do not exist."""

    exit_code = ExitCode.CONFIG


class ConfigError(DronecheckError, ValueError):
    """A dronecheck.toml or command-line setting that cannot be used: the message names the file and the key."""

    exit_code = ExitCode.CONFIG


class VerdictError(DronecheckError, ValueError):
    """A reviewer's verdict, or a verdicts file, that cannot be recorded: unknown finding or run, a class the
    model does not know, a file that is not a verdicts file. The message names the file or the finding."""

    exit_code = ExitCode.CONFIG


class ModelError(DronecheckError, RuntimeError):
    """Weights that cannot be loaded, or a device that cannot be used."""


class OutputError(DronecheckError, OSError):
    """An output file or folder that cannot be written (disk full, read-only, no permission). The run stays
    open in the ledger, so the next scan writes its outputs again."""

    def __init__(self, path: object, exc: OSError) -> None:
        super().__init__(f"{path}: cannot write ({exc.strerror or exc})")
        self.path = path


class LedgerError(DronecheckError):
    """A ledger that cannot be opened, read or written (locked, corrupt, read-only, disk full)."""


class LockedError(DronecheckError):
    """Another scan holds the ledger."""

    exit_code = ExitCode.LOCKED
