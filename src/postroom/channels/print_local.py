"""The local print channel: lot files written atomically into the print room's hot folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from postroom.channels.base import Channel, Receipt, Submission
from postroom.documents.lot_files import LotFileWriter


class PrintLocalChannel(Channel):
    """Writes <output dir>/<lot id>/ print.pdf, manifest.csv/.json and ticket.json, complete or
    absent."""

    name = "print_local"

    def __init__(self, *, output_dir: Path, **_: Any) -> None:
        self.writer = LotFileWriter(output_dir)

    def _submit(self, submission: Submission) -> Receipt:
        files = self.writer.write(submission.lot_id, submission.entries, submission.created_at)
        return Receipt(
            reference=str(files.folder),
            facts={
                "pdf_sha256": files.pdf_sha256,
                "page_count": files.page_count,
                "sheet_count": files.sheet_count,
                "files": files.files,
            },
        )

    def _poll(self, reference: str) -> dict[str, Any]:
        return {"present": Path(reference).is_dir()}
