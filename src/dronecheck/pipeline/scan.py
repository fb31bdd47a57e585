"""The scan: folder -> ingest -> detect -> georef -> analyse -> sinks, one batch of frames at a time.

Photos and video frames are read and decoded ahead in worker threads while the model runs
(bounded queues, so memory stays flat however long the flight). Each finished batch is
committed to the ledger at once; a run killed at any moment is taken up again by the next
scan of the same folder with the same settings, under the same run id. Tracks and rule
violations are worked out at the end from what the ledger holds, so a resumed run gets
them whole.

A scan has three steps: `_prepare` (what to do, and under which run), `_detect_all` (batch
by batch into the ledger) and `_finish` (analyse, write, close the run in the ledger).

With a PostgreSQL ledger several scans (on several machines) work on one inbox at once: the
scans with the same settings join one run, each claims a few photos at a time (`_detect_claimed`),
and the last one to find nothing left writes the run's outputs, once (`_finish_once`).
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from itertools import chain
from pathlib import Path
from typing import TypeVar

import numpy as np

from dronecheck.analyse.cracks import measure
from dronecheck.analyse.plan import analyse
from dronecheck.analyse.zones import Zone
from dronecheck.detect import privacy, yolo
from dronecheck.errors import ModelError
from dronecheck.geo.georef import georeference
from dronecheck.hashing import file_sha256
from dronecheck.ingest import discover
from dronecheck.ingest.ahead import Loaded, mosaic_frames, prefetched, video_frames
from dronecheck.ingest.ortho import split_mosaics
from dronecheck.ingest.video import sampled_count
from dronecheck.ledger import Ledger, RunRow, open_ledger, scan_lock
from dronecheck.pipeline import executors
from dronecheck.pipeline.ground import Ground, opened
from dronecheck.pipeline.mosaic import owned, plan_windows, window_count
from dronecheck.pipeline.outputs import write_outputs
from dronecheck.pipeline.tiles import batches, model_inputs, tile_size_of
from dronecheck.profiles import Profile, resolve_weights
from dronecheck.report.crops import blurred, write_crop, write_view
from dronecheck.report.files import make_dirs
from dronecheck.report.geojson import frame_id
from dronecheck.report.html import view_path
from dronecheck.run import RunResult, ScanOptions
from dronecheck.types import Detections, Finding, Frame, ModelInfo, Skipped

log = logging.getLogger("dronecheck")
CLAIM_POLL_S = 1.0  # how often a worker with nothing to claim looks whether the others' claims came back

T = TypeVar("T")
Progress = Callable[[int, int | None, str], None]


@dataclass
class Work:
    """What a scan has to do: photos, videos and orthomosaics, each with its sha256 (None when unreadable)."""

    photos: list[tuple[Path, str | None]]
    videos: list[tuple[Path, str | None]]
    already_done: int
    mosaics: list[tuple[Path, str | None]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.photos or self.videos or self.mosaics)


@contextmanager
def timed(timings: dict[str, float], stage: str) -> Iterator[None]:
    t0 = time.perf_counter()
    try:
        yield
    finally:
        timings[stage] += time.perf_counter() - t0


def timed_items(items: Iterable[T], timings: dict[str, float], stage: str) -> Iterator[T]:
    """`items`, with the time spent waiting for each counted under `stage`."""
    it = iter(items)
    end = object()
    while True:
        with timed(timings, stage):
            item = next(it, end)
        if item is end:
            return
        yield item  # type: ignore[misc]


def finding_id(frame: Frame, model_sha256: str, class_id: int, box: np.ndarray) -> str:
    """Stable across re-scans of the same photo bytes with the same model, whatever the file name."""
    key = f"{frame.sha256}:{frame.frame_index}:{model_sha256}:{class_id}:" + ",".join(f"{v:.1f}" for v in box)
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def settings_key(options: ScanOptions, model_sha256: str) -> str:
    """What decides the findings of a frame: profile, thresholds, how photos are tiled, how videos are
    sampled, and the model's bytes."""
    p = options.profile
    key = {"profile": p.name, "conf": options.conf_used, "iou": options.iou_used, "imgsz": p.imgsz,
           "tile_size": p.tile_size, "tile_overlap": p.tile_overlap, "target_gsd_cm": p.target_gsd_cm,
           "min_object_m": p.min_object_m, "full_pass": p.full_pass, "fps": options.fps,
           "hfov_deg": options.hfov_deg, "model": model_sha256}
    if p.blur:  # blurred crops never mix with sharp ones in a run taken up again
        key["blur"] = list(p.blur)
    if options.dem:  # only then, so that the keys of scans without a DEM stay what they were
        stat = options.dem.stat()
        key["dem"] = f"{options.dem.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]


def _flight(path: Path) -> str:
    root = path if path.is_dir() else path.parent
    return root.resolve().name or "flight"


def new_run(options: ScanOptions, ledger: Ledger) -> RunResult:
    """A run named for its start time (UTC), with -2, -3, ... when that name is taken.

    The name must be free both on disk and in the ledger: two flights scanned in the same
    second into one output folder share the ledger. Called inside `ledger.starting()`, so that two scans
    sharing a ledger never pick the same name: the one that picks it has joined the run before the other looks.
    """
    started = datetime.now(UTC)
    flight = _flight(options.path)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    run_id, n = stamp, 1
    while (options.out / flight / run_id).exists() or ledger.run(run_id) is not None:
        n += 1
        run_id = f"{stamp}-{n}"
    return RunResult(run_id, flight, options.out / flight / run_id, options.profile.name, started, options)


@dataclass
class Job:
    """One scan under way: its run, what it has to do, and what the ledger knows it by."""

    options: ScanOptions
    run: RunResult
    work: Work
    settings: str  # see settings_key
    inbox: str
    model_sha: str
    zones: list[Zone]
    ground: Ground | None = None  # the DEM given, open for the scan
    before: tuple[int, int] = (0, 0)  # frames and findings the run held when this scan took it up or joined it


def scan(options: ScanOptions, on_photo: Progress | None = None, stop: threading.Event | None = None) -> RunResult:
    """Scan the photos and videos under `options.path` that the ledger has not seen with these settings.

    Holds the ledger's lock for the whole run (LockedError when another scan has it). Bad
    files are skipped and listed; the rest are scanned, committed batch by batch, and written.
    `on_photo(frames done, frames expected or None, name)` follows the progress. When `stop`
    is set (the CLI sets it on SIGTERM) the batch in flight is committed and the run is left
    "interrupted", with no outputs written: the next scan with the same settings goes on from there.
    """
    with scan_lock(options.ledger_path, options.wait, shared=True), open_ledger(options.ledger_path) as ledger, \
            opened(options.dem) as ground:
        job = _prepare(options, ledger, ground)
        if not job.work and not job.run.resumed:
            _record_nothing_to_do(ledger, job)
            return job.run
        with executors.opened(options, job.run.timings) as executor:  # the model here, or Ray actors
            done = _detect_claimed(ledger, job, executor, on_photo, stop or threading.Event())
        if done:
            _finish_once(ledger, job)
        else:
            _record_interrupted(ledger, job)
        return job.run


def _prepare(options: ScanOptions, ledger: Ledger, ground: Ground | None = None) -> Job:
    """Check the weights and zones, take up an interrupted run or start a new one, and find the work; settle
    the take-off height on the DEM from the folder's first photo."""
    if not options.profile.weights.is_file():
        raise ModelError(f"weights file not found: {options.profile.weights}")
    zones = options.plan.zones()
    for warning in options.plan.warnings(zones):
        log.warning(warning, extra={"event": "rules_warning"})
    if options.profile.blur:
        for name in (privacy.WEIGHTS_NAME, privacy.PEOPLE_WEIGHTS_NAME):  # the privacy weights are there, or stop
            resolve_weights(name, None)
    model_sha = file_sha256(options.profile.weights)
    settings = settings_key(options, model_sha)
    inbox = str(options.path.resolve())
    with ledger.starting():  # a shared ledger: join the open run of this inbox, take up a dead one, or start one
        interrupted = ledger.interrupted(inbox, settings)
        run = _resume(ledger, interrupted, options) if interrupted else new_run(options, ledger)
        run.plan = options.plan
        job = Job(options, run, Work([], [], 0), settings, inbox, model_sha, zones, ground,
                  (len(run.frames), len(run.findings)))
        if ledger.shared:
            ledger.join(_row(job, "running"))
    found = discover(options.path)
    run.ignored = [_relative(p, options.path) for p in found.ignored]
    with timed(run.timings, "hash"):
        photos, mosaics = split_mosaics(found.photos)
        work = _todo(ledger, photos, found.videos, settings, run, mosaics)
    run.already_done = work.already_done
    if ground:
        ground.settle(photos)
    job.work = work
    return job


def _start_detection(ledger: Ledger, job: Job, executor: executors.Executor) -> int:
    """The run's model, folder and ledger row, and the run_started line: once per scan (once per worker on a
    shared ledger, before its first claim). The batch size."""
    options, run = job.options, job.run
    batch = options.batch if isinstance(options.batch, int) else executor.auto_batch()
    run.model = model_info(executor.detector, options.profile)
    make_dirs(run.run_dir)
    ledger.start_run(_row(job, "running"))
    log.info("run %s started: %d photo(s) and %d video(s) to scan in %s, %d already done", run.run_id,
             len(job.work.photos), len(job.work.videos), options.path, run.already_done,
             extra={"event": "run_started", "run": run.run_id, "photos": len(job.work.photos),
                    "videos": len(job.work.videos), "batch": batch})
    return batch


def _detect_all(ledger: Ledger, job: Job, executor: executors.Executor, batch: int, on_photo: Progress | None,
                stop: threading.Event) -> bool:
    """Every frame of `job.work`, batch by batch: detected (here or by the executor's workers, in the order of the
    batches), georeferenced, cropped and committed to the ledger. False when `stop` was set before the last batch."""
    options, run, detector = job.options, job.run, executor.detector
    total = _expected_frames(job.work, options.fps, options.profile)
    done = 0
    loaded = timed_items(_frames(job.work, options, run, batch, executor.read_photos), run.timings, "read")
    todo = batches(loaded, batch, lambda item: model_inputs(item, options.profile))
    for items, detected in executor.detected(todo, batch, run.timings):
        if stop.is_set():  # checked once the next batch is there: a stop after the last batch stops nothing
            return False
        frames, findings, failures, videos = _scan_batch(run, detector, items, batch, job.ground, detected)
        ledger.record_batch(run.run_id, job.settings, frames, findings, run.crops, failures, videos)
        done += len(frames) + len(failures)
        if on_photo:
            on_photo(done, total, items[-1].path.name)
        del items  # the batch's pixels go before the next photo is decoded, not after
    return True


def _finish(ledger: Ledger, job: Job) -> None:
    """Tracks and violations from everything the run holds, the output files, and the run closed in the ledger."""
    run = job.run
    run.ground = job.ground.record() if job.ground else {}
    with timed(run.timings, "analyse"):
        run.analysis = analyse(run.frames, run.findings, run.plan, job.zones)
    run.verdicts = ledger.verdicts(f.id for f in run.findings)  # a finding seen before keeps its verdict
    with timed(run.timings, "write"):
        write_outputs(run)
    ledger.finish_run(run.run_id, **_summary_columns(run))
    log.info("run %s %s: %d frame(s) scanned, %d file(s) failed, %d finding(s), %d track(s), %d violation(s) in "
             "%.1f s", run.run_id, run.status, len(run.frames), len(run.skipped), len(run.findings),
             len(run.analysis.tracks), len(run.analysis.violations), sum(run.timings.values()),
             extra={"event": "run_finished", "run": run.run_id, "status": run.status, **run.counts})


def _finish_once(ledger: Ledger, job: Job) -> None:
    """`_finish`; on a shared ledger only by the worker that gets the run's finish lock first, once no other
    worker's claim is outstanding, from everything every worker committed. The others keep their own part."""
    if not ledger.shared:
        _finish(ledger, job)
        return
    run = job.run
    with ledger.finishing(run.run_id) as first:
        if first:
            while ledger.outstanding(run.run_id):  # a claim made as the run closed: wait for its batch
                time.sleep(CLAIM_POLL_S)
            frames, findings, crops, failures = ledger.run_contents(run.run_id)
            run.frames, run.findings, run.crops = frames, findings, crops
            run.skipped = [Skipped(path, reason) for path, reason in failures]
            make_dirs(run.run_dir)
            _finish(ledger, job)
        else:
            frames_before, findings_before = job.before
            run.frames, run.findings = run.frames[frames_before:], run.findings[findings_before:]
            run.part = True
            log.info("run %s: %s did %d frame(s); another worker writes the run's outputs", run.run_id,
                     ledger.worker, len(run.frames), extra={"event": "worker_finished", "run": run.run_id,
                                                             "worker": ledger.worker, "frames": len(run.frames)})
    ledger.worker_done("finished" if first else "done")


def _detect_claimed(ledger: Ledger, job: Job, executor: executors.Executor, on_photo: Progress | None,
                    stop: threading.Event) -> bool:
    """The claim step: `_detect_all` of all the work where one scan holds the ledger; on a shared ledger, of a
    few photos (or one video or orthomosaic) claimed at a time until nothing is left to claim and no other live
    worker holds a claim (whose work would come back if it died). False when `stop` was set."""
    run = job.run
    progress = _Throughput(run.run_id, ledger.worker or f"{socket.gethostname()}:{os.getpid()}", on_photo,
                           ledger.shared)
    batch = _start_detection(ledger, job, executor)
    if not ledger.shared:
        return _detect_all(ledger, job, executor, batch, progress, stop)
    units = _units(job.work, job.options.path)
    keys = list(units)
    weights = [1 if units[k].photos else batch for k in keys]  # a video or orthomosaic is claimed whole
    while not stop.is_set():
        got, progress.queue = ledger.claim(run.run_id, job.settings, keys, weights, batch)
        if got:
            job.work = Work([p for k in got for p in units[k].photos], [v for k in got for v in units[k].videos],
                            0, [m for k in got for m in units[k].mosaics])
            progress.next_chunk()
            if not _detect_all(ledger, job, executor, batch, progress, stop):
                break
            ledger.claims_done(job.settings, got)
        elif ledger.outstanding(run.run_id):
            time.sleep(CLAIM_POLL_S)
        else:
            return True
    ledger.release()
    return False


def _units(work: Work, root: Path) -> dict[str, Work]:
    """The work by what a worker claims: a photo's, video's or mosaic's sha256 (copies of one file together), or
    for a file that cannot be read the sha256 of its name."""
    units: dict[str, Work] = {}
    for kind in ("photos", "videos", "mosaics"):
        for path, sha in getattr(work, kind):
            name = hashlib.sha256(os.fsencode(_relative(path, root))).hexdigest()
            unit = units.setdefault(sha or f"unreadable:{name}", Work([], [], 0))
            getattr(unit, kind).append((path, sha))
    return units


@dataclass
class _Throughput:
    """The progress `_detect_all` reports, passed on, and logged per batch committed: the worker, its frames and
    frames/s, and the queue (frames left unclaimed on a shared ledger, where a video or orthomosaic not yet claimed
    counts as one; else frames left to do, None when a video does not say how long it is)."""

    run_id: str
    worker: str
    on_photo: Progress | None
    shared: bool
    queue: int | None = None
    frames: int = 0  # this worker's, committed
    in_chunk: int = 0
    started: float = field(default_factory=time.monotonic)
    last: float = field(default_factory=time.monotonic)

    def next_chunk(self) -> None:
        self.in_chunk, self.last = 0, time.monotonic()

    def __call__(self, done: int, total: int | None, name: str) -> None:
        now = time.monotonic()
        n, self.in_chunk = done - self.in_chunk, done
        self.frames += n
        rate, self.last = n / max(now - self.last, 1e-6), now
        queue = self.queue if self.shared else (None if total is None else total - self.frames)
        log.info("%s: %d frame(s) committed, %.2f frames/s, %s left", self.worker, n, rate,
                 "?" if queue is None else queue,
                 extra={"event": "batch_done", "run": self.run_id, "worker": self.worker, "frames": n,
                        "frames_done": self.frames, "frames_per_s": round(rate, 3),
                        "worker_frames_per_s": round(self.frames / max(now - self.started, 1e-6), 3),
                        "queue_depth": queue})
        if self.on_photo:
            self.on_photo(self.frames, None if self.shared else total, name)


def model_info(detector: yolo.Detector, profile: Profile) -> ModelInfo:
    """The record of the detector that ran, with the profile's rules for tiling each frame."""
    d = detector
    return ModelInfo(d.weights, d.name, d.sha256, d.device, d.class_names, d.conf, d.iou, d.imgsz, d.tile_size,
                     d.tile_overlap, profile.min_object_m, profile.target_gsd_cm, d.full_pass, profile.codes)


def _resume(ledger: Ledger, row: RunRow, options: ScanOptions) -> RunResult:
    """The interrupted run `row` with the frames it finished, ready to go on; its failures are tried again. A run
    still open (other workers on it, a shared ledger) is joined as it is: their failures and files stay."""
    frames, findings, crops, _ = ledger.run_contents(row.run_id)
    if ledger.shared and row.status != "interrupted":  # (an SQLite ledger's killed run may still say running)
        log.info("joining run %s, %d frame(s) done so far", row.run_id, len(frames),
                 extra={"event": "run_joined", "run": row.run_id, "photos_done": len(frames)})
    else:
        ledger.clear_failures(row.run_id)
        if row.run_dir:
            for partial in Path(row.run_dir).rglob(".*.tmp"):  # a write the kill cut short
                partial.unlink()
        log.warning("resuming run %s, interrupted after %d frame(s)", row.run_id, len(frames),
                    extra={"event": "run_resumed", "run": row.run_id, "photos_done": len(frames)})
    return RunResult(row.run_id, row.flight, Path(row.run_dir or options.out / row.flight / row.run_id),
                     options.profile.name, datetime.fromisoformat(row.started), options, frames, findings, crops,
                     resumed=True)


def _todo(ledger: Ledger, photos: list[Path], videos: list[Path], settings: str, run: RunResult,
          mosaics: list[Path]) -> Work:
    """The photos, videos and orthomosaics not yet scanned with these settings (known by content, not by name),
    and how many of them earlier runs did. Those this run did before it was killed are neither. A mosaic is
    done as a video is: when all its windows are (the ledger's videos table)."""
    done, videos_done = ledger.done(settings), ledger.videos_done(settings)
    mine = {f.sha256 for f in run.frames}
    work = Work([], [], 0)
    for path in photos:
        sha = _sha256_cached(ledger, path)
        if sha not in done:
            work.photos.append((path, sha))
        elif sha not in mine:
            work.already_done += 1
    for path, todo in chain(((p, work.videos) for p in videos), ((p, work.mosaics) for p in mosaics)):
        sha = _sha256_cached(ledger, path)
        if sha is None or sha not in videos_done:
            todo.append((path, sha))
        elif videos_done[sha] != run.run_id:
            work.already_done += 1
    return work


def _sha256_cached(ledger: Ledger, path: Path) -> str | None:
    """The file's sha256, from the ledger's cache when its size and time are unchanged; None when it cannot be
    read (a FIFO named like a photo, say): reading it will fail and say why."""
    try:
        stat = path.stat()
        sha = ledger.cached_sha256(path.resolve(), stat.st_size, stat.st_mtime_ns)
        if sha is None:
            sha = file_sha256(path)
            ledger.remember_sha256(path.resolve(), stat.st_size, stat.st_mtime_ns, sha)
        return sha
    except OSError:
        return None  # unreadable: reading it will fail and say why


def _frames(work: Work, options: ScanOptions, run: RunResult, batch: int,
            read_photos: Callable[[list[tuple[Path, str | None]], int], Iterator[Loaded]]) -> Iterator[Loaded]:
    """Every photo, then every video's frames, decoded ahead; frames this run did before a kill are left out.

    Two batches are decoded ahead, or two photos when the profile tiles: one large photo fills
    many model calls, and holding a dozen decoded 100-megapixel photos would not fit in memory.
    """
    tiles = options.profile.tile_size or options.profile.target_gsd_cm
    depth = options.read_ahead or (2 if tiles else 2 * batch)
    mine = frozenset(f.sha256 for f in run.frames)
    videos = (prefetched(video_frames(path, sha, fps=options.fps, hfov_deg=options.hfov_deg, skip=mine), depth)
              for path, sha in work.videos)
    plan = functools.partial(plan_windows, options.profile)
    mosaics = (prefetched(mosaic_frames(path, sha, plan, skip=mine), 2) for path, sha in work.mosaics)
    return chain(read_photos(work.photos, depth), chain.from_iterable(videos), chain.from_iterable(mosaics))


def _expected_frames(work: Work, fps: float, profile: Profile) -> int | None:
    """Frames the scan will look at, for the progress bar (a mosaic's windows, nodata ones too); None when a
    video does not say how long it is."""
    counts = [sampled_count(path, fps) for path, _ in work.videos] + [window_count(p, profile) for p, _ in work.mosaics]
    return None if None in counts else len(work.photos) + sum(c or 0 for c in counts)


def _info(run: RunResult) -> dict[str, object]:
    """What `dronecheck runs` and `report RUN` need beyond the columns: model, options, analysis plan, timings,
    ignored files."""
    assert run.options is not None
    return {"model": run.model.to_dict() if run.model else None, "options": run.options.to_dict(),
            "plan": run.plan.to_dict(), "ignored": run.ignored, "timings_s": run.timings}


def _row(job: Job, status: str) -> RunRow:
    run = job.run
    run_dir = str(run.run_dir.resolve()) if run.model else None
    return RunRow(run.run_id, run.flight, job.inbox, run_dir, job.settings, run.profile,
                  job.options.profile.weights.name, job.model_sha, run.started.isoformat(), None, status, os.getpid(),
                  0, 0, run.already_done, 0, None, None, json.dumps(_info(run)))


def _summary_columns(run: RunResult) -> dict[str, object]:
    finished = run.finished or datetime.now(UTC)
    return {"finished": finished.isoformat(), "status": run.status, "frames_scanned": len(run.frames),
            "files_failed": len(run.skipped), "files_already_done": run.already_done,
            "findings": len(run.findings), "seconds": round((finished - run.started).total_seconds(), 3),
            "exit_code": int(run.exit_code), "info": json.dumps(_info(run))}


def _record_interrupted(ledger: Ledger, job: Job) -> None:
    """The run left interrupted, unless other workers of a shared ledger are still on it."""
    run = job.run
    run.interrupted = True
    if ledger.shared:
        ledger.worker_done("interrupted")
    if not any(w.live for w in ledger.workers([run.run_id])):
        ledger.finish_run(run.run_id, **_summary_columns(run))
    log.warning("run %s interrupted after %d frame(s); the next scan of %s with the same settings goes on from "
                "there", run.run_id, len(run.frames), job.options.path,
                extra={"event": "run_interrupted", "run": run.run_id, "frames": len(run.frames)})


def _record_nothing_to_do(ledger: Ledger, job: Job) -> None:
    run = job.run
    run.finished = datetime.now(UTC)
    ledger.start_run(_row(job, "nothing-to-do"))
    ledger.finish_run(run.run_id, **_summary_columns(run))
    if ledger.shared:
        ledger.worker_done("done")
    log.info("nothing to do in %s: %d file(s), all scanned before with these settings", job.options.path,
             run.already_done, extra={"event": "nothing_to_do", "files_already_done": run.already_done})


def _relative(path: Path, root: Path) -> str:
    return str(path.relative_to(root)) if root.is_dir() and path.is_relative_to(root) else path.name


def _shown(run: RunResult, frame: Frame, pixels: np.ndarray) -> tuple[np.ndarray, Frame]:
    """What the report may show of a frame: its pixels with the people and vehicles the profile's `blur` names
    blurred (a copy: the photo itself is never touched), and the frame with what was blurred in it."""
    assert run.options is not None
    classes = run.options.profile.blur
    with timed(run.timings, "detect"):
        detector = privacy.load(resolve_weights(privacy.WEIGHTS_NAME, None),
                                resolve_weights(privacy.PEOPLE_WEIGHTS_NAME, None), run.options.device)
        found = privacy.find(detector, [pixels], classes)[0]
    names = [detector.class_names[int(c)] for c in found.class_id]
    counts = tuple((c, names.count(c)) for c in classes if c in names)
    return blurred(pixels, found.xyxy), replace(frame, blurred=counts)


def _scan_batch(run: RunResult, detector: yolo.Detector, items: list[Loaded], batch: int, ground: Ground | None,
                detected: list[Detections] | None
                ) -> tuple[list[Frame], list[Finding], list[tuple[str, str]], list[tuple[str, str, int]]]:
    """Detect (unless an executor's workers did: `detected`, one per frame that goes to the model), georeference
    and crop one batch; return what the ledger must record of it: frames, findings, failed files and finished
    videos."""
    assert run.options is not None
    failures, videos, good = [], [], []
    for item in items:
        if item.video_done is not None:
            videos.append((item.video_done[0], str(item.path), item.video_done[1]))
        elif not executors.detectable(item):
            name, reason = _relative(item.path, run.options.path), item.failed or "unreadable"
            log.warning("skipped %s: %s", name, reason, extra={"event": "photo_failed", "photo": name,
                                                                 "reason": reason})
            run.skipped.append(Skipped(name, reason))
            failures.append((name, reason))
        else:
            good.append((item.frame, item.pixels, item.keep))
    profile = run.options.profile
    if detected is None:
        with timed(run.timings, "detect"):
            detected = detector.detect([pixels for _, pixels, _ in good], batch,
                                       tile_sizes=[tile_size_of(profile, frame) for frame, _, _ in good])
    frames, findings = [], []
    for (frame, pixels, keep), found in zip(good, detected, strict=True):
        dets = owned(found, keep)  # a mosaic window keeps what lies on its side of its overlaps
        with timed(run.timings, "georef"):
            ids = [finding_id(frame, detector.sha256, int(c), b) for c, b in zip(dets.class_id, dets.xyxy, strict=True)]
            terrain = ground.terrain(frame) if ground and len(dets) else None  # the DEM window read once a frame
            placed = georeference(frame, dets, detector.class_names, ids, terrain)
        with timed(run.timings, "measure"):
            placed = [measure(f, pixels, profile.width_classes_mm) if f.class_name in profile.trace else f
                      for f in placed]
        if placed and profile.blur:
            shown, frame = _shown(run, frame, pixels)
            placed = [replace(f, frame=frame) for f in placed]  # the frame now says what was blurred in it
        else:
            shown = pixels
        with timed(run.timings, "write"):
            for f in placed:
                rel = f"crops/{f.id}.jpg"
                write_crop(shown, f.box_px, run.run_dir / rel)
                run.crops[f.id] = rel
            if placed:
                write_view(shown, run.run_dir / view_path(frame_id(frame)))
        for note in frame.notes:
            log.info("%s: %s", frame.name, note)
        frames.append(frame)
        findings.extend(placed)
    run.frames.extend(frames)
    run.findings.extend(findings)
    return frames, findings, failures, videos
