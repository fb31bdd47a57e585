"""Cracks measured, not boxed: the centre line, length and widths of a crack traced from the pixels
inside its box.

A ridge filter (Sato, dark ridges) brings out thin dark lines at the scales of a crack; a
threshold on its response (RIDGE_THRESHOLD times Otsu's) gives the crack's core, whose skeleton
is the centre line; the crack's pixels are those near the core that are darker than the surface.
The length is the skeleton's (all its branches, each simplified to a polyline so that staircase
steps do not add up); the width at each centre-line pixel is twice its distance to the crack's
edge, less one (`widths_px`, the same measure for a true mask). The line written out
is the longest path through the skeleton. All of it is in pixels here; the pipeline turns it into
metres with the ground resolution of the finding.

A crack traced one pixel wide may be narrower than a pixel: its width is then unknown, and
`below_gsd` says so rather than giving one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy import ndimage
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import breadth_first_order, connected_components, minimum_spanning_tree
from skimage.filters import sato, threshold_otsu
from skimage.measure import approximate_polygon
from skimage.morphology import remove_small_objects, skeletonize

from dronecheck.geo.georef import frame_view
from dronecheck.types import Finding

RIDGE_SIGMAS = (1.0, 2.0, 3.0)  # pixels: cracks from a hair line to about 7 pixels wide
PAD_PX = 4  # context around the box, so a crack touching its edge keeps both edges
MIN_PIECE_PX = 10  # crack pieces smaller than this are noise
MIN_PIECE_SHARE = 0.3  # ... as are pieces under this share of the largest one
# Chosen on the mask set's val split (tests/../datasets/cracks/masks/val), traced in the true boxes:
RIDGE_THRESHOLD = 1.25  # times Otsu's threshold of the ridge response
EDGE_PX = 2  # a crack's pixels: darker than the surface, within this of the ridges' core
SPUR_PX = 10.0  # a side branch shorter than this off the centre line is surface texture, not crack
SIMPLIFY_PX = 1.0  # the line written out keeps every bend larger than this
NEIGHBOURS = ((0, 1, 1.0), (1, 0, 1.0), (1, 1, 2 ** 0.5), (1, -1, 2 ** 0.5))  # (dy, dx, step length)


@dataclass(frozen=True)
class CrackTrace:
    """A crack in pixels of the whole image: centre line, length, widths, and the crack's pixels."""

    line_px: np.ndarray  # (n, 2) x, y along the longest path through the centre line
    length_px: float  # of the whole centre line, branches included
    width_mean_px: float | None  # None when the crack is no wider than one pixel (below_gsd)
    width_max_px: float | None
    below_gsd: bool
    mask: np.ndarray  # bool, the crack's pixels inside `window`
    window: tuple[int, int, int, int]  # x0, y0, x1, y1 of `mask` in the image


def trace(pixels: np.ndarray, box: Sequence[float]) -> CrackTrace | None:
    """The crack inside `box` (x0, y0, x1, y1) of an RGB or grey image, or None when none is found."""
    window = _window(pixels.shape, box)
    x0, y0, x1, y1 = window
    crop = pixels[y0:y1, x0:x1]
    grey = crop.mean(axis=2) if crop.ndim == 3 else crop.astype(np.float64)
    if min(grey.shape) < 3 or np.ptp(grey) == 0:
        return None
    ridge = sato(grey / 255.0, sigmas=RIDGE_SIGMAS, black_ridges=True)
    if np.ptp(ridge) == 0:
        return None
    ridges = _pieces(ridge > RIDGE_THRESHOLD * threshold_otsu(ridge))
    # The thresholded ridges are the crack's core; its width is that of the pixels near the core that
    # are darker than the surface around them.
    skeleton = skeletonize(ridges)
    mask = ndimage.binary_dilation(ridges, iterations=EDGE_PX) & (grey < threshold_otsu(grey)) | skeleton
    if skeleton.sum() < 2:
        return None
    ys, xs = np.nonzero(skeleton)
    tree = _spanning_tree(ys, xs)
    widths = 2.0 * ndimage.distance_transform_edt(mask)[ys, xs] - 1.0
    below = float(np.median(widths)) <= 1.0
    points = np.column_stack([xs + x0, ys + y0]).astype(np.float64)
    line = approximate_polygon(points[_longest_path(tree)], SIMPLIFY_PX)
    return CrackTrace(line_px=line, length_px=_length(tree, points - (x0, y0)),
                      width_mean_px=None if below else float(widths.mean()),
                      width_max_px=None if below else float(widths.max()), below_gsd=below, mask=mask,
                      window=window)


def measure(finding: Finding, pixels: np.ndarray, width_classes_mm: Sequence[float] = ()) -> Finding:
    """`finding` with its crack traced in `pixels` (its frame's image): the centre line on the ground,
    length and widths in metres from the finding's ground resolution, and the width class.

    Unchanged when no crack is found in the box; without a ground resolution (no pose) only the
    pixels are known, and nothing is added.
    """
    found = trace(pixels, finding.box_px)
    if found is None or finding.gsd_m is None:
        return finding
    view, _ = frame_view(finding.frame)
    line = None
    if view is not None:
        ground = view.to_lonlat(found.line_px)
        if np.isfinite(ground).all():
            line = tuple((float(lon), float(lat)) for lon, lat in ground)
    gsd = finding.gsd_m
    width_max = None if found.width_max_px is None else found.width_max_px * gsd
    return replace(finding, line=line, crack_length_m=found.length_px * gsd,
                   crack_width_mean_m=None if found.width_mean_px is None else found.width_mean_px * gsd,
                   crack_width_max_m=width_max, width_below_gsd=found.below_gsd,
                   width_class=width_class(width_max if width_max is not None else gsd, found.below_gsd,
                                           width_classes_mm))


def width_labels(bounds_mm: Sequence[float]) -> list[str]:
    """The width classes of a profile's `width_classes_mm`, narrow to wide.

    >>> width_labels([0.2, 0.5])
    ['< 0.2 mm', '0.2-0.5 mm', '> 0.5 mm']
    """
    if not bounds_mm:
        return []
    return ([f"< {bounds_mm[0]:g} mm"] + [f"{a:g}-{b:g} mm" for a, b in zip(bounds_mm, bounds_mm[1:], strict=False)]
            + [f"> {bounds_mm[-1]:g} mm"])


def width_class(width_m: float, below: bool, bounds_mm: Sequence[float]) -> str | None:
    """The class of a crack `width_m` wide (or, with `below`, narrower than that) among `bounds_mm`.

    >>> width_class(0.0003, False, [0.2, 0.5]), width_class(0.0001, False, [0.2, 0.5])
    ('0.2-0.5 mm', '< 0.2 mm')
    >>> width_class(0.0001, True, [0.2, 0.5]), width_class(0.004, True, [0.2, 0.5]) is None
    ('< 0.2 mm', True)
    """
    if not bounds_mm:
        return None
    mm = width_m * 1000.0
    index = int(np.searchsorted(bounds_mm, mm, side="left" if below else "right"))
    if below and index > 0:  # narrower than a pixel of mm: only the class below the first bound is sure
        return None
    return width_labels(bounds_mm)[index]


def widths_px(mask: np.ndarray) -> np.ndarray:
    """The width of the crack pixels in `mask` at each pixel of its centre line (see `trace`)."""
    skeleton = skeletonize(mask)
    return 2.0 * ndimage.distance_transform_edt(mask)[skeleton] - 1.0


def centre_line_length(mask: np.ndarray) -> float:
    """Length in pixels of the centre line of the crack pixels in `mask`, measured as `trace` measures it
    (for scoring traced cracks against drawn masks)."""
    ys, xs = np.nonzero(skeletonize(mask))
    if len(ys) < 2:
        return 0.0
    return _length(_spanning_tree(ys, xs), np.column_stack([xs, ys]).astype(np.float64))


def _window(shape: tuple[int, ...], box: Sequence[float]) -> tuple[int, int, int, int]:
    height, width = shape[:2]
    x0, y0 = max(0, int(box[0]) - PAD_PX), max(0, int(box[1]) - PAD_PX)
    x1, y1 = min(width, int(np.ceil(box[2])) + PAD_PX), min(height, int(np.ceil(box[3])) + PAD_PX)
    return x0, y0, x1, y1


def _pieces(mask: np.ndarray) -> np.ndarray:
    """The crack pieces of a thresholded ridge response: small specks of texture left out."""
    labels, n = ndimage.label(mask, structure=np.ones((3, 3)))
    if n == 0:
        return mask
    sizes = np.bincount(labels.ravel())[1:]
    keep = np.flatnonzero(sizes >= max(MIN_PIECE_PX, MIN_PIECE_SHARE * sizes.max())) + 1
    return remove_small_objects(np.isin(labels, keep), max_size=MIN_PIECE_PX - 1)


def _spanning_tree(ys: np.ndarray, xs: np.ndarray) -> coo_matrix:
    """The skeleton's pixels as a graph (8-neighbours, diagonal steps sqrt 2), thinned to a spanning tree:
    its total weight is the centre line's length without the corners counted twice."""
    index = {(y, x): i for i, (y, x) in enumerate(zip(ys.tolist(), xs.tolist(), strict=True))}
    rows, cols, steps = [], [], []
    for i, (y, x) in enumerate(zip(ys.tolist(), xs.tolist(), strict=True)):
        for dy, dx, step in NEIGHBOURS:
            j = index.get((y + dy, x + dx))
            if j is not None:
                rows.append(i)
                cols.append(j)
                steps.append(step)
    graph = coo_matrix((steps, (rows, cols)), shape=(len(ys), len(ys))).tocsr()
    return minimum_spanning_tree(graph).tocoo()


def _length(tree: coo_matrix, points: np.ndarray) -> float:
    """Length of a spanning forest of skeleton pixels: each branch (between ends and junctions)
    simplified to a polyline and measured straight, so that staircase steps do not add up; side
    branches (a free end on a junction) shorter than SPUR_PX are left out."""
    graph = (tree + tree.T).tocsr()
    degree = np.diff(graph.indptr)
    keys = set(np.flatnonzero(degree != 2).tolist())
    seen: set[tuple[int, int]] = set()
    total = 0.0
    for key in keys:
        for nxt in graph.indices[graph.indptr[key]:graph.indptr[key + 1]].tolist():
            if (key, nxt) in seen:
                continue
            branch, prev = [key, nxt], key
            while branch[-1] not in keys:
                here = branch[-1]
                step = [n for n in graph.indices[graph.indptr[here]:graph.indptr[here + 1]].tolist() if n != prev]
                prev = here
                branch.append(step[0])
            seen.add((branch[-1], branch[-2]))
            line = approximate_polygon(points[branch], SIMPLIFY_PX)
            length = float(np.hypot(*np.diff(line, axis=0).T).sum())
            ends = sorted((degree[branch[0]], degree[branch[-1]]))
            if not (ends[0] == 1 and ends[1] > 2 and length < SPUR_PX):
                total += length
    return total


def _longest_path(tree: coo_matrix) -> np.ndarray:
    """Node indices of the longest path (in steps) through the largest piece of a spanning forest."""
    undirected = (tree + tree.T).tocsr()
    _, piece = connected_components(undirected, directed=False)
    start = int(np.argmax(piece == np.bincount(piece).argmax()))
    order, _ = breadth_first_order(undirected, start, directed=False)
    end_a = int(order[-1])
    order, parents = breadth_first_order(undirected, end_a, directed=False)
    path = [int(order[-1])]
    while path[-1] != end_a:
        path.append(int(parents[path[-1]]))
    return np.array(path)
