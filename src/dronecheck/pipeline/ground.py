"""The ground a scan puts its findings on: the DEM given with --dem, open for the whole scan.

The take-off height on the DEM is settled once per scan, from the flight's first photo (see
geo.terrain.takeoff_height), and each frame gets the DEM window around its camera.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from dronecheck.errors import BadInputError
from dronecheck.geo.georef import window_radius
from dronecheck.geo.terrain import heights_at, takeoff_height
from dronecheck.ingest.dem import Dem
from dronecheck.ingest.photos import read_frame
from dronecheck.types import Frame, Terrain

log = logging.getLogger("dronecheck")

# Photos tried, in order, for the one the take-off height is settled on, and the DEM read around it.
FIRST_PHOTOS = 10
TAKEOFF_RADIUS_M = 10.0


class Ground:
    """A DEM and the flight's take-off height on it."""

    def __init__(self, dem: Dem) -> None:
        self.dem = dem
        self.takeoff_m: float | None = None
        self.takeoff_sigma_m = 0.0
        self.takeoff_note: str | None = None  # None until settled

    def settle(self, photos: list[Path]) -> None:
        """The take-off height from the first of `photos` with a position and a relative altitude. When
        none has one (a folder of videos) the first frame `terrain` is asked for settles it."""
        for path in photos[:FIRST_PHOTOS]:
            try:
                frame = read_frame(path)
            except BadInputError:
                continue
            if frame.pose.has_position and frame.pose.altitude_rel_m is not None:
                self._settle(frame)
                return

    def _settle(self, frame: Frame) -> None:
        assert frame.pose.lon is not None and frame.pose.lat is not None
        patch, _ = self.dem.around(frame.pose.lon, frame.pose.lat, TAKEOFF_RADIUS_M)
        dem_m = float(heights_at(patch, 0.0, 0.0)) if patch is not None else None
        self.takeoff_m, self.takeoff_sigma_m, self.takeoff_note = takeoff_height(dem_m, frame.pose)
        log.info("DEM %s: %s (first photo %s)", self.dem.name, self.takeoff_note, frame.name,
                 extra={"event": "takeoff_height", "dem": str(self.dem.path), "takeoff_m": self.takeoff_m})

    def terrain(self, frame: Frame) -> Terrain | None:
        """The DEM window around `frame`'s camera with the take-off height; None when the frame cannot be
        projected or is off the DEM (it is then placed as without a DEM, and its notes say why)."""
        radius = window_radius(frame)
        if radius is None:
            return None
        assert frame.pose.lon is not None and frame.pose.lat is not None
        if self.takeoff_note is None:
            self._settle(frame)
        patch, problem = self.dem.around(frame.pose.lon, frame.pose.lat, radius)
        if patch is None:
            log.info("%s: DEM %s not used: %s", frame.name, self.dem.name, problem)
            return None
        return replace(patch, takeoff_m=self.takeoff_m, takeoff_sigma_m=self.takeoff_sigma_m)

    def record(self) -> dict[str, object]:
        """What the run record and the report say of the ground."""
        return {"dem": str(self.dem.path), "takeoff_m": self.takeoff_m, "takeoff": self.takeoff_note}


@contextmanager
def opened(path: Path | None) -> Iterator[Ground | None]:
    """The scan's Ground when a DEM is given (BadInputError naming the file when it cannot be read), else None."""
    if path is None:
        yield None
        return
    with Dem(path) as dem:
        yield Ground(dem)
