"""A long run keeps memory flat: decoding stays a bounded number of frames ahead of the model,
and nothing of a finished photo's pixels is kept."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from conftest import CRACKS_WEIGHTS, photos
from dronecheck.ingest.ahead import prefetched
from dronecheck.pipeline.scan import scan
from dronecheck.profiles import load_profile
from dronecheck.run import ScanOptions

pytestmark = pytest.mark.slow  # these tests run the model

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE / 2**20


def test_memory_does_not_grow_over_a_long_scan(tmp_path: Path) -> None:
    flight = tmp_path / "flight"
    flight.mkdir()
    for n in range(8):  # 80 photos of 1280 x 960: 3.7 MB each once decoded
        for p in photos():
            os.link(p, flight / f"{n}-{p.name}")
    profile_file = tmp_path / "small.toml"  # the cracks model at 320 px, to keep the test quick
    profile_file.write_text(f"name = 'small'\nweights = '{CRACKS_WEIGHTS}'\nclasses = ['crack']\nimgsz = 320\n")
    samples: list[float] = []
    run = scan(ScanOptions(flight, load_profile(str(profile_file)), tmp_path / "out", device="cpu", batch=4),
               lambda done, total, name: samples.append(rss_mb()))
    assert len(run.frames) == 80 and len(samples) == 20
    warm = samples[4]  # after 20 photos: model loaded, buffers and caches allocated
    grown = max(samples[4:]) - warm
    # keeping each photo's pixels would add 3.7 MB a photo, 220 MB over the last 60
    assert grown < 40, f"RSS grew {grown:.0f} MB over the last 60 photos: {[round(s) for s in samples]}"


def test_prefetched_stays_a_bounded_number_of_items_ahead() -> None:
    produced: list[int] = []

    def items():  # noqa: ANN202
        for i in range(40):
            produced.append(i)
            yield i

    for taken, item in enumerate(prefetched(items(), 3), 1):
        time.sleep(0.002)  # a slow consumer: the producer would run far ahead if it could
        assert item == taken - 1
        assert len(produced) - taken <= 3 + 1  # the queue, and the one item the worker is holding


def test_prefetched_hands_on_the_worker_error_and_stops_the_worker_when_left() -> None:
    def failing():  # noqa: ANN202
        yield 1
        raise ValueError("broken frame")

    with pytest.raises(ValueError, match="broken frame"):
        list(prefetched(failing(), 2))

    produced: list[int] = []

    def endless():  # noqa: ANN202
        i = 0
        while True:
            produced.append(i)
            yield i
            i += 1

    it = prefetched(endless(), 2)
    assert next(it) == 0
    it.close()  # the consumer leaves: the worker must stop, not run on
    stopped_at = len(produced)
    time.sleep(0.05)
    assert len(produced) == stopped_at <= 4


def test_a_tiled_photo_fills_its_own_batch_so_large_photos_are_not_held_together(tmp_path: Path) -> None:
    flight = tmp_path / "flight"
    flight.mkdir()
    for p in photos(3):
        os.link(p, flight / p.name)
    profile_file = tmp_path / "tiled.toml"  # 1280 x 960 photos in tiles of 640: 6 tiles each, more than a batch
    profile_file.write_text(f"name = 'tiled'\nweights = '{CRACKS_WEIGHTS}'\nclasses = ['crack']\nimgsz = 320\n"
                            "tile_size = 640\n")
    batches: list[int] = []
    scan(ScanOptions(flight, load_profile(str(profile_file)), tmp_path / "out", device="cpu", batch=4),
         lambda done, total, name: batches.append(done))
    assert batches == [1, 2, 3]  # whole photos would go four to a batch
