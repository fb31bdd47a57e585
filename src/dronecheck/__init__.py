"""dronecheck: turn a drone flight into georeferenced inspection findings."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("dronecheck")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"
