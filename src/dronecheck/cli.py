"""The `dronecheck` command: it parses arguments, calls the pipeline, and turns errors into one
line and an exit code (`ExitCode`, the README's table) in one place, `Boundary`. With --debug
that place shows the traceback too.
"""

from __future__ import annotations

import json
import signal
import threading
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from typer.core import TyperGroup

from dronecheck import __version__
from dronecheck.config import DEFAULT_CRS, DEFAULT_OUT, RANGES, Settings, parse_batch, parse_crs
from dronecheck.errors import ConfigError, DronecheckError
from dronecheck.ledger.records import is_url, shown
from dronecheck.ops import logs
from dronecheck.types import WORST_FIRST, ExitCode

if TYPE_CHECKING:
    from dronecheck.run import RunResult

err = Console(stderr=True)
out = Console()


def _error(message: object) -> None:
    """One line on stderr; the message is printed as it is (paths and [[inbox]] are not rich markup)."""
    err.print(f"[red]error:[/red] {escape(str(message))}", highlight=False, soft_wrap=True)  # one line, however long


def fail(exc: BaseException, debug: bool) -> ExitCode:
    """Say what went wrong in one line (and, with --debug, where) and give the exit code for it."""
    if debug:
        err.print(escape("".join(traceback.format_exception(exc))), highlight=False)
    if isinstance(exc, DronecheckError):
        _error(exc)
        return exc.exit_code
    _error(f"unexpected {type(exc).__name__}: {exc} (run with --debug for the traceback, and please report it)")
    return ExitCode.ERROR


class Boundary(TyperGroup):
    """Every command runs inside this: an error that reaches it becomes one line and an exit code."""

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):  # exits and usage errors: typer says them
            raise
        except Exception as exc:
            raise typer.Exit(code=fail(exc, bool(ctx.obj and ctx.obj.get("debug")))) from None


app = typer.Typer(cls=Boundary, help="Turn a drone flight into georeferenced inspection findings: GeoJSON for GIS, "
                  "an HTML report for the inspector.", rich_markup_mode="rich", no_args_is_help=True,
                  pretty_exceptions_enable=False, context_settings={"help_option_names": ["-h", "--help"]})


def _number(key: str, help_text: str, envvar: str) -> Any:
    """A number option with the range the config file checks too (config.RANGES)."""
    low, high = RANGES[key]
    return typer.Option(help=help_text, min=low, max=high, envvar=envvar)


def _ledger_value(value: str | None) -> Path | str | None:
    """--ledger: a postgresql:// URL as it is, else the path of an SQLite file."""
    return value if value is None or is_url(value) else Path(value)


def _batch_value(value: str | None) -> int | str | None:
    """--batch: a whole number, or auto (config.parse_batch)."""
    try:
        return None if value is None else parse_batch(value)
    except ConfigError as exc:
        raise typer.BadParameter(str(exc)) from None


ProfileOpt = Annotated[str | None, typer.Option("--profile", "-p", envvar="DRONECHECK_PROFILE",
                                                help="Built-in profile name (see `dronecheck profiles`) or the path "
                                                "of a profile .toml file.")]
WeightsOpt = Annotated[Path | None, typer.Option("--weights", "-w", help="YOLO weights (.pt) to use instead "
                                                    "of the profile's.", dir_okay=False,
                                                    envvar="DRONECHECK_WEIGHTS")]
DeviceOpt = Annotated[str | None, typer.Option("--device", "-d", envvar="DRONECHECK_DEVICE",
                                               help="auto (cuda, then mps, then cpu), cpu, cuda, cuda:N or mps. "
                                               "Default: auto.")]
ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="dronecheck.toml with defaults and "
                                                   "\\[\\[inbox]] tables; default: ./dronecheck.toml if there is one.",
                                                   envvar="DRONECHECK_CONFIG", exists=True, dir_okay=False)]
OutOpt = Annotated[Path | None, typer.Option("--out", "-o", help="Where runs are written: OUT/<flight>/<run>/. "
                                                f"Default: {DEFAULT_OUT}.", envvar="DRONECHECK_OUT")]
LedgerOpt = Annotated[str | None, typer.Option("--ledger", help="The ledger of scanned photos: an SQLite file, "
                                                  "or a PostgreSQL database (postgresql://...) that several "
                                                  "machines share. Default: OUT/ledger.sqlite.",
                                                  envvar="DRONECHECK_LEDGER", callback=_ledger_value)]
ZonesOpt = Annotated[Path | None, typer.Option("--zones", help="GeoJSON file of zones (closed areas, fishing "
                                                  "grounds, ports) for the profile's rules.", exists=True,
                                                  dir_okay=False, envvar="DRONECHECK_ZONES")]
CrsOpt = Annotated[str | None, typer.Option("--crs", envvar="DRONECHECK_CRS", help="CRS of the GeoPackage's "
                                           "layers and the CSV's x/y, as an EPSG code, e.g. EPSG:28992 (RD New); "
                                           "GeoJSON and KML stay WGS84. Default: EPSG:4326.")]
LangOpt = Annotated[str | None, typer.Option("--lang", envvar="DRONECHECK_LANG", help="nl or en: the language of "
                                            "the report, the factsheet and the scan summary. Default: the config's "
                                            "lang, else the profile's (nl for the built-in ones), else en.")]
DataOpt = Annotated[Path, typer.Option("--data", help="Ultralytics data file (data.yaml) of a YOLO-format data "
                                       "set, e.g. datasets/cracks/data.yaml.", exists=True, dir_okay=False)]


def _crs_code(value: str | None) -> int | None:
    """--crs as its EPSG code; an unknown one is a ConfigError: one line, exit 2."""
    try:
        return None if value is None else parse_crs(value)
    except ConfigError as exc:
        raise ConfigError(f"--crs: {exc}") from None


def _lang(value: str | None) -> str | None:
    """--lang (or DRONECHECK_LANG) checked: nl or en; anything else is a ConfigError (one line, exit 2)."""
    from dronecheck.report.i18n import check_lang

    return None if value is None else check_lang(value, "--lang")


def _owner(settings: Settings) -> Any:
    """The organisation, contact, legal basis and DPIA the config names, for the factsheet."""
    from dronecheck.models.factsheet import Owner

    return Owner(settings.organisation, settings.contact, settings.legal_basis, settings.dpia)


def _version(value: bool) -> None:
    if value:
        out.print(f"dronecheck {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Also log run events and metadata notes "
                                          "per photo.")] = False,
    debug: Annotated[bool, typer.Option("--debug", envvar="DRONECHECK_DEBUG",
                                        help="On an error, show the traceback as well as the one-line "
                                        "message.")] = False,
) -> None:
    ctx.obj = {"debug": debug}
    # Plain lines, one per event, never wrapped: they are read by people and by log collectors.
    logs.setup(verbose=verbose)


@app.command()
def scan(
    ctx: typer.Context,
    path: Annotated[Path | None, typer.Argument(help="Folder of photos and videos (searched recursively), or one "
                                                "file. Default: every \\[\\[inbox]] of the config.",
                                                exists=True)] = None,
    profile: ProfileOpt = None,
    weights: WeightsOpt = None,
    out_dir: OutOpt = None,
    device: DeviceOpt = None,
    conf: Annotated[float | None, _number("conf", "Confidence threshold (0-1); default from the profile.",
                                          "DRONECHECK_CONF")] = None,
    iou: Annotated[float | None, _number("iou", "IoU threshold for merging boxes (0-1); default from the profile.",
                                         "DRONECHECK_IOU")] = None,
    batch: Annotated[str | None, typer.Option(help="Photos (or tiles) per model call, or auto: as many as fit "
                                                 "the GPU (4 on a CPU). Default: 4.", envvar="DRONECHECK_BATCH",
                                                 callback=_batch_value)] = None,
    fps: Annotated[float | None, _number("fps", "Video frames looked at per second of video. Default: 2.",
                                         "DRONECHECK_FPS")] = None,
    hfov: Annotated[float | None, _number("hfov", "Horizontal field of view of the video camera in degrees, for "
                                          "SRT files without a focal length. Default: 71.6 (a 24 mm-equivalent DJI "
                                          "camera).", "DRONECHECK_HFOV")] = None,
    zones: ZonesOpt = None,
    crs: CrsOpt = None,
    lang: LangOpt = None,
    dem: Annotated[Path | None, typer.Option("--dem", envvar="DRONECHECK_DEM", help="GeoTIFF DEM (any CRS, e.g. "
                                             "AHN in EPSG:28992): findings are placed on its terrain instead of "
                                             "flat ground at the take-off height.")] = None,
    ledger: LedgerOpt = None,
    config: ConfigOpt = None,
    wait: Annotated[bool, typer.Option("--wait", help="When another scan holds the ledger, wait for it instead "
                                       "of exiting with code 5.")] = False,
    wait_timeout: Annotated[float | None, typer.Option(help="With --wait: give up (code 5) after this many "
                                                          "seconds.", min=0)] = None,
    log_json: Annotated[bool, typer.Option("--log-json", envvar="DRONECHECK_LOG_JSON",
                                           help="Log one JSON object a line on stderr (for log collectors), "
                                           "run events included.")] = False,
    executor: Annotated[str, typer.Option("--executor", envvar="DRONECHECK_EXECUTOR",
                                          help="plain: decode and detect in this process; ray: decode in Ray "
                                          "tasks and detect in Ray actors (pip install 'dronecheck\\[ray]'), "
                                          "on this machine or the cluster of --address.")] = "plain",
    address: Annotated[str | None, typer.Option("--address", envvar="DRONECHECK_RAY_ADDRESS",
                                                help="With --executor ray: the Ray head to join (HOST:PORT, "
                                                "ray://HOST:PORT or auto). Default: start Ray on this machine.")
                       ] = None,
    workers: Annotated[int | None, typer.Option("--workers", min=1, help="With --executor ray: detector actors, "
                                                "each holding one model. Default: one per GPU, else one per "
                                                "--cpus-per-worker cores.")] = None,
    cpus_per_worker: Annotated[float | None, typer.Option("--cpus-per-worker", min=0.01,
                                                          help="With --executor ray: CPU cores (and torch "
                                                          "threads) of each CPU actor. Default: 2, or the "
                                                          "cores shared among --workers.")] = None,
) -> None:
    """Scan a flight: detect, georeference, and write findings.geojson, report.html and run.json.

    Photos (JPEG, TIFF) and videos (MP4, MOV with their DJI .SRT) are scanned when the ledger
    has not seen them with these settings and this model; a run that was killed is taken up
    where it stopped. Settings come from the flags, then DRONECHECK_*
    variables, then the config's inbox, then its top-level keys. Default profile: cracks.

    Examples: dronecheck scan datasets/sample-flight --profile roads ·
    dronecheck scan --config /etc/dronecheck.toml --log-json
    """
    from dronecheck.config import scan_jobs

    if log_json:
        logs.setup(json_lines=True)
    flags = Settings(profile, weights, out_dir, ledger, device, conf, iou, batch, fps, hfov, zones,
                     crs=_crs_code(crs), dem=dem, lang=_lang(lang))
    distributed = _executor_options(executor, address, workers, cpus_per_worker)
    timeout = (None if wait_timeout is None else wait_timeout) if wait else 0
    codes = []
    with _stop_on_signals() as stop:
        for job_path, settings in scan_jobs(path, flags, config):
            if stop.is_set():  # the inboxes not begun wait for the next scan
                codes.append(ExitCode.INTERRUPTED)
                break
            codes.append(_scan_one(job_path, settings, timeout, bar=not log_json, debug=ctx.obj["debug"], stop=stop,
                                   distributed=distributed))
    raise typer.Exit(code=next(c for c in WORST_FIRST if c in codes))


@contextmanager
def _stop_on_signals() -> Iterator[threading.Event]:
    """An event that SIGTERM (what systemd, cron's timeout and `kill` send) and Ctrl-C set, so that the scan
    stops after the batch in flight with nothing lost; a second signal stops it at once, as it would have."""
    stop = threading.Event()

    def handler(signum: int, _frame: object) -> None:
        signal.signal(signum, previous[signum])
        stop.set()
        err.print(f"{signal.Signals(signum).name}: stopping after the batch in flight (send it again to stop at "
                  "once)", highlight=False, soft_wrap=True)

    previous = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def _executor_options(executor: str, address: str | None, workers: int | None, cpus: float | None
                      ) -> dict[str, Any]:
    """--executor and the Ray options, checked: a Ray option without --executor ray is a ConfigError."""
    if executor not in ("plain", "ray"):
        raise ConfigError(f"--executor {executor}: expected plain or ray")
    given = [name for name, v in (("--address", address), ("--workers", workers), ("--cpus-per-worker", cpus))
             if v is not None]
    if executor == "plain" and given:
        raise ConfigError(f"{', '.join(given)}: only with --executor ray")
    return {"executor": executor, "address": address, "workers": workers, "cpus_per_worker": cpus}


def _scan_one(path: Path, settings: Settings, wait: float | None, bar: bool, debug: bool,
              stop: threading.Event, distributed: dict[str, Any] | None = None) -> ExitCode:
    """One inbox's scan; its error is said in one line and the next inbox goes on."""
    from dronecheck.pipeline.scan import scan as run_scan
    from dronecheck.profiles import load_profile
    from dronecheck.run import ScanOptions

    try:
        assert settings.profile and settings.out and settings.batch and settings.fps and settings.crs
        options = ScanOptions(path, load_profile(settings.profile, settings.weights), settings.out, settings.device,
                              settings.conf, settings.iou, settings.batch, settings.ledger, wait,
                              fps=settings.fps, hfov_deg=settings.hfov, zones=settings.zones, crs=settings.crs,
                              dem=settings.dem, lang=settings.lang, owner=_owner(settings),
                              **(distributed or {}))
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                      TextColumn("{task.fields[name]}"), console=err, transient=True, disable=not bar) as progress:
            task = progress.add_task(f"scanning {path.name}", total=None, name="")
            run = run_scan(options, lambda done, total, name: progress.update(task, completed=done, total=total,
                                                                              name=name), stop)
    except DronecheckError as exc:
        return fail(exc, debug)
    _summary(run, settings.lang)
    return run.exit_code


def _summary(run: RunResult, lang: str | None = None) -> None:
    """The scan's summary table, in `lang` when one is set (--lang, DRONECHECK_LANG, the config), else English
    like the rest of the command line."""
    from dronecheck.report.i18n import DEFAULT_LANG, translator

    t = translator(lang or DEFAULT_LANG)
    counts = run.counts
    if run.model is None:
        out.print(t("summary.nothing_to_do", flight=run.flight, n=counts["files_already_done"]))
        return
    state = t("summary.interrupted") if run.interrupted else ""
    state = state or (t("summary.part") if run.part else "")
    state = state or (t("summary.resumed") if run.resumed else "")
    table = Table(title=t("summary.title", flight=run.flight, run_id=run.run_id, state=state), show_header=False)
    table.add_row(t("summary.photos_scanned"), str(counts["photos_scanned"]))
    if counts["videos_scanned"]:
        table.add_row(t("summary.videos_scanned"), t("summary.video_frames", n=counts["videos_scanned"],
                                                      frames=counts["video_frames_scanned"]))
    if counts["mosaics_scanned"]:
        table.add_row(t("summary.mosaics_scanned"), t("summary.mosaic_windows", n=counts["mosaics_scanned"],
                                                       windows=counts["mosaic_windows_scanned"]))
    table.add_row(t("summary.files_skipped"), str(counts["files_skipped"]))
    table.add_row(t("summary.already_done"), str(counts["files_already_done"]))
    for cls, n in sorted(counts["findings_per_class"].items()):
        table.add_row(t("summary.findings_of", cls=cls), str(n))
    table.add_row(t("summary.findings"), str(counts["findings"]))
    if run.plan.track:
        table.add_row(t("summary.tracks"), str(counts["tracks"]))
    if run.plan.rules and run.plan.zones_file:
        table.add_row(t("summary.violations"), str(counts["violations"]))
    table.add_row(t("summary.model"), t("summary.model_on", name=run.model.name, device=run.model.device))
    table.add_row(t("summary.seconds"), " · ".join(f"{k} {v:.2f}" for k, v in run.timings.items()))
    if not run.interrupted and not run.part:  # an interrupted run writes its outputs when it is taken up again
        table.add_row(t("summary.report"), str(run.run_dir / "report.html"))
        table.add_row(t("summary.geojson"), str(run.run_dir / "findings.geojson"))
        table.add_row(t("summary.gpkg"), str(run.run_dir / "findings.gpkg"))
    out.print(table)


@app.command()
def runs(
    out_dir: OutOpt = None,
    ledger: LedgerOpt = None,
    config: ConfigOpt = None,
    limit: Annotated[int, typer.Option(help="Show this many runs, newest first.", min=1)] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print the runs as JSON instead of a table.")] = False,
    workers: Annotated[bool, typer.Option("--workers", help="Also show the workers of each run (several scans of "
                                          "one inbox on a PostgreSQL ledger): frames, failed, seconds, frames/s, "
                                          "status.")] = False,
) -> None:
    """List past runs from the ledger: when, what, how many photos and findings, how long, status."""
    from dronecheck.config import ledger_paths
    from dronecheck.pipeline.history import open_ledgers

    with open_ledgers(ledger_paths(config, out_dir, ledger)) as ledgers:
        rows = sorted((r for lg in ledgers for r in lg.runs(limit)), key=lambda r: r.started, reverse=True)[:limit]
        ids = [r.run_id for r in rows]
        by_run = {}
        for w in (w for lg in ledgers for w in lg.workers(ids)) if workers else ():
            by_run.setdefault(w.run_id, []).append(w)
    if as_json:
        keys = ("run_id", "flight", "inbox", "run_dir", "profile", "model", "model_sha256", "started", "finished",
                "status", "frames_scanned", "files_failed", "files_already_done", "findings", "seconds",
                "exit_code")
        worker_keys = ("worker", "frames", "files_failed", "seconds", "frames_per_s", "started")
        listed = [{k: getattr(r, k) for k in keys} for r in rows]
        for item in listed if workers else ():
            item["workers"] = [{"status": w.shown_status, **{k: getattr(w, k) for k in worker_keys}}
                               for w in by_run.get(item["run_id"], [])]
        out.print_json(json.dumps(listed))
        return
    table = Table("run", "flight", "started", "status", "frames", "failed", "already done", "findings", "seconds",
                  "profile", "model")
    for r in rows:
        table.add_row(r.run_id, r.flight, r.started[:19].replace("T", " "), r.status, str(r.frames_scanned),
                      str(r.files_failed), str(r.files_already_done), str(r.findings),
                      f"{r.seconds:.1f}" if r.seconds is not None else "", r.profile, r.model)
    out.print(table)
    if by_run:
        shown_workers = Table("run", "worker", "status", "frames", "failed", "seconds", "frames/s", title="workers")
        for run_id in ids:
            for w in by_run.get(run_id, []):
                rate = w.frames_per_s
                shown_workers.add_row(run_id, w.worker, w.shown_status, str(w.frames), str(w.files_failed),
                                      f"{w.seconds:.1f}", f"{rate:.2f}" if rate is not None else "")
        out.print(shown_workers)


@app.command()
def report(
    run_id: Annotated[str, typer.Argument(metavar="RUN", help="The run id, as `dronecheck runs` lists it.")],
    out_dir: OutOpt = None,
    ledger: LedgerOpt = None,
    config: ConfigOpt = None,
    zones: Annotated[Path | None, typer.Option(help="Check the profile's rules against these zones instead of "
                                                  "the run's own --zones.", exists=True, dir_okay=False)] = None,
    lang: LangOpt = None,
) -> None:
    """Write the report of a past run again (report.html and its GeoJSON), from the ledger.

    Tracks and suspected violations are worked out again, with the run's zones file or the
    one given.

    Example: dronecheck report 20261123T020114Z --zones closed-areas-2027.geojson
    """
    from dronecheck.config import find_config, ledger_paths
    from dronecheck.pipeline.history import open_ledgers, write_report_again

    defaults = find_config(config).defaults
    owner = _owner(defaults)  # the config's, else the one the scan recorded
    with open_ledgers(ledger_paths(config, out_dir, ledger)) as ledgers:
        holder = next((lg for lg in ledgers if lg.run(run_id)), ledgers[0])
        run = write_report_again(holder, run_id, zones, _lang(lang) or defaults.lang,
                                 owner if owner.to_dict() else None)
    out.print(f"written: {run.run_dir / 'report.html'} ({len(run.findings)} findings, {len(run.analysis.tracks)} "
              f"tracks, {len(run.analysis.violations)} suspected violations)")


@app.command()
def export(
    target: Annotated[Path | None, typer.Option("--to", help="The file to write. Default: "
                                                f"{DEFAULT_OUT}/all-findings.<format>.", dir_okay=False)] = None,
    fmt: Annotated[str | None, typer.Option("--format", "-f", help="geojson, gpkg (styled for QGIS), csv or kml. "
                                            "Default: from the --to suffix, else geojson.")] = None,
    crs: CrsOpt = None,
    out_dir: OutOpt = None,
    ledger: LedgerOpt = None,
    config: ConfigOpt = None,
    profile: Annotated[str | None, typer.Option("--profile", "-p", help="Only findings of this profile.")] = None,
    since: Annotated[datetime | None, typer.Option(help="Only runs started on or after this date/time.")] = None,
    status: Annotated[list[str] | None, typer.Option("--status", help="Only findings with this review status: "
                                                     "confirmed, corrected, rejected or unconfirmed (repeated, or "
                                                     "comma-separated).")] = None,
) -> None:
    """Export every finding of every run in the ledger as one file for GIS (each finding once): GeoJSON, a
    GeoPackage styled for QGIS, CSV or KML.

    Example: dronecheck export --to all.gpkg --crs EPSG:28992
    """
    from dronecheck.config import find_config, ledger_paths
    from dronecheck.pipeline.history import export as export_all
    from dronecheck.pipeline.history import export_target, open_ledgers, parse_statuses, write_export

    statuses = parse_statuses(status)
    target, fmt = export_target(target, fmt)
    epsg = _crs_code(crs) or find_config(config).defaults.crs or DEFAULT_CRS
    if since is not None and since.tzinfo is None:
        since = since.astimezone()
    with open_ledgers(ledger_paths(config, out_dir, ledger)) as ledgers:
        collection = export_all(ledgers, target, profile, since, statuses)
    write_export(collection, target, fmt, epsg)
    out.print(f"written: {target} ({len(collection['features'])} findings)")


class ReviewGroup(Boundary):
    """`dronecheck review [RUN]` serves a run, `dronecheck review apply FILE` (and the other commands) do their
    own: a first word that names a command is that command, not a run id."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        if args and args[0] in self.commands:
            params, self.params = self.params, [p for p in self.params if p.name != "run_id"]
            try:
                rest = super().parse_args(ctx, args)
            finally:
                self.params = params
            ctx.params.setdefault("run_id", None)
            return rest
        return super().parse_args(ctx, args)


review_app = typer.Typer(cls=ReviewGroup, invoke_without_command=True)
app.add_typer(review_app, name="review", help="Review a run in the browser, every verdict written into the ledger "
              "as it is given; or apply a verdicts file a report saved.")


@review_app.callback(invoke_without_command=True)
def review(
    ctx: typer.Context,
    run_id: Annotated[str | None, typer.Argument(metavar="RUN", help="The run id, as `dronecheck runs` lists "
                                                 "it. Default: the newest run.")] = None,
    out_dir: OutOpt = None,
    ledger: LedgerOpt = None,
    config: ConfigOpt = None,
    port: Annotated[int, typer.Option(help="The port to serve on (0: any free one).", min=0, max=65535)] = 8765,
    host: Annotated[str, typer.Option(help="The address to serve on. Only this machine by default.")] = "127.0.0.1",
    allow_remote: Annotated[bool, typer.Option("--allow-remote", help="Allow a --host other machines can reach "
                                               "(there is no login: anyone who reaches it can give verdicts).")
                            ] = False,
) -> None:
    """Serve a run's report on this machine for review: every Confirm, Reject or corrected class is written
    straight into the ledger, with who (config `reviewer`, else the OS user) and when. Ctrl-C stops it.

    Example: dronecheck review 20261123T020114Z --port 8080
    """
    if ctx.invoked_subcommand is not None:
        return
    from dronecheck.config import find_config, ledger_paths
    from dronecheck.ledger import existing
    from dronecheck.pipeline.history import open_ledgers
    from dronecheck.review import reviewer_name
    from dronecheck.review.server import Served, check_host, serve

    check_host(host, allow_remote)
    wheres = existing(ledger_paths(config, out_dir, ledger))
    with open_ledgers(wheres) as ledgers:
        found = [(w, lg.run(run_id)) for w, lg in zip(wheres, ledgers, strict=True)] if run_id else \
            [(w, r) for w, lg in zip(wheres, ledgers, strict=True) for r in lg.runs(1)]
    found = sorted(((w, r) for w, r in found if r is not None), key=lambda wr: wr[1].started, reverse=True)
    if not found:
        raise DronecheckError(f"no run {run_id!r} in the ledger (see `dronecheck runs`)" if run_id else
                              "no run in the ledger yet (scan a flight first)")
    where, row = found[0]
    if not row.run_dir:
        raise DronecheckError(f"run {row.run_id} scanned nothing ({row.status}): it has no report")
    reviewer = reviewer_name(getattr(find_config(config).defaults, "reviewer", None))
    served = Served(row.run_id, Path(row.run_dir), where, reviewer)
    serve(served, host, port, ready=lambda line: out.print(line, highlight=False, soft_wrap=True))
    out.print("stopped", highlight=False)


@review_app.command("apply")
def review_apply(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="The verdicts file a report saved "
                                         "(verdicts-RUN.json).", dir_okay=False)],
    out_dir: OutOpt = None,
    ledger: LedgerOpt = None,
    config: ConfigOpt = None,
    reviewer: Annotated[str | None, typer.Option(help="Who gave verdicts the file does not name. Default: config "
                                                 "`reviewer`, else the OS user.")] = None,
) -> None:
    """Write a verdicts file into the ledger, and the run's report, GeoJSON, GeoPackage, CSV and KML again with
    the verdicts in them.

    Example: dronecheck review apply ~/Downloads/verdicts-20261123T020114Z.json
    """
    from dronecheck.config import find_config, ledger_paths
    from dronecheck.review import reviewer_name
    from dronecheck.review.apply import apply_file

    who = reviewer_name(reviewer or find_config(config).defaults.reviewer)
    done = apply_file(file, ledger_paths(config, out_dir, ledger), who)
    out.print(f"applied {done.recorded} verdict(s) to run {done.run.run_id} in {done.ledger}; written again: "
              f"{done.run.run_dir / 'report.html'} and its findings (GeoJSON, GeoPackage, CSV, KML)",
              highlight=False, soft_wrap=True)


@app.command()
def dataset(
    target: Annotated[Path, typer.Argument(metavar="OUT", help="A new folder for the data set.", file_okay=False)],
    runs_given: Annotated[list[str] | None, typer.Option("--runs", "--run", help="A run to take verdicts from "
                                                         "(repeated, or comma-separated).")] = None,
    every: Annotated[bool, typer.Option("--all", help="Every run in the ledger.")] = False,
    val: Annotated[float, typer.Option(help="About this share of the flights goes to val.", min=0.0,
                                       max=0.9)] = 0.2,
    tile: Annotated[int | None, typer.Option(help="Cut tiles of this many pixels around the reviewed boxes, "
                                             "whatever the photo's size. Default: whole photos up to twice the "
                                             "model's input, tiles of its size above.", min=32)] = None,
    out_dir: OutOpt = None,
    ledger: LedgerOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Write the reviewed findings of runs as a YOLO data set (images, labels, data.yaml, SOURCE.md), split by
    flight, for `dronecheck train --from`: confirmed and corrected boxes are labels, rejected ones hard negatives,
    photos with unreviewed findings are left out.

    Example: dronecheck dataset --all datasets/reviewed && dronecheck train -p cracks --data
    datasets/reviewed/data.yaml --from weights/cracks-yolo11n.pt
    """
    from dronecheck.config import ledger_paths
    from dronecheck.pipeline.history import open_ledgers
    from dronecheck.review.dataset import build_dataset

    run_ids = [r.strip() for v in runs_given or [] for r in v.split(",") if r.strip()]
    if every == bool(run_ids):
        raise ConfigError("give --runs RUN (repeated, or comma-separated) or --all, not both")
    with open_ledgers(ledger_paths(config, out_dir, ledger)) as ledgers:
        holder = next((lg for lg in ledgers if not run_ids or lg.run(run_ids[0])), ledgers[0])
        result = build_dataset(holder, target, run_ids, every, val, tile)
    for part in ("train", "val"):
        out.print(f"{part}: {result.images.get(part, 0)} images, {result.labels.get(part, 0)} boxes "
                  f"(flights: {', '.join(result.flights[part]) or '-'})", highlight=False, soft_wrap=True)
    left = ", ".join(f"{k} {n}" for k, n in sorted(result.left_out.items()))
    out.print(f"hard negatives: {result.negatives}" + (f"; photos left out: {left}" if left else ""),
              highlight=False, soft_wrap=True)
    out.print(f"written: {target / 'data.yaml'} (where it came from: {target / 'SOURCE.md'})", highlight=False,
              soft_wrap=True)


ledger_app = typer.Typer(no_args_is_help=True)
app.add_typer(ledger_app, name="ledger", help="Check the ledger, back it up (both safe while a scan writes it), or "
              "bring its schema up to date.")


@ledger_app.command("check")
def ledger_check(
    ctx: typer.Context,
    out_dir: OutOpt = None,
    ledger: LedgerOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Check each ledger and count what it holds: SQLite's integrity_check and foreign_key_check, or a PostgreSQL
    ledger's tables and schema version.

    Exit 0 when every ledger is sound; 1 when one is damaged or cannot be opened. A damaged
    ledger is only read, never changed, and no ledger is made where there is none.

    Example: dronecheck ledger check --config /etc/dronecheck.toml
    """
    from dronecheck.config import ledger_paths
    from dronecheck.ledger import existing

    codes = [_check_one(path, ctx.obj["debug"]) for path in existing(ledger_paths(config, out_dir, ledger))]
    raise typer.Exit(code=next(c for c in WORST_FIRST if c in codes))


def _check_one(where: Path | str, debug: bool) -> ExitCode:
    """One ledger's check, printed; its error is said in one line and the next ledger is checked."""
    from dronecheck.ledger.maintenance import check

    try:
        health = check(where)
    except DronecheckError as exc:
        return fail(exc, debug)
    path = shown(where)
    out.print(f"{path}: {'ok' if health.ok else 'damaged'}", markup=False, highlight=False, soft_wrap=True)
    for problem in health.problems:
        out.print(f"  {problem}", markup=False, highlight=False, soft_wrap=True)
    if health.ok:
        out.print(f"  {health.summary()}", markup=False, highlight=False, soft_wrap=True)
        return ExitCode.OK
    more = f" (+{len(health.problems) - 1} more, listed above)" if len(health.problems) > 1 else ""
    _error(f"{path}: the ledger is damaged: {health.problems[0]}{more}")
    return ExitCode.ERROR


@ledger_app.command("backup")
def ledger_backup(
    target: Annotated[Path, typer.Argument(metavar="FILE", help="Where the copy goes.", dir_okay=False)],
    out_dir: OutOpt = None,
    ledger: LedgerOpt = None,
    config: ConfigOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Replace FILE when it exists.")] = False,
) -> None:
    """Copy the ledger to FILE with SQLite's online backup, then check the copy.

    Safe while a scan writes: the copy holds the batches committed when it starts, not the
    one in flight, and takes no lock the scan needs. FILE is written beside and renamed, so
    it is never half a copy.

    Example: dronecheck ledger backup /backup/ledger-$(date +%F).sqlite --out /srv/dronecheck/outputs
    """
    from dronecheck.config import ledger_paths
    from dronecheck.ledger import existing
    from dronecheck.ledger.maintenance import backup

    paths = existing(ledger_paths(config, out_dir, ledger))
    if len(paths) > 1:
        raise ConfigError(f"the config has {len(paths)} ledgers ({', '.join(map(shown, paths))}): "
                          "give the one to back up with --ledger")
    started = time.perf_counter()
    health = backup(paths[0], target, force)
    out.print(f"backed up {paths[0]} to {target} in {time.perf_counter() - started:.2f} s: ok",
              markup=False, highlight=False, soft_wrap=True)
    out.print(f"  {health.summary()}", markup=False, highlight=False, soft_wrap=True)


@ledger_app.command("migrate")
def ledger_migrate(
    out_dir: OutOpt = None,
    ledger: LedgerOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Bring each ledger's schema up to date, and say what changed. A scan does it too, when it opens a ledger;
    readers (runs, report, export, ledger check) never do.

    It holds the scan lock while it migrates (exit 5 when a scan runs), and makes no SQLite ledger
    where there is none; an empty PostgreSQL database gets the ledger's tables.

    Example: dronecheck ledger migrate --ledger postgresql://dronecheck@db.example/dronecheck
    """
    from dronecheck.config import ledger_paths
    from dronecheck.ledger import existing, open_ledger, scan_lock

    for where in existing(ledger_paths(config, out_dir, ledger)):
        with scan_lock(where), open_ledger(where) as opened:
            done = [f"version {m.version}: {m.does}" for m in opened.migrated]
            version = opened.version()
        said = "; ".join(done) if done else "nothing to do"
        out.print(f"{shown(where)}: schema version {version} ({said})", markup=False, highlight=False,
                  soft_wrap=True)


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
    from dronecheck.config import load_config
    from dronecheck.ops import schedule as sched
    from dronecheck.report.files import write_atomic

    if cron == (systemd is not None):
        raise ConfigError("give exactly one of --cron and --systemd DIR")
    load_config(config)
    if cron:
        out.print(sched.cron_line(config, at, log_file), soft_wrap=True, highlight=False)
        return
    assert systemd is not None
    for name, text in sched.systemd_units(config, at).items():
        write_atomic(systemd / name, text.encode())
        out.print(f"written: {systemd / name}")
    out.print("then: systemctl daemon-reload && systemctl enable --now dronecheck.timer")


@app.command()
def factsheet(
    profile: ProfileOpt = None,
    weights: WeightsOpt = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="md (Markdown) or json (stable keys).")] = "md",
    lang: LangOpt = None,
    target: Annotated[Path | None, typer.Option("--to", help="The file to write. Default: print it.",
                                                dir_okay=False)] = None,
    config: ConfigOpt = None,
) -> None:
    """Print the factsheet of a profile and its model for the Algoritmeregister: purpose, data sources and
    licences, the model and its held-out scores, human oversight, privacy measures, organisation and contact
    (the config's organisation, contact, legal_basis and dpia).

    Example: dronecheck factsheet --profile roads --lang nl --to factsheet-roads.md
    """
    from dronecheck.config import find_config
    from dronecheck.models import card
    from dronecheck.models import factsheet as sheet
    from dronecheck.profiles import load_profile
    from dronecheck.report.files import write_atomic

    if fmt not in ("md", "json"):
        raise ConfigError(f"--format {fmt}: expected md or json")
    chosen = _lang(lang)
    defaults = find_config(config).defaults
    p = load_profile(profile or defaults.profile or "cracks", weights or defaults.weights, require_weights=False)
    facts = sheet.facts(p, card.read(p.weights), _owner(defaults), chosen or defaults.lang or p.lang or "en")
    text = json.dumps(facts, indent=1, ensure_ascii=False) + "\n" if fmt == "json" else sheet.markdown(facts)
    if target is None:
        out.print(text, markup=False, highlight=False, soft_wrap=True, end="")
        return
    write_atomic(target, text.encode())
    out.print(f"written: {target}", markup=False, highlight=False, soft_wrap=True)


@app.command()
def profiles() -> None:
    """List the built-in profiles with their model, classes and the model's scores."""
    from dronecheck.models import card
    from dronecheck.profiles import builtin_names, load_profile

    table = Table("profile", "weights", "classes", "conf", "mAP50 (from the model card)", "description")
    for name in builtin_names():
        try:
            p = load_profile(name)
        except DronecheckError as exc:
            table.add_row(name, f"[red]{escape(str(exc))}[/red]", "", "", "", "")
            continue
        rows = card.read(p.weights).get("scores", [])
        scores = [f"{s['set']}: {s['map50']:.2f}" for s in rows if s["class"] == "all"]
        table.add_row(name, p.weights.name, ", ".join(p.classes), str(p.conf), "\n".join(scores) or "no card",
                      p.description)
    out.print(table)


@app.command()
def doctor() -> None:
    """Print what a bug report needs: versions, device, CUDA, weights found."""
    from dronecheck.ops.doctor import facts

    table = Table("what", "value", show_header=False)
    for key, value in facts():
        table.add_row(key, value)
    out.print(table)


@app.command()
def train(
    profile: ProfileOpt,
    data: DataOpt,
    epochs: Annotated[int, typer.Option(help="Training epochs.", min=1)] = 60,
    imgsz: Annotated[int, typer.Option(help="Training image size in pixels.", min=32)] = 384,
    batch: Annotated[int, typer.Option(help="Images per training step.", min=1)] = 16,
    start: Annotated[Path | None, typer.Option("--from", help="Start from these YOLO weights (fine-tuning), e.g. "
                                                  "../shared/models/yolo11n-coco.pt; default: from scratch.",
                                                  exists=True, dir_okay=False)] = None,
    device: DeviceOpt = None,
    out_file: Annotated[Path | None, typer.Option("--out", "-o", help="Where to write the weights; the model "
                                                     "card goes beside them. Default: weights/<the profile's "
                                                     "weights name>.")] = None,
) -> None:
    """Train a detector for a profile, offline, and write the weights with their model card.

    Example: dronecheck train --profile roads --data datasets/roads/data.yaml --from yolo11n-coco.pt
    """
    from dronecheck.models.train import train_profile

    if profile is None:
        raise ConfigError("give --profile: the profile the model is trained for")
    result = train_profile(profile, data, epochs=epochs, imgsz=imgsz, batch=batch, start=start, device=device,
                           out=out_file)
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
    device: DeviceOpt = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Where to write the scores as JSON. Default: "
                                                     "outputs/eval/<weights>-<data>-<split>.json.")] = None,
    card_label: Annotated[str | None, typer.Option("--card", help="Also record the scores in the weights' "
                                                      "model card under this label.")] = None,
) -> None:
    """Score weights on a data set: precision, recall, mAP50 and mAP50-95 per class.

    Example: dronecheck eval --profile roads --data datasets/roads/data.yaml
    """
    from dronecheck.models import card
    from dronecheck.models.scores import score_as_scan, validate
    from dronecheck.profiles import load_profile
    from dronecheck.report.files import write_json

    if profile:
        result = score_as_scan(load_profile(profile, weights), data, split=split, device=device)
    elif weights:
        result = validate(weights, data, split=split, imgsz=imgsz, device=device)
    else:
        raise ConfigError("give --weights, --profile, or both")
    scored = Path(result["weights"])
    target = json_out or DEFAULT_OUT / "eval" / f"{scored.stem}-{data.parent.name}-{split}.json"
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
    if "crack_pixels" in result:
        px = result["crack_pixels"]
        out.print(f"crack pixels on {px['images']} images with masks, boxes scored >= {px['conf']} (box precision "
                  f"{px['box_precision']:.3f}): recall {px['recall']:.3f}, precision {px['precision']:.3f}, "
                  f"F1 {px['f1']:.3f}, length error {px['length_error']:.3f}")
    out.print(f"written: {target}")
