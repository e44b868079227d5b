"""A large file's page ranges, shared between worker processes: where each one is
(services/shared_ranges.py, storage/shared_ranges.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

PENDING, TAKEN, DONE, FAILED = "pending", "taken", "done", "failed"


@dataclass(frozen=True)
class SharedRange:
    """Where one range is: pending, taken (by whom, since when), done (its result's blob)
    or failed (the code and message the file was refused with)."""

    seq: int
    call: Any  # the JSON form of its check_range arguments
    state: str
    taken_by: str | None
    taken_at: datetime | None
    result_sha256: str | None
    error_code: str | None
    error_message: str | None
