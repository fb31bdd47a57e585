"""One exception tree for dronecheck; the CLI catches DronecheckError in one place."""

from __future__ import annotations


class DronecheckError(Exception):
    """Root of every error dronecheck raises on purpose."""


class BadInputError(DronecheckError, ValueError):
    """A file that cannot be scanned: not an image, empty, truncated, broken metadata."""

    def __init__(self, path: object, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class ProfileError(DronecheckError, ValueError):
    """A profile file that is missing, malformed, or names weights that do not exist."""


class ModelError(DronecheckError, RuntimeError):
    """Weights that cannot be loaded, or a device that cannot be used."""
