"""The `dronecheck` command: a thin layer that parses arguments and calls the pipeline.

Exit codes of `dronecheck scan`:
  0  every photo was scanned
  1  error: bad profile, missing weights, unusable device (nothing was scanned)
  2  bad usage (unknown option, bad value)
  3  some photos were skipped (bad files); the rest were scanned and written
  4  nothing could be scanned (no photos found, or every photo was bad)
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from dronecheck import __version__
from dronecheck.errors import DronecheckError

app = typer.Typer(help="Turn a drone flight into georeferenced inspection findings: GeoJSON for GIS, an HTML "
                       "report for the inspector.", rich_markup_mode="rich", no_args_is_help=True,
                  context_settings={"help_option_names": ["-h", "--help"]})
err = Console(stderr=True)
out = Console()

ProfileOpt = Annotated[str, typer.Option("--profile", "-p", help="Built-in profile name (see `dronecheck "
                                         "profiles`) or the path of a profile .toml file.")]
WeightsOpt = Annotated[Optional[Path], typer.Option("--weights", "-w", help="YOLO weights (.pt) to use instead "
                                                    "of the profile's.", dir_okay=False)]
DeviceOpt = Annotated[str, typer.Option("--device", "-d", help="auto (cuda, then mps, then cpu), cpu, cuda, "
                                        "cuda:N or mps.")]


def _version(value: bool) -> None:
    if value:
        out.print(f"dronecheck {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Also log metadata notes per photo.")] = False,
) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(message)s",
                        handlers=[RichHandler(console=err, show_time=False, show_path=False)], force=True)


def _fail(exc: DronecheckError) -> typer.Exit:
    err.print(f"[red]error:[/red] {exc}", highlight=False)
    return typer.Exit(code=1)


@app.command()
def scan(
    path: Annotated[Path, typer.Argument(help="Folder of photos (searched recursively) or a single photo.",
                                         exists=True)],
    profile: ProfileOpt = "cracks",
    weights: WeightsOpt = None,
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Where runs are written: "
                                          "OUT/<flight>/<run>/.")] = Path("outputs"),
    device: DeviceOpt = "auto",
    conf: Annotated[Optional[float], typer.Option(help="Confidence threshold (0-1); default from the profile.",
                                                  min=0.0, max=1.0)] = None,
    iou: Annotated[Optional[float], typer.Option(help="IoU threshold for merging boxes (0-1); default from "
                                                 "the profile.", min=0.0, max=1.0)] = None,
    batch: Annotated[int, typer.Option(help="Photos per model call.", min=1)] = 4,
) -> None:
    """Scan a flight: detect, georeference, and write findings.geojson, report.html and run.json.

    Example: dronecheck scan datasets/sample-flight --profile cracks
    """
    from dronecheck.pipeline import ScanOptions
    from dronecheck.pipeline import scan as run_scan
    from dronecheck.profile import load_profile

    try:
        options = ScanOptions(path, load_profile(profile, weights), out_dir, device, conf, iou, batch)
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                      TextColumn("{task.fields[name]}"), console=err, transient=True) as bar:
            task = bar.add_task("scanning", total=None, name="")
            run = run_scan(options, lambda done, total, name: bar.update(task, completed=done, total=total,
                                                                         name=name))
    except DronecheckError as exc:
        raise _fail(exc) from None
    _summary(run)
    raise typer.Exit(code=run.exit_code)


def _summary(run) -> None:  # noqa: ANN001 - RunResult, imported lazily
    table = Table(title=f"{run.flight} · run {run.run_id}", show_header=False)
    counts = run.counts
    table.add_row("photos scanned", f"{counts['photos_scanned']} of {counts['photos_found']}")
    table.add_row("photos skipped", str(counts["photos_skipped"]))
    for cls, n in sorted(counts["findings_per_class"].items()):
        table.add_row(f"findings: {cls}", str(n))
    table.add_row("findings", str(counts["findings"]))
    table.add_row("model", f"{run.detector.name} on {run.detector.device}")
    table.add_row("seconds", " · ".join(f"{k} {v:.2f}" for k, v in run.timings.items()))
    table.add_row("report", str(run.run_dir / "report.html"))
    table.add_row("GeoJSON", str(run.run_dir / "findings.geojson"))
    out.print(table)


@app.command()
def profiles() -> None:
    """List the built-in profiles with their model and classes."""
    from dronecheck.profile import builtin_names, load_profile

    table = Table("profile", "weights", "classes", "conf", "description")
    for name in builtin_names():
        try:
            p = load_profile(name)
            table.add_row(name, p.weights.name, ", ".join(p.classes), str(p.conf), p.description)
        except DronecheckError as exc:
            table.add_row(name, f"[red]{exc}[/red]", "", "", "")
    out.print(table)


@app.command()
def doctor() -> None:
    """Print what a bug report needs: versions, device, CUDA, weights found."""
    from dronecheck.doctor import facts

    table = Table("what", "value", show_header=False)
    for key, value in facts():
        table.add_row(key, value)
    out.print(table)
