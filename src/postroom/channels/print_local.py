"""The local print channel: lot files written atomically into the print room's hot folder, or
published to a bucket (POSTROOM_OUTPUT_URL=s3://bucket/prefix) with the ticket last."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Self

from postroom.channels.base import Channel, PermanentChannelError, Receipt, Submission, Takes
from postroom.domain.errors import ErrorCode

if TYPE_CHECKING:
    from postroom.config import Settings
    from postroom.documents.lot_files import LotEntry, LotFiles, LotFileWriter
    from postroom.storage.objects import BucketFolder


log = logging.getLogger(__name__)

CHUNK_BYTES = 1 << 20


def _chunks_of(handle: BinaryIO) -> Iterator[bytes]:
    with handle:
        while chunk := handle.read(CHUNK_BYTES):
            yield chunk


class LotNotItsJob(PermanentChannelError):
    """The lot read back before hand-off is not what its job asks for (a composer fault):
    nothing was handed over, and composing it again would give the same file."""

    code = ErrorCode.LOT_VERIFICATION_FAILED


class PrintLocalChannel(Channel):
    """Writes <output dir>/<lot id>/ print.pdf, manifest.csv/.json and ticket.json, complete or
    absent; with a bucket, the folder is then published to <prefix>/<lot id>/, file by file,
    ticket.json last (a lot is in the bucket once its ticket is), and removed."""

    name = "print_local"
    takes = Takes.LOTS

    def __init__(self, *, output_dir: Path, output_url: str = "", **_: Any) -> None:
        # Imported here, not at the top: every process loads this class to know the channel
        # (the registry), and only one that hands lots over needs the PDF engines.
        from postroom.documents.lot_files import LotFileWriter

        self.writer: LotFileWriter = LotFileWriter(output_dir)
        self.bucket: BucketFolder | None = None
        if output_url.startswith("s3://"):
            from postroom.storage.objects import BucketFolder

            self.bucket = BucketFolder.from_url(output_url)

    @classmethod
    def from_settings(cls, settings: Settings, **options: Any) -> Self:
        """Into POSTROOM_OUTPUT_URL (the data folder's output/ by default), or the instance's
        own "output_dir" or "output_url"."""
        if "output_dir" in options:
            output_url = str(options.pop("output_url", ""))
            output_dir = Path(options.pop("output_dir"))
        else:
            output_url = str(options.pop("output_url", settings.output_url))
            output_dir = settings.output_dir
        return cls(output_dir=output_dir, output_url=output_url, **options)

    @property
    def output_dir(self) -> Path:
        """The hot folder lots land in."""
        return self.writer.output_dir

    def _submit(self, submission: Submission) -> Receipt:
        from postroom.documents.verify_lot import LotVerificationFailed

        published = self._published(submission.lot_id, submission.entries)
        if published is not None:  # an earlier attempt finished, then died before its commit
            return self._receipt(published, self._bucket_url(submission.lot_id))
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
        if self.bucket is None:
            return self._receipt(files, str(files.folder))
        self._publish(submission.lot_id, files)
        # The bucket holds the lot now, and everything reads it there: the local folder
        # would only fill this machine's disk, lot after lot.
        shutil.rmtree(files.folder, ignore_errors=True)
        return self._receipt(files, self._bucket_url(submission.lot_id))

    def _published(self, lot_id: str, entries: list[LotEntry]) -> LotFiles | None:
        """The lot as the bucket holds it, when complete and of these pieces."""
        from postroom.documents.lot_files import LOT_FILES, MANIFEST_FILE, TICKET_FILE, checked_lot

        if self.bucket is None:
            return None
        ticket = self.bucket.read_bytes(lot_id, TICKET_FILE)
        manifest = self.bucket.read_bytes(lot_id, MANIFEST_FILE)
        if ticket is None or manifest is None:
            return None
        files = {name: self.bucket.sha256_of(lot_id, name) for name in LOT_FILES}
        folder = self.writer.folder(lot_id)
        return checked_lot(lot_id, entries, folder, ticket=ticket, manifest=manifest, files=files)

    def _publish(self, lot_id: str, files: LotFiles) -> None:
        """Upload every file the bucket does not hold as it is here, the ticket last: a
        lot is never seen in the bucket half-written, and a retry finishes what a crash
        cut short."""
        from postroom.documents.lot_files import LOT_FILES, TICKET_FILE

        assert self.bucket is not None
        if self.bucket.sha256_of(lot_id, TICKET_FILE) not in (None, files.files[TICKET_FILE]):
            # Another lot under this name (altered by hand, or other pieces): its ticket goes
            # first, so nobody takes its ticket with these files.
            self.bucket.delete(lot_id, TICKET_FILE)
        for name in LOT_FILES:
            if self.bucket.sha256_of(lot_id, name) != files.files[name]:
                log.info("lot %s: uploading %s to %s", lot_id, name, self.bucket.url(lot_id, name))
                self.bucket.upload(files.folder / name, files.files[name], lot_id, name)
        log.info("lot %s: published to %s", lot_id, self._bucket_url(lot_id))

    def lot_file(self, lot_id: str, name: str) -> Iterator[bytes] | None:
        """A file of a written lot, in chunks: from the bucket the lot was published to, or
        the hot folder; None when it is not there (moved away by the print room)."""
        if self.bucket is not None:
            return self.bucket.chunks(lot_id, name)
        path = self.writer.folder(lot_id) / name
        try:
            handle = path.open("rb")
        except FileNotFoundError:
            return None
        return _chunks_of(handle)

    def keep_beside_lot(self, lot_id: str, name: str, data: bytes) -> None:
        """Into the lot's folder (written whole or not at all), or beside its files in the
        bucket it was published to."""
        if self.bucket is not None:
            self.bucket.put_bytes(data, lot_id, name)
            return
        from postroom.documents.proofs import write_atomically

        write_atomically(self.writer.folder(lot_id) / name, data)

    def _bucket_url(self, lot_id: str) -> str:
        assert self.bucket is not None
        return self.bucket.url(lot_id) + "/"

    @staticmethod
    def _receipt(files: LotFiles, reference: str) -> Receipt:
        return Receipt(
            reference=reference,
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
        from postroom.documents.lot_files import TICKET_FILE

        if self.bucket is not None and reference.startswith("s3://"):
            lot_id = reference.rstrip("/").rsplit("/", 1)[-1]
            return {"present": self.bucket.sha256_of(lot_id, TICKET_FILE) is not None}
        return {"present": Path(reference).is_dir()}
