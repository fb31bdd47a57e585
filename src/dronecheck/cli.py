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
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
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
WeightsOpt = Annotated[Path | None, typer.Option("--weights", "-w", help="YOLO weights (.pt) to use instead "
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
    # Plain lines, one per event, never wrapped: they are read by people and by log collectors.
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s: %(message)s",
                        stream=sys.stderr, force=True)


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
    conf: Annotated[float | None, typer.Option(help="Confidence threshold (0-1); default from the profile.",
                                                  min=0.0, max=1.0)] = None,
    iou: Annotated[float | None, typer.Option(help="IoU threshold for merging boxes (0-1); default from "
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
        err.print("[red]error:[/red] give --weights, --profile, or both")
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
