"""Log lines on stderr: plain for people, or one JSON object a line for log collectors.

Code logs with `extra={"event": ..., ...}`; the JSON form carries those fields as keys, so
a collector can filter on `event` without parsing the message.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

RESERVED = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {"time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
                "level": record.levelname.lower(), "message": record.getMessage()}
        line.update({k: v for k, v in vars(record).items() if k not in RESERVED})
        return json.dumps(line, ensure_ascii=False, default=str)


def setup(verbose: bool = False, json_lines: bool = False) -> None:
    """Configure the `dronecheck` logger once per command. JSON lines include the info level."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if json_lines else logging.Formatter("%(levelname)s: %(message)s"))
    logger = logging.getLogger("dronecheck")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO if verbose or json_lines else logging.WARNING)
