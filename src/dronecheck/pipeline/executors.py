"""Where photos are decoded and the model runs: in this process (the plain executor), or on a Ray cluster.

The scan's driver (pipeline.scan) keeps the ledger, its lock, georeferencing, crops and the commits; an
executor gives it the detector's description, the photos read ahead, and each batch's detections, in the
order of the batches, so that the findings are the same whichever executor ran.

- `Plain`: the model in this process; photos decoded ahead in two threads (ingest.ahead).
- `RayExecutor` (`--executor ray`): each photo is decoded by a Ray task, its pixels left in the object store;
  batches go to a pool of Ray actors that each hold one model (one per GPU, or one per `--cpus-per-worker`
  cores) and take the pixels from the store; the driver fetches a photo's pixels only when it has findings
  to crop. Actors are restarted and their batches retried by Ray when a worker or its node dies
  (max_restarts / max_task_retries), and a lost photo is decoded again from its lineage: nothing is lost,
  and since results come back in the order they were sent, nothing is committed twice.

`import ray` happens here only, inside functions: `dronecheck --help` and the plain scan never load it.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from dronecheck.detect import yolo
from dronecheck.errors import ConfigError, DronecheckError
from dronecheck.ingest.ahead import Loaded, load_photo, read_ahead
from dronecheck.pipeline.tiles import tile_size_of
from dronecheck.profiles import Profile
from dronecheck.run import ScanOptions
from dronecheck.types import Detections

log = logging.getLogger("dronecheck")

CPUS_PER_WORKER = 2  # cores per CPU actor when neither --workers nor --cpus-per-worker says
CONNECT_TIMEOUT_S = 5.0  # to reach a cluster's head before Ray is asked to (Ray itself retries for minutes)

Batch = list[Loaded]
Detected = tuple[Batch, list[Detections] | None]  # None: the driver detects (plain executor)


def detectable(item: Loaded) -> bool:
    """A frame that goes to the model (as pipeline.scan._scan_batch sorts a batch)."""
    return item.video_done is None and item.frame is not None and item.pixels is not None


def load_detector(options: ScanOptions) -> yolo.Detector:
    p = options.profile
    return yolo.load(p.weights, device=options.device, conf=options.conf_used, iou=options.iou_used, imgsz=p.imgsz,
                     tile_size=p.tile_size, tile_overlap=p.tile_overlap, full_pass=p.full_pass)


class Plain:
    """The model in this process; what pipeline.scan did before there were executors."""

    def __init__(self, options: ScanOptions) -> None:
        self.detector = load_detector(options)

    def auto_batch(self) -> int:
        return yolo.auto_batch(self.detector.device, self.detector.imgsz)

    def read_photos(self, photos: Iterable[tuple[Path, str | None]], depth: int) -> Iterator[Loaded]:
        return read_ahead(photos, depth)

    def detected(self, batches: Iterable[Batch], batch: int, timings: dict[str, float]) -> Iterator[Detected]:
        return ((items, None) for items in batches)  # the driver detects, in _scan_batch

    def close(self) -> None:
        pass


@contextmanager
def opened(options: ScanOptions, timings: dict[str, float]) -> Iterator[Plain | RayExecutor]:
    """The executor `options.executor` names, its model(s) loaded (counted under load_model), closed after."""
    t0 = time.perf_counter()
    executor: Plain | RayExecutor = RayExecutor(options) if options.executor == "ray" else Plain(options)
    timings["load_model"] += time.perf_counter() - t0
    try:
        yield executor
    finally:
        executor.close()


# --- Ray ---------------------------------------------------------------------------------------------


@dataclass
class RemoteLoaded(Loaded):
    """A photo decoded by a Ray task: `pixels` is a stand-in of the right shape (no memory) until the driver
    fetches the real ones from `ref`, which it does only for a photo with findings."""

    ref: Any = None  # ray.ObjectRef of the pixels


def _stand_in(shape: tuple[int, ...]) -> np.ndarray:
    """An array of `shape` that takes no memory (every element is the same byte), read-only."""
    return np.broadcast_to(np.zeros((), np.uint8), shape)


def _decode(path: str, sha256: str | None) -> tuple[tuple[Loaded, tuple[int, ...] | None], np.ndarray | None]:
    """The Ray task: a photo read and decoded; (the Loaded without its pixels, their shape) and the pixels, as
    two objects, so that the driver can take the first without the second."""
    item = load_photo(Path(path), sha256)
    pixels, item.pixels = item.pixels, None
    return (item, None if pixels is None else pixels.shape), pixels


class _DetectorActor:
    """The Ray actor: one Detector, loaded in the actor's process with `threads` torch threads."""

    def __init__(self, options: ScanOptions, threads: int) -> None:
        os.environ["DRONECHECK_THREADS"] = str(threads)  # the plan decides, not an inherited value
        self.detector = load_detector(options)

    def describe(self) -> dict[str, Any]:
        d = self.detector
        info = {f.name: getattr(d, f.name) for f in fields(d) if f.name != "model"}
        return {"detector": info, "auto_batch": yolo.auto_batch(d.device, d.imgsz), "pid": os.getpid()}

    def pid(self) -> int:
        return os.getpid()

    def detect(self, batch: int, sizes: list[int], *images: np.ndarray) -> list[Detections]:
        return self.detector.detect(list(images), batch, tile_sizes=sizes)


def _ray() -> Any:
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no usage report to Ray's servers, ever
    try:
        import ray
    except ImportError:
        raise ConfigError("--executor ray: Ray is not installed here (pip install 'dronecheck[ray]')") from None
    return ray


def _reachable(address: str) -> None:
    """A head node's address answers on TCP, else one line: Ray would retry the connection for minutes."""
    if address == "auto":
        return
    hostport = address.split("://", 1)[-1].rstrip("/")
    host, _, port = hostport.rpartition(":")
    if not host or not port.isdigit():
        raise ConfigError(f"--address {address}: expected HOST:PORT of a Ray head node (or ray://HOST:PORT, auto)")
    try:
        with socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT_S):
            pass
    except OSError as exc:
        raise DronecheckError(f"--address {address}: cannot reach the Ray cluster there ({exc.strerror or exc})"
                              ) from None


def start_ray(address: str | None) -> bool:
    """Connect to the cluster at `address`, or start one on this machine with no dashboard, no usage stats
    and every port on the loopback; True when this call started (or joined) it, False when one was running."""
    ray = _ray()
    if ray.is_initialized():
        return False
    quiet = {"include_dashboard": False, "configure_logging": False, "log_to_driver": False}
    if address:
        _reachable(address)
        try:
            ray.init(address=address, **quiet)
        except Exception as exc:  # ConnectionError, RuntimeError, ...: Ray says why
            raise DronecheckError(f"--address {address}: cannot join the Ray cluster there: {exc}") from None
    else:
        ray.init(_node_ip_address="127.0.0.1", **quiet)
    return True


@dataclass(frozen=True)
class Plan:
    """How many actors, and what each asks the cluster for."""

    workers: int
    cpus: float
    gpus: float
    threads: int


def plan_workers(resources: dict[str, float], device: str | None, workers: int, cpus_per_worker: float | None
                 ) -> Plan:
    """One actor per GPU (unless --device cpu), else one per `cpus_per_worker` cores (CPUS_PER_WORKER, or the
    cluster's cores shared among `workers`); `workers` > 0 sets the count.

    >>> plan_workers({"CPU": 8.0}, None, 0, None)
    Plan(workers=4, cpus=2, gpus=0, threads=2)
    >>> plan_workers({"CPU": 2.0}, "cpu", 4, None)
    Plan(workers=4, cpus=0.5, gpus=0, threads=1)
    >>> plan_workers({"CPU": 32.0, "GPU": 4.0}, None, 0, None)
    Plan(workers=4, cpus=1, gpus=1, threads=1)
    """
    cores, gpus = resources.get("CPU", 1.0), resources.get("GPU", 0.0)
    if gpus >= 1 and (device or "auto").split(":")[0] in ("auto", "cuda"):
        n = workers or int(gpus)
        cpus = cpus_per_worker or 1
        return Plan(n, cpus, 1, max(1, int(cpus)))
    if cpus_per_worker:
        cpus = cpus_per_worker
    elif workers:
        cpus = cores / workers
        cpus = int(cpus) if cpus >= 1 else cpus
    else:
        cpus = min(CPUS_PER_WORKER, int(cores) or 1)
    n = workers or max(1, int(cores // cpus))
    return Plan(n, cpus, 0, max(1, int(cpus)))


class RayExecutor:
    """Decoding as Ray tasks, detection in an ActorPool of Ray actors, results in the order sent."""

    def __init__(self, options: ScanOptions) -> None:
        ray = _ray()
        self.ray = ray
        self.started = start_ray(options.address)
        self.options = options
        try:
            self.plan = plan_workers(ray.cluster_resources(), options.device, options.workers or 0,
                                     options.cpus_per_worker)
            actor = ray.remote(_DetectorActor).options(num_cpus=self.plan.cpus, num_gpus=self.plan.gpus,
                                                       max_restarts=-1, max_task_retries=-1)
            self.actors = [actor.remote(options, self.plan.threads) for _ in range(self.plan.workers)]
            described = ray.get([a.describe.remote() for a in self.actors])
        except BaseException:
            self.close()
            raise
        self._decode = ray.remote(_decode).options(num_returns=2, num_cpus=0, scheduling_strategy="SPREAD")
        first = described[0]
        self.detector = yolo.Detector(**{**first["detector"], "model": None})  # the description: no torch here
        self._auto_batch = min(d["auto_batch"] for d in described)
        self.pids = [d["pid"] for d in described]  # of the actors' processes as they started
        log.info("ray: %d detector actor(s) of %s CPU and %s GPU, %d thread(s) each, on a cluster of %s",
                 self.plan.workers, self.plan.cpus, self.plan.gpus, self.plan.threads,
                 options.address or "this machine", extra={"event": "ray_started", "workers": self.plan.workers})

    def auto_batch(self) -> int:
        return self._auto_batch

    def read_photos(self, photos: Iterable[tuple[Path, str | None]], depth: int) -> Iterator[Loaded]:
        """Photos decoded by Ray tasks, at most `depth` ahead of the consumer, in order; the pixels stay in the
        object store (see RemoteLoaded). The tasks ask for no CPU (the actors may hold every core), so `depth`
        is also how many run at once: Ray starts a worker process for each."""
        window: deque[tuple[Any, Any]] = deque()
        ahead = max(1, depth)
        photos = iter(photos)
        while True:
            for path, sha256 in photos:
                window.append(self._decode.remote(str(path), sha256))
                if len(window) >= ahead:
                    break
            if not window:
                return
            meta, ref = window.popleft()
            item, shape = self.ray.get(meta)
            if shape is None:
                yield item
            else:
                yield RemoteLoaded(item.path, item.frame, _stand_in(shape), item.failed, item.video_done,
                                   item.keep, ref)

    def detected(self, batches: Iterable[Batch], batch: int, timings: dict[str, float]) -> Iterator[Detected]:
        """Each batch with its detections, in order, two batches per actor in flight; the pixels of the frames
        with detections fetched for the driver's crops and measurements. The driver's wait for them is counted
        under `detect`."""
        from ray.util import ActorPool

        pool = ActorPool(self.actors)
        profile: Profile = self.options.profile
        sent: deque[Batch] = deque()

        def submit(items: Batch) -> None:
            good = [item for item in items if detectable(item)]
            sizes = [tile_size_of(profile, item.frame) for item in good]  # type: ignore[arg-type]
            images = [item.ref if isinstance(item, RemoteLoaded) else item.pixels for item in good]
            pool.submit(lambda actor, args: actor.detect.remote(*args), (batch, sizes, *images))
            sent.append(items)

        def take() -> Detected:
            t0 = time.perf_counter()
            found: list[Detections] = pool.get_next()
            items = sent.popleft()
            good = [item for item in items if detectable(item)]
            fetch = [item for item, dets in zip(good, found, strict=True)
                     if len(dets) and isinstance(item, RemoteLoaded)]
            for item, pixels in zip(fetch, self.ray.get([item.ref for item in fetch]), strict=True):
                item.pixels = pixels
            timings["detect"] += time.perf_counter() - t0
            return items, found

        for items in batches:
            submit(items)
            if len(sent) >= 2 * self.plan.workers:
                yield take()
        while sent:
            yield take()

    def close(self) -> None:
        for actor in getattr(self, "actors", []):
            self.ray.kill(actor, no_restart=True)
        if self.started:
            self.ray.shutdown()


Executor = Plain | RayExecutor
