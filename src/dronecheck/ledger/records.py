"""What both ledgers keep, and how: the run row, Frame and Finding as JSON, names as each database can hold them,
and the shape of a schema migration. No SQL here: that is `sqlite` and `postgres`."""

from __future__ import annotations

import json
import os
import urllib.parse
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dronecheck.types import Camera, Finding, Frame, MapGrid, Pose, Verdict


@dataclass(frozen=True)
class RunRow:
    """One run as the ledger keeps it."""

    run_id: str
    flight: str
    inbox: str
    run_dir: str | None
    settings: str
    profile: str
    model: str
    model_sha256: str
    started: str
    finished: str | None
    status: str
    pid: int | None
    frames_scanned: int
    files_failed: int
    files_already_done: int
    findings: int
    seconds: float | None
    exit_code: int | None
    info: str | None

    @property
    def details(self) -> dict[str, Any]:
        return json.loads(self.info) if self.info else {}


RUN_COLUMNS = tuple(f.name for f in fields(RunRow))


@dataclass(frozen=True)
class WorkerRow:
    """One worker of a run shared by several scans (a PostgreSQL ledger): who, how far it got, and whether it
    is still there (`live`: its database session is open and its lease not expired)."""

    run_id: str
    worker: str  # host:pid:random
    status: str  # running, done (its part), finished (its part, and the run's outputs), interrupted
    frames: int
    files_failed: int
    seconds: float
    started: str
    live: bool

    @property
    def shown_status(self) -> str:
        """Its status, with "gone" for a worker still marked running whose session or lease is gone."""
        return "gone" if self.status == "running" and not self.live else self.status

    @property
    def frames_per_s(self) -> float | None:
        return self.frames / self.seconds if self.seconds else None
RUN_NAMES = frozenset({"flight", "inbox", "run_dir", "profile", "model"})  # free text from file and folder names


@dataclass(frozen=True)
class Migration:
    """One step of a ledger's schema: `apply(connection)` takes a ledger at `version - 1` to `version`."""

    version: int
    does: str  # what it changes, as `dronecheck ledger migrate` says it
    apply: Callable[[Any], None]


URL_SCHEMES = ("postgresql://", "postgres://")


def is_url(text: str) -> bool:
    """Whether a ledger setting names a PostgreSQL database rather than an SQLite file."""
    return text.startswith(URL_SCHEMES)


def shown(where: Path | str) -> str:
    """A ledger as it may be printed and logged: a path as it is, a URL with its password (in the user part or
    the query) as ***.

    >>> shown("postgresql://scan:s3cret@db.example/ledger"), shown("postgresql:///ledger?host=/s&password=x")
    ('postgresql://scan:***@db.example/ledger', 'postgresql:///ledger?host=/s&password=***')
    """
    if isinstance(where, Path):
        return str(where)
    parts = urllib.parse.urlsplit(where)
    shown_url = where
    if parts.password is not None:
        user, _, host = parts.netloc.rpartition("@")
        shown_url = shown_url.replace(parts.netloc, f"{user.partition(':')[0]}:***@{host}", 1)
    if parts.query:
        pairs = [p.partition("=") for p in parts.query.split("&")]
        query = "&".join(f"{k}={'***' if k == 'password' else v}" if eq else k for k, eq, v in pairs)
        shown_url = shown_url.replace(f"?{parts.query}", f"?{query}", 1)
    return shown_url


def stored(text: str) -> str | bytes:
    """A path or name as SQLite can keep it: the text, or its bytes where it is no valid UTF-8 (a name from an
    old card or a Windows share, which Python holds with surrogate escapes).

    >>> stored("DJI_0001.JPG"), stored(os.fsdecode(b"caf\\xe9.JPG"))
    ('DJI_0001.JPG', b'caf\\xe9.JPG')
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(text)
    return text


def loaded(value: Any) -> Any:
    """A value read from the SQLite ledger, with a stored name's bytes back as the text Python names the file by."""
    return os.fsdecode(value) if isinstance(value, bytes) else value


def escaped(text: str) -> str:
    """A path or name as PostgreSQL text can keep it: each byte that is no valid UTF-8 as %XX, and so NUL (which
    text refuses) and % itself; every other character as it is, so psql shows ordinary names as they are.

    >>> escaped("DJI_0001.JPG"), escaped("100%.JPG"), escaped(os.fsdecode(b"caf\\xe9.JPG")), escaped("a\\0b")
    ('DJI_0001.JPG', '100%25.JPG', 'caf%E9.JPG', 'a%00b')
    >>> all(unescaped(escaped(t)) == t for t in ("ok", "100%25", "é", os.fsdecode(b"\\xff%\\x00")))
    True
    """
    return "".join(f"%{ord(c):02X}" if c in "%\0" else f"%{ord(c) - 0xDC00:02X}" if "\udc80" <= c <= "\udcff"
                   else c for c in text)


def unescaped(value: Any) -> Any:
    """A value read from the PostgreSQL ledger, an escaped name back as the text Python names the file by."""
    if isinstance(value, str) and "%" in value:
        return os.fsdecode(urllib.parse.unquote_to_bytes(value))
    return value


def frame_to_json(frame: Frame) -> str:
    data = asdict(frame)
    data["path"] = str(frame.path)
    data["time"] = frame.time.isoformat() if frame.time else None
    return json.dumps(data)


def frame_from_json(text: str) -> Frame:
    data = json.loads(text)
    return Frame(path=Path(data["path"]), sha256=data["sha256"], camera=Camera(**data["camera"]),
                 pose=Pose(**data["pose"]), time=datetime.fromisoformat(data["time"]) if data["time"] else None,
                 frame_index=data["frame_index"], notes=tuple(data["notes"]),
                 grid=MapGrid(tuple(grid["transform"]), grid["crs"]) if (grid := data.get("grid")) else None,
                 blurred=tuple((c, n) for c, n in b) if (b := data.get("blurred")) is not None else None)


def finding_to_json(finding: Finding) -> str:
    data = {k: v for k, v in asdict(finding).items() if k != "frame"}
    return json.dumps(data)


def finding_from_json(text: str, frame: Frame) -> Finding:
    data = json.loads(text)
    data["box_px"] = tuple(data["box_px"])
    data["point"] = tuple(data["point"]) if data["point"] else None
    for key in ("footprint", "line"):
        data[key] = tuple(tuple(p) for p in data[key]) if data.get(key) else None
    return Finding(frame=frame, **data)


VERDICT_COLUMNS = ("finding_id", "run_id", "verdict", "reviewed_by", "reviewed_at", "corrected_class", "corrected_box",
                   "comment", "recorded")
VERDICT_NAMES = frozenset({"reviewed_by", "corrected_class", "comment"})  # free text, kept as names are


def utc_text(moment: datetime) -> str:
    """An aware time as the ledger keeps a verdict's: UTC, to the microsecond, so that text order is time order.

    >>> utc_text(datetime.fromisoformat("2026-06-15T12:00:00+02:00"))
    '2026-06-15T10:00:00.000000+00:00'
    """
    if moment.tzinfo is None:
        raise ValueError(f"{moment.isoformat()}: a verdict's time needs its time zone")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def verdict_values(run_id: str, v: Verdict, recorded: datetime) -> dict[str, Any]:
    """A verdict as the row of VERDICT_COLUMNS (names not yet as the database keeps them)."""
    return {"finding_id": v.finding_id, "run_id": run_id, "verdict": v.verdict, "reviewed_by": v.reviewed_by,
            "reviewed_at": utc_text(v.reviewed_at), "corrected_class": v.corrected_class,
            "corrected_box": json.dumps(list(v.corrected_box_px)) if v.corrected_box_px else None,
            "comment": v.comment, "recorded": utc_text(recorded)}


def verdict_from_row(row: dict[str, Any]) -> Verdict:
    box = json.loads(row["corrected_box"]) if row["corrected_box"] else None
    return Verdict(row["finding_id"], row["verdict"], row["reviewed_by"], datetime.fromisoformat(row["reviewed_at"]),
                   row["corrected_class"], tuple(float(b) for b in box) if box else None,  # type: ignore[arg-type]
                   row["comment"])


def error_text(exc: BaseException) -> str:
    """What went wrong, in one line, for a message that names the ledger itself: the OS's words without the path,
    or the database's.

    >>> error_text(FileNotFoundError(2, "No such file or directory", "/x")), error_text(ValueError("a\\n  b"))
    ('No such file or directory', 'a b')
    """
    return str(exc.strerror or exc) if isinstance(exc, OSError) else " ".join(str(exc).split())
