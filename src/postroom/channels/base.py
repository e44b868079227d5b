"""The one interface every outbound channel implements, with logging and timing kept here."""

from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from postroom.documents.lot_files import LotEntry

log = logging.getLogger(__name__)


class ChannelError(Exception):
    """A channel could not do what was asked."""


class RetryableChannelError(ChannelError):
    """A failure that may pass on a later attempt (network, full disk, busy provider)."""


class PermanentChannelError(ChannelError):
    """A failure no retry can fix (refused content, unknown recipient)."""


@dataclass(frozen=True)
class Submission:
    """A lot handed to a channel: its pieces in production order."""

    lot_id: str
    created_at: datetime
    entries: list[LotEntry]


@dataclass(frozen=True)
class Receipt:
    """What the channel reports back: a reference and facts worth keeping (file hashes...)."""

    reference: str
    facts: dict[str, Any]


class Channel(ABC):
    """Subclasses implement _submit/_cancel/_poll; callers use submit/cancel/poll."""

    name: str = "channel"

    def submit(self, submission: Submission) -> Receipt:
        """Hand a lot over; raises RetryableChannelError or PermanentChannelError."""
        started = time.perf_counter()
        try:
            receipt = self._submit(submission)
        except ChannelError:
            log.warning("%s: submit of lot %s failed", self.name, submission.lot_id)
            raise
        except OSError as exc:
            raise RetryableChannelError(f"{self.name}: {exc}") from exc
        log.info(
            "%s: lot %s (%d pieces) submitted in %.3f s",
            self.name,
            submission.lot_id,
            len(submission.entries),
            time.perf_counter() - started,
        )
        return receipt

    def cancel(self, reference: str) -> bool:
        """Try to withdraw a submission; True when it was withdrawn."""
        return self._cancel(reference)

    def poll(self, reference: str) -> dict[str, Any]:
        """What the channel knows now about a submission."""
        return self._poll(reference)

    @abstractmethod
    def _submit(self, submission: Submission) -> Receipt: ...

    def _cancel(self, reference: str) -> bool:
        return False

    def _poll(self, reference: str) -> dict[str, Any]:
        return {}
