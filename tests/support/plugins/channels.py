"""Two channels a test installs as a third-party package would: a print room of its own
(another folder) and a provider that takes pieces one by one (each written as a file, as
an upstream provider's API would receive them)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from postroom.channels.base import (
    Channel,
    PermanentChannelError,
    Receipt,
    Submission,
    Takes,
)
from postroom.channels.print_local import PrintLocalChannel

if TYPE_CHECKING:
    from postroom.config import Settings

REFUSED_NAME = "Refused Recipient"  # the provider refuses letters to this name


class AnnexPrintChannel(PrintLocalChannel):
    """The annex print room: lots into <data dir>/annex-print/ unless told otherwise."""

    @classmethod
    def from_settings(cls, settings: Settings, **options: Any) -> Self:
        output_dir = Path(options.pop("output_dir", settings.data_dir / "annex-print"))
        return cls(output_dir=output_dir, **options)


class FolderProviderChannel(Channel):
    """Takes pieces: each submission becomes <inbox>/<piece id>.json with its pages' facts."""

    takes = Takes.PIECES

    def __init__(self, *, inbox: Path, **_: Any) -> None:
        self.inbox = inbox

    @classmethod
    def from_settings(cls, settings: Settings, **options: Any) -> Self:
        inbox = Path(options.pop("inbox", settings.data_dir / "provider-inbox"))
        return cls(inbox=inbox, **options)

    def _submit(self, submission: Submission) -> Receipt:
        (entry,) = submission.entries
        if REFUSED_NAME in entry.recipient.get("name_lines", []):
            raise PermanentChannelError("no delivery to that name")
        self.inbox.mkdir(parents=True, exist_ok=True)
        body = {
            "piece_id": entry.piece_id,
            "recipient": entry.recipient,
            "pages": [entry.first_page, entry.first_page + entry.own_pages - 1],
            "source": str(entry.source_path),
        }
        target = self.inbox / f"{submission.lot_id}.json"
        target.write_text(json.dumps(body), encoding="utf-8")
        return Receipt(reference=f"provider-{submission.lot_id}", facts={})
