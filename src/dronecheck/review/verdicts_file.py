"""The verdicts file a report saves (its "Save verdicts (JSON)" button, or `dronecheck review`'s page), read into
`Verdict`s for the ledger.

Two forms are read. The report's first one, a verdict per finding id:

    {"flight": "F", "run": "R", "verdicts": {"3f2a...": "confirmed", "9b1c...": "rejected"}}

taken as given by the reviewer named (`reviewer_name`) at the file's modification time, and today's, an object
per finding id:

    {"flight": "F", "run": "R", "verdicts": {"3f2a...": {"verdict": "corrected", "class": "crack",
     "box_px": [10, 20, 110, 60], "comment": "two cracks", "by": "j.devries", "at": "2026-06-16T09:12:00Z"}}}

where "verdict" is confirmed, rejected or corrected; "class" and "box_px" only with corrected (either or both);
"comment", "by" and "at" may be left out (the reviewer named, the file's time). Anything else is refused in one
line that names the file (VerdictError).
"""

from __future__ import annotations

import getpass
import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dronecheck.errors import VerdictError
from dronecheck.types import VERDICTS, Verdict

OLD_VERDICTS = ("confirmed", "rejected")
KEYS = ("verdict", "class", "box_px", "comment", "by", "at")
MAX_BYTES = 64 * 1024 * 1024
MAX_TEXT = 10_000  # characters of a comment or a name


def reviewer_name(config_value: str | None) -> str:
    """Who verdicts are by: the config's `reviewer`, else the user logged in, else "unknown"."""
    if config_value and config_value.strip():
        return config_value.strip()
    try:
        return getpass.getuser() or "unknown"
    except (OSError, KeyError, ImportError):  # no LOGNAME/USER and no passwd entry (a container)
        return "unknown"


def read_verdicts_file(path: Path, reviewer: str) -> tuple[str, str, list[Verdict]]:
    """The flight, run id and verdicts of the verdicts file at `path` (either form above); VerdictError naming
    the file when it is no such file. Verdicts without "by" are `reviewer`'s."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise VerdictError(f"{path}: not a verdicts file (over {MAX_BYTES // 2**20} MiB)")
        raw = path.read_bytes()
        mtime = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except OSError as exc:
        raise VerdictError(f"{path}: cannot read the verdicts file ({exc.strerror or exc})") from None
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise VerdictError(f"{path}: not a verdicts file (not UTF-8 text)") from None
    except (ValueError, RecursionError) as exc:
        raise VerdictError(f"{path}: not a verdicts file (not JSON: {exc})") from None
    return parse_verdicts(data, reviewer, mtime, str(path))


def parse_verdicts(data: Any, reviewer: str, when: datetime, where: str) -> tuple[str, str, list[Verdict]]:
    """`read_verdicts_file` of JSON already read (`where` names it in messages; `when` is the time of verdicts
    that give none): for a server that gets the file in a request."""
    if not isinstance(data, dict) or not {"run", "verdicts"} <= data.keys():
        raise VerdictError(f"{where}: not a verdicts file (expected an object with \"flight\", \"run\" and "
                           "\"verdicts\", as the report saves it)")
    flight, run, given = data.get("flight", ""), data["run"], data["verdicts"]
    if not isinstance(run, str) or not run or not isinstance(flight, str):
        raise VerdictError(f"{where}: not a verdicts file (\"run\" and \"flight\" must be text)")
    if not isinstance(given, dict):
        raise VerdictError(f"{where}: not a verdicts file (\"verdicts\" must be an object of finding id: verdict)")
    verdicts = []
    for fid, value in given.items():
        try:
            verdicts.append(_verdict(fid, value, reviewer, when))
        except VerdictError as exc:
            raise VerdictError(f"{where}: finding {fid[:80]!r}: {exc}") from None
    return flight, run, verdicts


def _verdict(fid: str, value: Any, reviewer: str, when: datetime) -> Verdict:
    if not fid or len(fid) > 200:
        raise VerdictError("not a finding id")
    if isinstance(value, str):  # the first form
        if value not in OLD_VERDICTS:
            raise VerdictError(f"verdict {value[:80]!r} is none of {', '.join(OLD_VERDICTS)}")
        return Verdict(fid, value, reviewer, when)
    if not isinstance(value, dict):
        raise VerdictError(f"a verdict is {' or '.join(map(repr, OLD_VERDICTS))} or an object, not {value!r:.80}")
    unknown = sorted(set(value) - set(KEYS))
    if unknown:
        raise VerdictError(f"unknown key {unknown[0][:80]!r} (known: {', '.join(KEYS)})")
    verdict = value.get("verdict")
    if verdict not in VERDICTS:
        raise VerdictError(f"\"verdict\" {verdict!r:.80} is none of {', '.join(VERDICTS)}")
    cls, box = value.get("class"), value.get("box_px")
    if verdict != "corrected" and (cls is not None or box is not None):
        raise VerdictError(f"a {verdict} verdict has no \"class\" or \"box_px\" (only a corrected one does)")
    if verdict == "corrected" and cls is None and box is None:
        raise VerdictError("a corrected verdict gives the right \"class\", the right \"box_px\", or both")
    if cls is not None and (not isinstance(cls, str) or not cls):
        raise VerdictError(f"\"class\" must be a class name, not {cls!r:.80}")
    return Verdict(fid, verdict, _text(value, "by") or reviewer, _time(value.get("at"), when), cls, _box(box),
                   _text(value, "comment"))


def _text(value: dict[str, Any], key: str) -> str | None:
    text = value.get(key)
    if text is None:
        return None
    if not isinstance(text, str) or len(text) > MAX_TEXT:
        raise VerdictError(f"{key!r} must be text of at most {MAX_TEXT} characters")
    return text.strip() or None


def _time(value: Any, default: datetime) -> datetime:
    if value is None:
        return default
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise VerdictError(f"\"at\" {value!r:.80} is no ISO 8601 time with its time zone (e.g. 2026-06-16T09:12:00Z)")
    return moment.astimezone(UTC)


def _box(box: Any) -> tuple[float, float, float, float] | None:
    if box is None:
        return None
    if (not isinstance(box, list) or len(box) != 4
            or not all(isinstance(b, int | float) and not isinstance(b, bool) and math.isfinite(b) for b in box)):
        raise VerdictError(f"\"box_px\" {box!r:.80} is no [x0, y0, x1, y1] of four numbers")
    x0, y0, x1, y1 = (float(b) for b in box)
    if not (0 <= x0 < x1 and 0 <= y0 < y1):
        raise VerdictError(f"\"box_px\" {box!r:.80} needs 0 <= x0 < x1 and 0 <= y0 < y1 (pixels)")
    return x0, y0, x1, y1


def verdict_to_json(v: Verdict) -> dict[str, Any]:
    """A verdict as today's form of the file has it (what `read_verdicts_file` reads back)."""
    out: dict[str, Any] = {"verdict": v.verdict}
    if v.corrected_class is not None:
        out["class"] = v.corrected_class
    if v.corrected_box_px is not None:
        out["box_px"] = [round(b, 1) for b in v.corrected_box_px]
    if v.comment is not None:
        out["comment"] = v.comment
    return {**out, "by": v.reviewed_by, "at": v.reviewed_at.astimezone(UTC).isoformat().replace("+00:00", "Z")}

