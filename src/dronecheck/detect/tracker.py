"""The tracker: ByteTrack (Ultralytics) behind a small adapter that takes and gives plain arrays.

It gives each detection of a frame sequence a track id, from pixel boxes only; it knows
nothing of GPS. Ultralytics is imported when a `Tracker` is made, after `runtime.prepare()`,
never at import of this module. Motion on the ground is `analyse.motion`'s job.
"""

from __future__ import annotations

import numpy as np

from dronecheck.detect import runtime
from dronecheck.errors import ModelError
from dronecheck.types import Detections


class Tracker:
    """ByteTrack over the frames of one sequence (a video, or photos shot one after another).

    Make one per sequence and feed its frames in order, empty ones included, so that lost
    tracks age. Ids start at 1 for each tracker. Matching is on box overlap in pixels, so
    the frames must overlap: consecutive video frames, or photos taken a second or two
    apart from a hovering drone.
    """

    def __init__(self) -> None:
        runtime.prepare()
        try:
            from ultralytics.trackers.byte_tracker import BYTETracker
        except ImportError as exc:  # its matching step needs `lap`, which it would try to pip-install
            raise ModelError(f"tracking needs the 'lap' package ({exc}); install it with: pip install 'lap>=0.5.12'") \
                from exc
        from ultralytics.engine.results import Boxes
        from ultralytics.utils import ROOT, YAML, IterableSimpleNamespace

        self._boxes = Boxes
        args = IterableSimpleNamespace(**YAML.load(ROOT / "cfg" / "trackers" / "bytetrack.yaml"))
        self._tracker = BYTETracker(args)

    def update(self, detections: Detections) -> np.ndarray:
        """Track ids (int64, one per detection) for the next frame; -1 where there is none.

        A detection gets no id when its score is below ByteTrack's thresholds, or when it
        starts a track after the first frame: ByteTrack confirms a new track only on its
        second matched frame.

        >>> t = Tracker()
        >>> t.update(Detections([[10, 10, 50, 40]], [0.9], [0])).tolist()
        [1]
        >>> t.update(Detections([[12, 10, 52, 40]], [0.9], [0])).tolist()
        [1]
        """
        data = np.column_stack([detections.xyxy, detections.confidence, detections.class_id]).astype(np.float32)
        # orig_shape only serves Boxes' normalised coordinates, which ByteTrack does not read
        out = self._tracker.update(self._boxes(data, orig_shape=(1, 1)))
        ids = np.full(len(detections), -1, dtype=np.int64)
        for row in out:  # [x1, y1, x2, y2, track_id, score, cls, idx]
            ids[int(row[7])] = int(row[4])
        return ids
