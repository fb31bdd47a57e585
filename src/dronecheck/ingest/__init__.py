"""Files and metadata in, Frames out; knows nothing about models."""

from dronecheck.ingest.discover import Discovery, discover
from dronecheck.ingest.photos import load_pixels, read_frame
from dronecheck.ingest.srt import Telemetry, TelemetrySample, read_srt, sample_at
from dronecheck.ingest.video import find_sidecar, read_video

__all__ = ["Discovery", "Telemetry", "TelemetrySample", "discover", "find_sidecar", "load_pixels", "read_frame",
           "read_srt", "read_video", "sample_at"]
