"""The one interface every outbound channel implements, with logging and timing kept here."""

from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Self

if TYPE_CHECKING:
    from postroom.config import Settings
    from postroom.documents.lot_files import LotEntry

log = logging.getLogger(__name__)


class ChannelError(Exception):
    """A channel could not do what was asked."""


class RetryableChannelError(ChannelError):
    """A failure that may pass on a later attempt (network, full disk, busy provider)."""


class PermanentChannelError(ChannelError):
    """A failure no retry can fix (refused content, unknown recipient)."""


class Takes(StrEnum):
    """What a channel is handed: whole lots, or one piece at a time."""

    LOTS = "lots"  # composed into production lots (print rooms): the lot builder feeds it
    PIECES = "pieces"  # handed over as each piece is accepted (email, upstream providers)
    MESSAGES = "messages"  # text messages, sent by their own stage (SEND_SMS): no piece or lot


@dataclass(frozen=True)
class Submission:
    """What is handed to a channel: a lot's pieces in production order (`lot_id` is the
    lot's id), or for a channel that takes pieces one piece (`lot_id` is the piece's id)."""

    lot_id: str
    created_at: datetime
    entries: list[LotEntry]
    channel: str = ""  # the lot's channel, as named in its group key
    envelope: str = ""  # the lot's envelope as its group key resolved it (DL, C4...)


@dataclass(frozen=True)
class Receipt:
    """What the channel reports back: a reference and facts worth keeping (file hashes...)."""

    reference: str
    facts: dict[str, Any]


class Channel(ABC):
    """Subclasses implement _submit/_cancel/_poll; callers use submit/cancel/poll.

    A channel is found by its entry point in the `postroom.channels` group (registry.py),
    declares what it `takes`, and is built by `from_settings` (the operator's settings,
    and the options of a named instance in POSTROOM_CHANNELS)."""

    name: str = "channel"
    takes: ClassVar[Takes] = Takes.LOTS

    @classmethod
    def from_settings(cls, settings: Settings, **options: Any) -> Self:
        """Build the channel from the settings; `options` (from POSTROOM_CHANNELS) win."""
        return cls(**options)

    def submit(self, submission: Submission) -> Receipt:
        """Hand a lot over; raises RetryableChannelError or PermanentChannelError."""
        started = time.perf_counter()
        try:
            receipt = self._submit(submission)
        except ChannelError:
            log.warning("%s: %s %s failed", self.name, self._unit, submission.lot_id)
            raise
        except OSError as exc:
            raise RetryableChannelError(f"{self.name}: {exc}") from exc
        log.info(
            "%s: %s %s (%d pieces) submitted in %.3f s",
            self.name,
            self._unit,
            submission.lot_id,
            len(submission.entries),
            time.perf_counter() - started,
        )
        return receipt

    @property
    def _unit(self) -> str:
        # "print_local: lot <id> (N pieces) submitted" is read by the worker-crash tests.
        return "lot" if self.takes is Takes.LOTS else "piece"

    def cancel(self, reference: str) -> bool:
        """Try to withdraw a submission; True when it was withdrawn."""
        return self._cancel(reference)

    def poll(self, reference: str) -> dict[str, Any]:
        """What the channel knows now about a submission."""
        return self._poll(reference)

    @abstractmethod
    def _submit(self, submission: Submission) -> Receipt: ...

    def interrupted(self) -> dict[str, list[Any]]:
        """Leftovers of hand-overs a crash cut short, by lot id (none for most channels)."""
        return {}

    def discard(self, leftovers: list[Any]) -> None:
        """Remove leftovers `interrupted` found for a lot no longer being composed."""
        return None

    def lot_file(self, lot_id: str, name: str) -> Iterator[bytes] | None:
        """A lot file this channel wrote, in chunks; None when it keeps none by that name
        (most channels hand lots over and keep nothing)."""
        return None

    def keep_beside_lot(self, lot_id: str, name: str, data: bytes) -> None:
        """Keep a small file of the lot's paperwork (its deposit proof) beside the files
        this channel wrote for it; channels that keep no files keep nothing."""
        return None

    def _cancel(self, reference: str) -> bool:
        return False

    def _poll(self, reference: str) -> dict[str, Any]:
        return {}
