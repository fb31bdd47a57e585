"""Files and metadata in, Frames out; knows nothing about models."""

from dronecheck.ingest.discover import Discovery, discover
from dronecheck.ingest.photos import load_pixels, read_frame

__all__ = ["Discovery", "discover", "load_pixels", "read_frame"]
