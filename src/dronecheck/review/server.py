"""`dronecheck review`: a run's report served on this machine, each verdict the inspector gives written straight
into the ledger, with who gave it and when.

Flask on Werkzeug's threaded server, on 127.0.0.1 unless told otherwise. The page is the run's own report.html
(which opened from disk keeps verdicts in the browser instead); it sees that it is served and POSTs every verdict
to /api/verdicts as one entry of the verdicts file (`verdicts_file`). A request from another site is refused: the
POST must be JSON (a cross-site form cannot send that without asking first, and nothing here says yes) and its
Origin, when the browser sends one, must be this server.
"""

from __future__ import annotations

import ipaddress
import json
import signal
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask, Response, abort, jsonify, request, send_from_directory
from werkzeug.serving import make_server

from dronecheck.errors import ConfigError, DronecheckError
from dronecheck.ledger import Where, open_ledger
from dronecheck.review.verdicts_file import parse_verdicts, verdict_to_json


@dataclass(frozen=True)
class Served:
    """The run a server shows: where its files are, which ledger holds it, who the verdicts are by."""

    run_id: str
    run_dir: Path
    ledger: Where
    reviewer: str


def is_loopback(host: str) -> bool:
    """Whether `host` is this machine only.

    >>> is_loopback("127.0.0.1"), is_loopback("::1"), is_loopback("localhost"), is_loopback("0.0.0.0")
    (True, True, True, False)
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_host(host: str, allow_remote: bool) -> None:
    """ConfigError for a host other machines can reach, unless `allow_remote`."""
    if not is_loopback(host) and not allow_remote:
        raise ConfigError(f"--host {host}: other machines could reach the review page and write verdicts; "
                          "add --allow-remote to mean it (there is no login)")


def create_app(served: Served) -> Flask:
    app = Flask(__name__, static_folder=None)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    ids = _finding_ids(served.run_dir)

    @app.get("/")
    def report() -> Response:
        return send_from_directory(served.run_dir, "report.html", max_age=0)

    @app.get("/api/verdicts")
    def known() -> Response:
        with open_ledger(served.ledger, read_only=True) as ledger:
            return jsonify({fid: verdict_to_json(v) for fid, v in ledger.verdicts(sorted(ids)).items()})

    @app.post("/api/verdicts")
    def give() -> tuple[Response, int] | Response:
        origin = request.headers.get("Origin")
        if origin and origin != request.host_url.rstrip("/"):
            return jsonify(error=f"refused: a request from {origin}"), 403
        body = request.get_json(silent=True)  # None unless the request says it is JSON
        if not isinstance(body, dict) or not isinstance(body.get("finding_id"), str):
            return jsonify(error="expected JSON {finding_id, verdict}"), 400
        fid = body["finding_id"]
        if fid not in ids:
            return jsonify(error=f"no finding {fid[:80]!r} in run {served.run_id}"), 404
        entry = dict(body.get("verdict") or {})
        entry.pop("by", None)  # who it is by is the server's to say
        entry["at"] = datetime.now(UTC).isoformat()  # and when: now, as the ledger gets it
        try:
            _, _, verdicts = parse_verdicts({"run": served.run_id, "verdicts": {fid: entry}}, served.reviewer,
                                            datetime.now(UTC), "the verdict sent")
            with open_ledger(served.ledger) as ledger:
                ledger.record_verdicts(served.run_id, verdicts)
        except (DronecheckError, ValueError) as exc:
            return jsonify(error=str(exc)), 400
        return jsonify(verdict_to_json(verdicts[0]) | {"finding_id": fid, "reviewed_by": verdicts[0].reviewed_by})

    @app.get("/<path:name>")
    def files(name: str) -> Response:
        if not name.startswith(("crops/", "views/", "static/")) and not name.endswith(".geojson"):
            abort(404)
        return send_from_directory(served.run_dir, name, max_age=0)

    return app


def _finding_ids(run_dir: Path) -> set[str]:
    try:
        features = json.loads((run_dir / "findings.geojson").read_text(encoding="utf-8"))["features"]
    except (OSError, ValueError, KeyError) as exc:
        raise DronecheckError(f"{run_dir}: no findings.geojson to review ({exc})") from None
    return {f["id"] for f in features}


def _interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def serve(served: Served, host: str, port: int, ready: Callable[[str], None] = print) -> None:
    """Serve `served` until Ctrl-C or SIGTERM (then stop cleanly, no traceback).

    Both are caught explicitly: a process started in the background by a shell or a service manager
    may inherit SIGINT ignored, and SIGTERM is what those send to stop it."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _interrupt)
    if not (served.run_dir / "report.html").is_file():
        raise DronecheckError(f"{served.run_dir}: no report.html (write it again with `dronecheck report "
                              f"{served.run_id}`)")
    server = make_server(host, port, create_app(served), threaded=True)
    shown = f"[{host}]" if ":" in host else host
    ready(f"reviewing run {served.run_id} at http://{shown}:{server.server_port}/ (Ctrl-C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
