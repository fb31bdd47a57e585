"""The review loop: a person's verdicts on findings (confirmed, rejected, corrected) read from the file a report
saves (`verdicts_file`), written into the ledger and the run's outputs (`apply`), and turned into training data
(`dataset`)."""

from __future__ import annotations

from dronecheck.review.verdicts_file import read_verdicts_file, reviewer_name

__all__ = ["read_verdicts_file", "reviewer_name"]
