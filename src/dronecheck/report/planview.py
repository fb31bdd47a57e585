"""A plan view of the flight drawn from coordinates: an SVG with no tiles and no network."""

from __future__ import annotations

import math
from dataclasses import dataclass

WIDTH, HEIGHT, PAD = 900, 520, 40
M_PER_DEG_LAT = 110_574.0


@dataclass(frozen=True)
class PlanView:
    """Maps lon/lat to SVG pixels with one scale on both axes (north up)."""

    lon0: float
    lat0: float
    scale: float  # SVG pixels per metre
    x_off: float
    y_off: float

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        east = (lon - self.lon0) * M_PER_DEG_LAT * math.cos(math.radians(self.lat0))
        north = (lat - self.lat0) * M_PER_DEG_LAT
        return round(self.x_off + east * self.scale, 1), round(self.y_off - north * self.scale, 1)

    def scale_bar(self) -> tuple[float, str]:
        """A round length that is about a fifth of the width: (svg pixels, label)."""
        target = WIDTH / 5 / self.scale
        nice = 10 ** math.floor(math.log10(target))
        for step in (1, 2, 5, 10):
            if nice * step >= target:
                nice *= step
                break
        label = f"{nice / 1000:g} km" if nice >= 1000 else f"{nice:g} m"
        return round(nice * self.scale, 1), label


def fit(points: list[tuple[float, float]]) -> PlanView | None:
    """A view that shows all (lon, lat) points; None when there are none.

    >>> v = fit([(5.0, 52.0), (5.001, 52.001)])
    >>> v.xy(5.0, 52.0)[1] > v.xy(5.001, 52.001)[1]  # north is up
    True
    """
    if not points:
        return None
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    lon0, lat0 = (min(lons) + max(lons)) / 2, (min(lats) + max(lats)) / 2
    coslat = math.cos(math.radians(lat0))
    span_e = max((max(lons) - min(lons)) * M_PER_DEG_LAT * coslat, 10.0)
    span_n = max((max(lats) - min(lats)) * M_PER_DEG_LAT, 10.0)
    scale = min((WIDTH - 2 * PAD) / span_e, (HEIGHT - 2 * PAD) / span_n)
    return PlanView(lon0, lat0, scale, WIDTH / 2, HEIGHT / 2)
