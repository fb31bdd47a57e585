"""The `dronecheck` command: a thin layer that parses arguments and calls the pipeline.

Exit codes of `dronecheck scan`:
  0  done: every new photo and video was scanned
  1  error: missing weights, unusable device, unreadable ledger (nothing was scanned)
  2  bad usage or config: unknown option, bad value, bad profile, bad dronecheck.toml, bad zones file
  3  some files failed (bad photos or videos); the rest were scanned and written
  4  nothing to do: no photos or videos, or all were scanned before with the same settings and model
  5  locked: another scan is using the same ledger
With several inboxes in a config, the code is the worst of theirs (1, 2, 5, 3, 0, then 4).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from dronecheck import __version__, logs
from dronecheck.errors import BadInputError, DronecheckError, ProfileError

if TYPE_CHECKING:
    from dronecheck.config import Config, Settings
    from dronecheck.pipeline import RunResult

app = typer.Typer(help="Turn a drone flight into georeferenced inspection findings: GeoJSON for GIS, an HTML "
                       "report for the inspector.", rich_markup_mode="rich", no_args_is_help=True,
                  context_settings={"help_option_names": ["-h", "--help"]})
err = Console(stderr=True)
out = Console()

EXIT_ERROR, EXIT_CONFIG, EXIT_LOCKED = 1, 2, 5
WORST_FIRST = (EXIT_ERROR, EXIT_CONFIG, EXIT_LOCKED, 3, 0, 4)

ProfileOpt = Annotated[str, typer.Option("--profile", "-p", help="Built-in profile name (see `dronecheck "
                                         "profiles`) or the path of a profile .toml file.")]
WeightsOpt = Annotated[Path | None, typer.Option("--weights", "-w", help="YOLO weights (.pt) to use instead "
                                                    "of the profile's.", dir_okay=False,
                                                    envvar="DRONECHECK_WEIGHTS")]
DeviceOpt = Annotated[str, typer.Option("--device", "-d", help="auto (cuda, then mps, then cpu), cpu, cuda, "
                                        "cuda:N or mps.")]
ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="dronecheck.toml with defaults and "
                                                   "\\[\\[inbox]] tables; default: ./dronecheck.toml if there is one.",
                                                   envvar="DRONECHECK_CONFIG", exists=True, dir_okay=False)]
OutOpt = Annotated[Path | None, typer.Option("--out", "-o", help="Where runs are written: OUT/<flight>/<run>/. "
                                                "Default: outputs.", envvar="DRONECHECK_OUT")]
LedgerOpt = Annotated[Path | None, typer.Option("--ledger", help="The SQLite ledger of scanned photos. Default: "
                                                   "OUT/ledger.sqlite.", envvar="DRONECHECK_LEDGER",
                                                   dir_okay=False)]


def _version(value: bool) -> None:
    if value:
        out.print(f"dronecheck {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Also log run events and metadata notes "
                                          "per photo.")] = False,
) -> None:
    # Plain lines, one per event, never wrapped: they are read by people and by log collectors.
    logs.setup(verbose=verbose)


def _batch_value(value: str | None) -> int | str | None:
    """--batch: a whole number from 1, or auto."""
    if value is None or value == "auto":
        return value
    if not value.isdigit() or int(value) < 1:
        raise typer.BadParameter(f"{value!r} is not a whole number from 1, nor auto")
    return int(value)


def _error(message: object) -> None:
    """One line on stderr; the message is printed as it is (paths and [[inbox]] are not rich markup)."""
    err.print(f"[red]error:[/red] {escape(str(message))}", highlight=False)


def _fail(exc: DronecheckError, code: int = EXIT_ERROR) -> typer.Exit:
    _error(exc)
    return typer.Exit(code=code)


def _exit_code(exc: DronecheckError) -> int:
    from dronecheck.config import ConfigError
    from dronecheck.lock import LockedError

    if isinstance(exc, LockedError):
        return EXIT_LOCKED
    return EXIT_CONFIG if isinstance(exc, ProfileError | ConfigError | BadInputError) else EXIT_ERROR


@app.command()
def scan(
    path: Annotated[Path | None, typer.Argument(help="Folder of photos and videos (searched recursively), or one "
                                                "file. Default: every \\[\\[inbox]] of the config.",
                                                exists=True)] = None,
    profile: Annotated[str | None, typer.Option("--profile", "-p", envvar="DRONECHECK_PROFILE",
                                                help="Built-in profile name (see `dronecheck profiles`) or the path "
                                                "of a profile .toml file. Default: cracks.")] = None,
    weights: WeightsOpt = None,
    out_dir: OutOpt = None,
    device: Annotated[str | None, typer.Option("--device", "-d", envvar="DRONECHECK_DEVICE",
                                               help="auto (cuda, then mps, then cpu), cpu, cuda, cuda:N or mps. "
                                               "Default: auto.")] = None,
    conf: Annotated[float | None, typer.Option(help="Confidence threshold (0-1); default from the profile.",
                                                  min=0.0, max=1.0, envvar="DRONECHECK_CONF")] = None,
    iou: Annotated[float | None, typer.Option(help="IoU threshold for merging boxes (0-1); default from "
                                                 "the profile.", min=0.0, max=1.0, envvar="DRONECHECK_IOU")] = None,
    batch: Annotated[str | None, typer.Option(help="Photos (or tiles) per model call, or auto: as many as fit "
                                                 "the GPU (4 on a CPU). Default: 4.", envvar="DRONECHECK_BATCH",
                                                 callback=_batch_value)] = None,
    fps: Annotated[float | None, typer.Option(help="Video frames looked at per second of video. Default: 2.",
                                                 min=0.01, envvar="DRONECHECK_FPS")] = None,
    hfov: Annotated[float | None, typer.Option(help="Horizontal field of view of the video camera in degrees, "
                                                  "for SRT files without a focal length. Default: 71.6 (a 24 mm-"
                                                  "equivalent DJI camera).", min=1, max=179,
                                                  envvar="DRONECHECK_HFOV")] = None,
    zones: Annotated[Path | None, typer.Option(help="GeoJSON file of zones (closed areas, fishing grounds, "
                                                  "ports) for the profile's rules.", exists=True, dir_okay=False,
                                                  envvar="DRONECHECK_ZONES")] = None,
    ledger: LedgerOpt = None,
    config: ConfigOpt = None,
    wait: Annotated[bool, typer.Option("--wait", help="When another scan holds the ledger, wait for it instead "
                                       "of exiting with code 5.")] = False,
    wait_timeout: Annotated[float | None, typer.Option(help="With --wait: give up (code 5) after this many "
                                                          "seconds.", min=0)] = None,
    log_json: Annotated[bool, typer.Option("--log-json", envvar="DRONECHECK_LOG_JSON",
                                           help="Log one JSON object a line on stderr (for log collectors), "
                                           "run events included.")] = False,
) -> None:
    """Scan a flight: detect, georeference, and write findings.geojson, report.html and run.json.

    Photos (JPEG, TIFF) and videos (MP4, MOV with their DJI .SRT) are scanned when the ledger
    has not seen them with these settings and this model; a run that was killed is taken up
    where it stopped. Settings come from the flags, then DRONECHECK_*
    variables, then the config's inbox, then its top-level keys.

    Examples: dronecheck scan datasets/sample-flight --profile cracks ·
    dronecheck scan --config /etc/dronecheck.toml --log-json
    """
    from dronecheck.config import Settings

    if log_json:
        logs.setup(json_lines=True)
    flags = Settings(profile, weights, out_dir, ledger, device, conf, iou, batch, fps, hfov, zones)
    try:
        jobs = _jobs(path, flags, config)
    except DronecheckError as exc:
        raise _fail(exc, _exit_code(exc)) from None
    codes = [_scan_one(job_path, settings, (None if wait_timeout is None else wait_timeout) if wait else 0,
                       bar=not log_json) for job_path, settings in jobs]
    raise typer.Exit(code=next(c for c in WORST_FIRST if c in codes))


def _jobs(path: Path | None, flags: Settings, config_file: Path | None) -> list[tuple[Path, Settings]]:
    """(folder, settings) for each scan to run: PATH alone, or every inbox of the config."""
    from dronecheck.config import ConfigError, Settings, find_config
    from dronecheck.pipeline import DEFAULT_FPS

    cfg = find_config(config_file)
    builtin = Settings(profile="cracks", out=Path("outputs"), device="auto", batch=4, fps=DEFAULT_FPS)
    if path is not None:
        inbox = next((i.settings for i in cfg.inboxes if i.path.resolve() == path.resolve()), Settings())
        return [(path, flags.over(inbox.over(cfg.defaults)).over(builtin))]
    if not cfg.inboxes:
        where = f"{cfg.source} has no [[inbox]] tables" if cfg.source else "no ./dronecheck.toml and no --config"
        raise ConfigError(f"nothing to scan: give a PATH, or a config with [[inbox]] tables ({where})")
    for inbox in cfg.inboxes:
        if not inbox.path.is_dir():
            raise ConfigError(f"{cfg.source}: inbox {inbox.path} is not a folder")
    return [(i.path, flags.over(i.settings.over(cfg.defaults)).over(builtin)) for i in cfg.inboxes]


def _scan_one(path: Path, settings: Settings, wait: float | None, bar: bool) -> int:
    from dronecheck.pipeline import ScanOptions
    from dronecheck.pipeline import scan as run_scan
    from dronecheck.profile import load_profile

    try:
        assert settings.profile and settings.out and settings.batch and settings.fps
        options = ScanOptions(path, load_profile(settings.profile, settings.weights), settings.out, settings.device,
                              settings.conf, settings.iou, settings.batch, settings.ledger, wait,
                              fps=settings.fps, hfov_deg=settings.hfov, zones=settings.zones)
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                      TextColumn("{task.fields[name]}"), console=err, transient=True, disable=not bar) as progress:
            task = progress.add_task(f"scanning {path.name}", total=None, name="")
            run = run_scan(options, lambda done, total, name: progress.update(task, completed=done, total=total,
                                                                              name=name))
    except DronecheckError as exc:
        _error(exc)
        return _exit_code(exc)
    _summary(run)
    return run.exit_code


def _summary(run: RunResult) -> None:
    counts = run.counts
    if run.model is None:
        out.print(f"nothing to do in {run.flight}: {counts['files_already_done']} file(s), all scanned before "
                  "with this profile and model")
        return
    table = Table(title=f"{run.flight} · run {run.run_id}" + (" (resumed)" if run.resumed else ""),
                  show_header=False)
    table.add_row("photos scanned", str(counts["photos_scanned"]))
    if counts["videos_scanned"]:
        table.add_row("videos scanned", f"{counts['videos_scanned']} ({counts['video_frames_scanned']} frames)")
    table.add_row("files skipped", str(counts["files_skipped"]))
    table.add_row("already scanned before", str(counts["files_already_done"]))
    for cls, n in sorted(counts["findings_per_class"].items()):
        table.add_row(f"findings: {cls}", str(n))
    table.add_row("findings", str(counts["findings"]))
    if run.plan.track:
        table.add_row("tracks", str(counts["tracks"]))
    if run.plan.rules and run.plan.zones_file:
        table.add_row("suspected violations", str(counts["violations"]))
    table.add_row("model", f"{run.model.name} on {run.model.device}")
    table.add_row("seconds", " · ".join(f"{k} {v:.2f}" for k, v in run.timings.items()))
    table.add_row("report", str(run.run_dir / "report.html"))
    table.add_row("GeoJSON", str(run.run_dir / "findings.geojson"))
    out.print(table)


def _ledger_paths(config_file: Path | None, out_dir: Path | None, ledger: Path | None) -> list[Path]:
    """The ledgers `runs`, `report` and `export` read: the one given, else those of the config, else the default."""
    from dronecheck.config import find_config
    from dronecheck.pipeline import LEDGER_NAME

    if ledger or out_dir:
        return [ledger or out_dir / LEDGER_NAME]  # type: ignore[operator]
    cfg: Config = find_config(config_file)
    paths = []
    for s in [cfg.defaults, *(i.settings.over(cfg.defaults) for i in cfg.inboxes)]:
        path = s.ledger or (s.out or Path("outputs")) / LEDGER_NAME
        if path not in paths:
            paths.append(path)
    return paths


def _open_ledgers(config_file: Path | None, out_dir: Path | None, ledger: Path | None) -> list:
    from dronecheck.ledger import Ledger

    paths = [p for p in _ledger_paths(config_file, out_dir, ledger) if p.is_file()]
    if not paths:
        looked = ", ".join(str(p) for p in _ledger_paths(config_file, out_dir, ledger))
        _error(f"no ledger found (looked for {looked}); scan something first")
        raise typer.Exit(code=EXIT_ERROR)
    return [Ledger(p) for p in paths]


@app.command()
def runs(
    out_dir: OutOpt = None,
    ledger: LedgerOpt = None,
    config: ConfigOpt = None,
    limit: Annotated[int, typer.Option(help="Show this many runs, newest first.", min=1)] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print the runs as JSON instead of a table.")] = False,
) -> None:
    """List past runs from the ledger: when, what, how many photos and findings, how long, status."""
    rows = sorted((r for lg in _open_ledgers(config, out_dir, ledger) for r in lg.runs(limit)),
                  key=lambda r: r.started, reverse=True)[:limit]
    if as_json:
        keys = ("run_id", "flight", "inbox", "run_dir", "profile", "model", "model_sha256", "started", "finished",
                "status", "frames_scanned", "files_failed", "files_already_done", "findings", "seconds",
                "exit_code")
        out.print_json(json.dumps([{k: getattr(r, k) for k in keys} for r in rows]))
        return
    table = Table("run", "flight", "started", "status", "frames", "failed", "already done", "findings", "seconds",
                  "profile", "model")
    for r in rows:
        table.add_row(r.run_id, r.flight, r.started[:19].replace("T", " "), r.status, str(r.frames_scanned),
                      str(r.files_failed), str(r.files_already_done), str(r.findings),
                      f"{r.seconds:.1f}" if r.seconds is not None else "", r.profile, r.model)
    out.print(table)


@app.command()
def report(
    run_id: Annotated[str, typer.Argument(metavar="RUN", help="The run id, as `dronecheck runs` lists it.")],
    out_dir: OutOpt = None,
    ledger: LedgerOpt = None,
    config: ConfigOpt = None,
    zones: Annotated[Path | None, typer.Option(help="Check the profile's rules against these zones instead of "
                                                  "the run's own --zones.", exists=True, dir_okay=False)] = None,
) -> None:
    """Write the report of a past run again (report.html and its GeoJSON), from the ledger.

    Tracks and suspected violations are worked out again, with the run's zones file or the
    one given.

    Example: dronecheck report 20261123T020114Z --zones closed-areas-2027.geojson
    """
    from dronecheck.history import write_report_again

    ledgers = _open_ledgers(config, out_dir, ledger)
    holder = next((lg for lg in ledgers if lg.run(run_id)), ledgers[0])
    try:
        run = write_report_again(holder, run_id, zones)
    except DronecheckError as exc:
        raise _fail(exc, _exit_code(exc)) from None
    out.print(f"written: {run.run_dir / 'report.html'} ({len(run.findings)} findings, {len(run.analysis.tracks)} "
              f"tracks, {len(run.analysis.violations)} suspected violations)")


@app.command()
def export(
    target: Annotated[Path, typer.Option("--to", help="The GeoJSON file to write.")] = Path(
        "outputs/all-findings.geojson"),
    out_dir: OutOpt = None,
    ledger: LedgerOpt = None,
    config: ConfigOpt = None,
    profile: Annotated[str | None, typer.Option("--profile", "-p", help="Only findings of this profile.")] = None,
    since: Annotated[datetime | None, typer.Option(help="Only runs started on or after this date/time.")] = None,
) -> None:
    """Export every finding of every run in the ledger as one GeoJSON file for GIS (each finding once)."""
    from dronecheck.history import export as export_all
    from dronecheck.report.files import write_json

    if since is not None and since.tzinfo is None:
        since = since.astimezone()
    collection = export_all(_open_ledgers(config, out_dir, ledger), target, profile, since)
    write_json(target, collection)
    out.print(f"written: {target} ({len(collection['features'])} findings)")


@app.command()
def schedule(
    config: Annotated[Path, typer.Option("--config", "-c", help="The dronecheck.toml the nightly scan uses.",
                                         exists=True, dir_okay=False)],
    cron: Annotated[bool, typer.Option("--cron", help="Print a crontab line.")] = False,
    systemd: Annotated[Path | None, typer.Option("--systemd", help="Write dronecheck.service and "
                                                    "dronecheck.timer into this folder.", file_okay=False)] = None,
    at: Annotated[str, typer.Option(help="Time of day, HH:MM (local time).")] = "02:30",
    log_file: Annotated[Path, typer.Option("--log-file", help="With --cron: where the JSON log lines go.")] = Path(
        "dronecheck.log"),
) -> None:
    """Run `dronecheck scan --config` every night: print a crontab line, or write systemd units.

    Examples: dronecheck schedule --config /etc/dronecheck.toml --cron ·
    dronecheck schedule --config /etc/dronecheck.toml --systemd /etc/systemd/system
    """
    from dronecheck import schedule as sched
    from dronecheck.report.files import write_atomic

    if cron == (systemd is not None):
        _error("give exactly one of --cron and --systemd DIR")
        raise typer.Exit(code=EXIT_CONFIG)
    try:
        from dronecheck.config import load_config

        load_config(config)
        if cron:
            out.print(sched.cron_line(config, at, log_file), soft_wrap=True, highlight=False)
            return
        assert systemd is not None
        for name, text in sched.systemd_units(config, at).items():
            write_atomic(systemd / name, text.encode())
            out.print(f"written: {systemd / name}")
    except DronecheckError as exc:
        raise _fail(exc, EXIT_CONFIG) from None
    out.print("then: systemctl daemon-reload && systemctl enable --now dronecheck.timer")


@app.command()
def profiles() -> None:
    """List the built-in profiles with their model, classes and the model's scores."""
    from dronecheck import card
    from dronecheck.profile import builtin_names, load_profile

    table = Table("profile", "weights", "classes", "conf", "mAP50 (from the model card)", "description")
    for name in builtin_names():
        try:
            p = load_profile(name)
        except DronecheckError as exc:
            table.add_row(name, f"[red]{exc}[/red]", "", "", "", "")
            continue
        rows = card.read(p.weights).get("scores", [])
        scores = [f"{s['set']}: {s['map50']:.2f}" for s in rows if s["class"] == "all"]
        table.add_row(name, p.weights.name, ", ".join(p.classes), str(p.conf), "\n".join(scores) or "no card",
                      p.description)
    out.print(table)


@app.command()
def doctor() -> None:
    """Print what a bug report needs: versions, device, CUDA, weights found."""
    from dronecheck.doctor import facts

    table = Table("what", "value", show_header=False)
    for key, value in facts():
        table.add_row(key, value)
    out.print(table)


DataOpt = Annotated[Path, typer.Option("--data", help="Ultralytics data file (data.yaml) of a YOLO-format data "
                                       "set, e.g. datasets/cracks/data.yaml.", exists=True, dir_okay=False)]


@app.command()
def train(
    profile: ProfileOpt,
    data: DataOpt,
    epochs: Annotated[int, typer.Option(help="Training epochs.", min=1)] = 60,
    imgsz: Annotated[int, typer.Option(help="Training image size in pixels.", min=32)] = 384,
    batch: Annotated[int, typer.Option(help="Images per training step.", min=1)] = 16,
    start: Annotated[Path | None, typer.Option("--from", help="Start from these YOLO weights (fine-tuning); "
                                                  "default: from scratch.", exists=True, dir_okay=False)] = None,
    device: DeviceOpt = "auto",
    out_file: Annotated[Path | None, typer.Option("--out", "-o", help="Where to write the weights; the model "
                                                     "card goes beside them. Default: weights/<the profile's "
                                                     "weights name>.")] = None,
) -> None:
    """Train a detector for a profile, offline, and write the weights with their model card.

    Example: dronecheck train --profile cracks --data datasets/cracks/data.yaml --epochs 60
    """
    from dronecheck.training import train_profile

    try:
        result = train_profile(profile, data, epochs=epochs, imgsz=imgsz, batch=batch, start=start,
                               device=device, out=out_file)
    except DronecheckError as exc:
        raise _fail(exc) from None
    out.print(f"trained in {result.seconds:.0f} s on {result.device}: {result.weights} "
              f"(card: {result.weights.with_suffix('.card.md')})")


@app.command("eval")
def evaluate(
    data: DataOpt,
    weights: Annotated[Path | None, typer.Option("--weights", "-w", help="YOLO weights (.pt) to score; default: "
                                                    "the profile's.", exists=True, dir_okay=False)] = None,
    profile: Annotated[str | None, typer.Option("--profile", "-p", help="Score the way `scan` sees photos with "
                                                   "this profile: its image size, tiling and merging.")] = None,
    split: Annotated[str, typer.Option(help="Which split of the data set to score on.")] = "test",
    imgsz: Annotated[int, typer.Option(help="Image size the model sees (without --profile).", min=32)] = 640,
    device: DeviceOpt = "auto",
    json_out: Annotated[Path | None, typer.Option("--json", help="Where to write the scores as JSON. Default: "
                                                     "outputs/eval/<weights>-<data>-<split>.json.")] = None,
    card_label: Annotated[str | None, typer.Option("--card", help="Also record the scores in the weights' "
                                                      "model card under this label.")] = None,
) -> None:
    """Score weights on a data set: precision, recall, mAP50 and mAP50-95 per class.

    Example: dronecheck eval --profile cracks --data datasets/road-check/data.yaml
    """
    from dronecheck import card
    from dronecheck.evaluate import evaluate as run_eval
    from dronecheck.evaluate import evaluate_as_scan
    from dronecheck.profile import load_profile
    from dronecheck.report.files import write_json

    if weights is None and profile is None:
        _error("give --weights, --profile, or both")
        raise typer.Exit(code=2)
    try:
        if profile:
            chosen = load_profile(profile, weights)
            result = evaluate_as_scan(chosen, data, split=split, device=device)
        else:
            result = run_eval(weights, data, split=split, imgsz=imgsz, device=device)
    except DronecheckError as exc:
        raise _fail(exc) from None
    scored = Path(result["weights"])
    target = json_out or Path("outputs/eval") / f"{scored.stem}-{data.parent.name}-{split}.json"
    write_json(target, result)
    if card_label:
        card.set_scores(scored, result, card_label)
    how = f"as scan sees it ({profile})" if profile else f"at {imgsz} px"
    table = Table("class", "instances", "precision", "recall", "mAP50", "mAP50-95",
                  title=f"{scored.name} on {data.parent.name}/{split}, {how}")
    for row in result["rows"]:
        table.add_row(row["class"], str(row["instances"]),
                      *(f"{row[k]:.3f}" for k in ("precision", "recall", "map50", "map50_95")))
    out.print(table)
    out.print(f"written: {target}")
