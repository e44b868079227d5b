"""The local print channel: lot files written atomically into the print room's hot folder."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from postroom.channels.base import Channel, PermanentChannelError, Receipt, Submission, Takes
from postroom.domain.errors import ErrorCode

if TYPE_CHECKING:
    from postroom.config import Settings
    from postroom.documents.lot_files import LotFileWriter


class LotNotItsJob(PermanentChannelError):
    """The lot read back before hand-off is not what its job asks for (a composer fault):
    nothing was handed over, and composing it again would give the same file."""

    code = ErrorCode.LOT_VERIFICATION_FAILED


class PrintLocalChannel(Channel):
    """Writes <output dir>/<lot id>/ print.pdf, manifest.csv/.json and ticket.json, complete or
    absent."""

    name = "print_local"
    takes = Takes.LOTS

    def __init__(self, *, output_dir: Path, **_: Any) -> None:
        # Imported here, not at the top: every process loads this class to know the channel
        # (the registry), and only one that hands lots over needs the PDF engines.
        from postroom.documents.lot_files import LotFileWriter

        self.writer: LotFileWriter = LotFileWriter(output_dir)

    @classmethod
    def from_settings(cls, settings: Settings, **options: Any) -> Self:
        """Into the data folder's output/, or the instance's own "output_dir"."""
        output_dir = Path(options.pop("output_dir", settings.output_dir))
        return cls(output_dir=output_dir, **options)

    @property
    def output_dir(self) -> Path:
        """The hot folder lots land in."""
        return self.writer.output_dir

    def _submit(self, submission: Submission) -> Receipt:
        from postroom.documents.verify_lot import LotVerificationFailed

        try:
            files = self.writer.write(
                submission.lot_id,
                submission.entries,
                submission.created_at,
                channel=submission.channel or self.name,
                envelope=submission.envelope,
            )
        except LotVerificationFailed as exc:
            raise LotNotItsJob(exc.message) from exc
        return Receipt(
            reference=str(files.folder),
            facts={
                "pdf_sha256": files.pdf_sha256,
                "page_count": files.page_count,
                "sheet_count": files.sheet_count,
                "files": files.files,
            },
        )

    def interrupted(self) -> dict[str, list[Any]]:
        """Hidden folders of compositions a crash cut short, by lot id."""
        return dict(self.writer.interrupted())

    def discard(self, leftovers: list[Any]) -> None:
        """Remove those hidden folders (never a visible lot folder)."""
        self.writer.discard(leftovers)

    def _poll(self, reference: str) -> dict[str, Any]:
        return {"present": Path(reference).is_dir()}
