"""Benchmark: scaling out. Photos per second of `--executor plain` and `--executor ray` (`executor_figures`), and a
PostgreSQL ledger under N scans at once (`ledger_figures`).

Executors: the demo flight repeated (`--photos`, default 40), the same model, batch and cores for each; the plain
executor with `--cores` torch threads, then a local Ray cluster of `--cores` CPUs with 1, 2 and 4 detector actors
sharing those cores (so 4 actors run 4 threads on 2 cores); photos/s and the ratio to the plain executor.

Ledger: N = 1, 2, 4, 8 writers, on loopback (a Unix socket).

Each writer is a process with its own connection, as each scan is. Two figures for each N, in batches committed
per second by all writers together:

- `record_batch`: the commit alone (bench/ledger.py's, `--frames` frames of `--findings` findings each), each writer
  its own photos;
- `claim + commit`: what a worker of a shared inbox does per batch: claim the next `--frames` free photos of one
  inbox all writers share (`--inbox` photos), commit them, mark the claims done.

Bounded in count (`--commits` per writer) and in time (`--seconds` per figure). The server is started for the
run (tests/postgres.py, durable: fsync on) on this machine, or `--url` is used; so the figures say what the
database costs under contention, not what a network adds.

    .venv/bin/python bench/scale.py                       # both parts
    .venv/bin/python bench/scale.py --part executors --photos 40 --ray-workers 1 2 4
    .venv/bin/python bench/scale.py --part ledger --commits 200 --seconds 3 --writers 1 2 4
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from dronecheck.ledger import RunRow, open_ledger

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from ledger import FRAME, batch  # noqa: E402  (bench/ledger.py)

SETTINGS = "s"
FLIGHT = ROOT / "datasets" / "sample-flight"  # ten real 1280x960 road photos with their GPS and camera metadata


# --- executors: photos per second of `--executor plain` and `--executor ray` -------------------------------


def executors_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--photos", type=int, default=40, help="executors: photos (the demo flight repeated)")
    parser.add_argument("--ray-workers", type=int, nargs="+", default=[1, 2, 4], help="executors: Ray actors")
    parser.add_argument("--cores", type=int, default=2, help="executors: CPUs of the local Ray cluster, and the "
                        "torch threads of the plain executor; Ray's actors share them")
    parser.add_argument("--profile", default="cracks", help="executors: the profile (its model and thresholds)")
    parser.add_argument("--batch", type=int, default=4, help="executors: photos per model call")
    parser.add_argument("--rounds", type=int, default=1, help="executors: timed scans of each (median)")


def repeated_flight(n: int, folder: Path) -> Path:
    """`n` photos: the demo flight over and over, each copy made distinct (a number after the JPEG's end, which
    decoders ignore) so that the ledger sees `n` photos; the same pixels and metadata as the originals."""
    folder.mkdir(parents=True, exist_ok=True)
    sources = sorted(FLIGHT.glob("*.JPG"))
    for i in range(n):
        src = sources[i % len(sources)]
        (folder / f"{i:04d}_{src.name}").write_bytes(src.read_bytes() + f"copy {i}".encode())
    return folder


def one_scan(options: Any) -> tuple[float, float, int, dict[str, float]]:
    """(seconds of the scan, of which loading the model(s) and starting Ray, findings, timings)."""
    from dronecheck.pipeline.scan import scan

    t0 = time.perf_counter()
    run = scan(options)
    seconds = time.perf_counter() - t0
    assert run.exit_code == 0, run.status
    return seconds, run.timings["load_model"], len(run.findings), run.timings


def executor_figures(args: argparse.Namespace) -> None:
    """Photos per second of the plain executor and of Ray with each of `--ray-workers` local actors, on the same
    photos with the same model, batch and cores; each against the plain executor. The rate leaves out loading
    the model(s) (and starting the actors), which a long night pays once."""
    import os
    import shutil
    import statistics
    import tempfile

    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    import ray

    from dronecheck.pipeline.executors import plan_workers
    from dronecheck.profiles import load_profile
    from dronecheck.run import ScanOptions

    profile = load_profile(args.profile)
    work = Path(tempfile.mkdtemp(prefix="dronecheck-scale-"))
    flight = repeated_flight(args.photos, work / "flight")
    ray.init(num_cpus=args.cores, include_dashboard=False, _node_ip_address="127.0.0.1", configure_logging=False,
             log_to_driver=False)
    rows: list[tuple[str, str, float, float, int]] = []
    try:
        object_store_ms = put_get_ms(ray)
        configs: list[tuple[str, dict[str, Any]]] = [("plain", {})]
        configs += [(f"ray {n}", {"executor": "ray", "workers": n}) for n in args.ray_workers]
        os.environ["DRONECHECK_THREADS"] = str(args.cores)  # the plain executor's threads; actors set their own
        for name, extra in configs:
            rates, loads, found = [], [], 0
            for r in range(args.rounds):
                out = work / f"out-{name.replace(' ', '')}-{r}"
                seconds, load, found, _ = one_scan(ScanOptions(flight, profile, out, device="cpu", batch=args.batch,
                                                               **extra))
                rates.append(args.photos / (seconds - load))
                loads.append(load)
                shutil.rmtree(out)
            if extra:
                plan = plan_workers({"CPU": float(args.cores)}, "cpu", extra["workers"], None)
                shape = f"{plan.workers} actor(s) x {plan.cpus:g} CPU, {plan.threads} thread(s) each"
            else:
                shape = f"this process, {args.cores} threads"
            rows.append((name, shape, statistics.median(rates), statistics.median(loads), found))
    finally:
        ray.shutdown()
        shutil.rmtree(work, ignore_errors=True)
    plain = rows[0][2]
    print(f"executors: {args.photos} photos of 1280x960 (the demo flight repeated), profile {args.profile} "
          f"({profile.weights.name}), batch {args.batch}, --device cpu, {args.cores} cores shared by every worker, "
          f"median of {args.rounds} scan(s); photos/s leave out the start-up (model load, Ray actors)")
    print(f"{'executor':>9}  {'workers':<36} {'photos/s':>9} {'ratio':>6} {'start-up s':>10} {'findings':>8}")
    for name, shape, rate, load, found in rows:
        print(f"{name:>9}  {shape:<36} {rate:>9.3f} {rate / plain:>5.2f}x {load:>10.1f} {found:>8}")
    print(f"object store: a 20 MP photo's pixels (5472x3648x3) put and got back locally in {object_store_ms:.1f} ms")


def put_get_ms(ray: Any) -> float:
    """Milliseconds to put a decoded 20 MP photo in Ray's object store and get it back (median of 5)."""
    import statistics

    import numpy as np

    pixels = np.random.default_rng(0).integers(0, 255, (3648, 5472, 3), dtype=np.uint8)
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        ref = ray.put(pixels)
        back = ray.get(ref)
        times.append((time.perf_counter() - t0) * 1000)
        assert back.shape == pixels.shape
        del ref, back
    return statistics.median(times)


def _row(run_id: str) -> RunRow:
    return RunRow(run_id, "flight", "/inbox", None, SETTINGS, "cracks", "m.pt", "x", "2026-12-01T01:00:00+00:00", None,
                  "running", None, 0, 0, 0, 0, None, None, None)


def _writer(url: str, index: int, claiming: bool, run_id: str, keys: list[str], args: argparse.Namespace,
            ready: Any, results: Any) -> None:
    with open_ledger(url) as ledger:
        with ledger.starting():
            ledger.join(_row(run_id))
        own = [batch(index * 1_000_000 + n, args.frames, args.findings) for n in range(args.commits)]
        template = batch(0, 1, args.findings)[1]  # one frame's findings, given each claimed photo
        ready.wait()
        started, done = time.perf_counter(), 0
        while done < args.commits and time.perf_counter() - started < args.seconds:
            if claiming:
                got, _ = ledger.claim(run_id, SETTINGS, keys, [1] * len(keys), args.frames)
                if not got:
                    break
                frames = [replace(FRAME, path=FRAME.path.with_name(f"{k[-8:]}.JPG"), sha256=k) for k in got]
                findings = [replace(f, id=f"{fr.sha256[-10:]}{j}", frame=fr) for fr in frames
                            for j, f in enumerate(template)]
                ledger.record_batch(run_id, SETTINGS, frames, findings, {}, [])
                ledger.claims_done(SETTINGS, got)
            else:
                frames, findings = own[done]
                ledger.record_batch(run_id, SETTINGS, frames, findings, {f.id: f"crops/{f.id}.jpg" for f in findings},
                                    [])
            done += 1
        results.put((done, time.perf_counter() - started))


def commits_per_second(url: str, writers: int, claiming: bool, args: argparse.Namespace) -> float:
    run_id = f"bench-{'claim' if claiming else 'commit'}-{writers}"
    keys = [f"{run_id}-{i:08d}".rjust(64, "0") for i in range(args.inbox)]
    context = mp.get_context("spawn")
    ready, results = context.Barrier(writers), context.Queue()
    procs = [context.Process(target=_writer, args=(url, i, claiming, run_id, keys, args, ready, results))
             for i in range(writers)]
    for p in procs:
        p.start()
    got = [results.get(timeout=args.seconds + 120) for _ in procs]
    for p in procs:
        p.join()
    return sum(n for n, _ in got) / max(s for _, s in got)


def ledger_figures(args: argparse.Namespace) -> None:
    """The PostgreSQL ledger's part: batches committed per second for each number of writers."""

    def run(url: str) -> list[tuple[int, float, float]]:
        open_ledger(url).close()  # the tables, once, before the writers race to make them
        return [(n, commits_per_second(url, n, False, args), commits_per_second(url, n, True, args))
                for n in args.writers]

    if args.url:
        figures = run(args.url)
    else:
        sys.path.insert(0, str(ROOT / "tests"))
        from postgres import temporary_server

        with temporary_server(durable=True) as server:
            figures = run(server.create("bench"))
    print(f"PostgreSQL ledger, loopback, batches of {args.frames} frames ({args.frames * args.findings} findings); "
          f"at most {args.commits} batches per writer or {args.seconds:g} s; shared inbox of {args.inbox} photos")
    print(f"{'writers':>7}  {'record_batch':>14}  {'claim + commit':>16}   (batches/s, all writers together)")
    for n, plain, claimed in figures:
        print(f"{n:>7}  {plain:>14.0f}  {claimed:>16.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", choices=("all", "executors", "ledger"), default="all",
                        help="executors: photos/s of --executor plain and ray; ledger: PostgreSQL commits/s")
    executors_arguments(parser)
    parser.add_argument("--writers", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--commits", type=int, default=500, help="at most this many batches per writer")
    parser.add_argument("--seconds", type=float, default=5.0, help="at most this long per figure")
    parser.add_argument("--frames", type=int, default=4, help="frames per batch")
    parser.add_argument("--findings", type=int, default=2, help="findings per frame")
    parser.add_argument("--inbox", type=int, default=2000, help="photos of the shared inbox the claims are made in")
    parser.add_argument("--url", help="a PostgreSQL database to use (its ledger tables are made there)")
    args = parser.parse_args()
    if args.part in ("all", "executors"):
        executor_figures(args)
    if args.part in ("all", "ledger"):
        ledger_figures(args)


if __name__ == "__main__":
    main()
