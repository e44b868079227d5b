"""The hand-off channel: a piece whose delivery needs a network Postroom does not reach
(Peppol access points, banks, e-signing, Mastercard e-invoicing) is handed, with its PDF
and its metadata, to a folder another system takes from, or POSTed to an HTTP endpoint.
What becomes of it is reported back (POST /v1/handoff/reports, docs/handoff.md).

Folder: `<folder>/<piece id>/` holds `document.pdf`, `attachment-N.pdf` and
`metadata.json`, written complete or not at all (a hidden folder, every file fsynced,
renamed last). HTTP: one multipart POST (`metadata`, then the PDFs) with the piece id as
`Idempotency-Key`; no connection, a timeout, 429 and 5xx are retryable, any other answer
but 2xx refuses the piece for good, with the status kept in the code."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import unquote, urlsplit

from postroom.channels.base import (
    Channel,
    PermanentChannelError,
    Receipt,
    RetryableChannelError,
    Submission,
    Takes,
)
from postroom.storage.blobs import fsync_dir

if TYPE_CHECKING:
    import httpx

    from postroom.config import Settings
    from postroom.documents.lot_files import LotEntry

HANDOFF_KEY = "handoff"  # the piece's hand-off facts in its delivery (services/handoff.py)
METADATA = "metadata.json"
DOCUMENT = "document.pdf"
REPORT_PATH = "/v1/handoff/reports"
MAX_ANSWER = 300  # characters of a refusing endpoint's answer kept in the piece's reason


class HandOffRefused(PermanentChannelError):
    """The endpoint refused the piece (a 4xx other than 429): retrying will not help."""

    def __init__(self, status: int, answer: str) -> None:
        super().__init__(f"the hand-off endpoint answered {status}: {answer[:MAX_ANSWER]}")
        self.code = f"handoff_http_{status}"


def classify(response: httpx.Response) -> None:
    """The one place an endpoint's answer is judged: 2xx taken; 429 and 5xx retryable;
    any other status a permanent refusal with its status in the code."""
    status = response.status_code
    if 200 <= status < 300:
        return
    if status == 429 or status >= 500:
        raise RetryableChannelError(f"the hand-off endpoint answered {status}; trying again")
    raise HandOffRefused(status, response.text)


class HandOffChannel(Channel):
    """Hands one piece at a time to a folder or an HTTP endpoint (POSTROOM_HANDOFF_URL)."""

    name = "handoff"
    takes = Takes.PIECES

    @classmethod
    def from_settings(cls, settings: Settings, **options: Any) -> Self:
        """On POSTROOM_HANDOFF_URL (empty: <data dir>/handoff), _TIMEOUT_SECONDS and
        _REPORT_URL; a named instance's `url` wins."""
        config: dict[str, Any] = {
            "url": settings.handoff_url or (settings.data_dir / "handoff").resolve().as_uri(),
            "timeout": settings.handoff_timeout_seconds,
            "report_base_url": settings.handoff_report_url,
        }
        return cls(**{**config, **options})

    def __init__(
        self, *, url: str, timeout: float = 30.0, report_base_url: str = "", **_: Any
    ) -> None:
        self.url = url
        self.timeout = timeout
        self.report_base_url = report_base_url.rstrip("/")
        parts = urlsplit(url)
        self.folder = Path(unquote(parts.path)) if parts.scheme == "file" else None
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()

    def _submit(self, submission: Submission) -> Receipt:
        entry = submission.entries[0]
        files = _pdfs(entry)
        metadata = self.metadata(entry, files, handed_off_at=datetime.now(UTC))
        if self.folder is not None:
            return self._to_folder(entry.piece_id, metadata, files)
        return self._post(entry.piece_id, metadata, files)

    def metadata(
        self, entry: LotEntry, files: list[tuple[str, bytes]], *, handed_off_at: datetime
    ) -> bytes:
        """The metadata JSON handed over with the piece's PDFs."""
        facts = dict(entry.delivery.get(HANDOFF_KEY) or {})
        token = str(facts.pop("report_token", ""))
        facts.pop("channel", None)
        body = {
            "piece_id": entry.piece_id,
            "account_id": entry.account_id,
            "address_type": facts.pop("kind", ""),
            **facts,
            "documents": [
                {"name": name, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
                for name, data in files
            ],
            "report": {
                "url": f"{self.report_base_url}{REPORT_PATH}" if self.report_base_url else None,
                "piece_id": entry.piece_id,
                "token": token,
            },
            "handed_off_at": handed_off_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        return json.dumps(body, ensure_ascii=False, indent=2).encode("utf-8")

    # --- a folder ------------------------------------------------------------------------

    def _to_folder(self, piece_id: str, metadata: bytes, files: list[tuple[str, bytes]]) -> Receipt:
        assert self.folder is not None
        final = self.folder / piece_id
        reference = final.as_uri()
        if final.exists():
            # Handed over before a crash cut the commit short: taken as the first time.
            return Receipt(reference=reference, facts={"folder": str(final)})
        self.folder.mkdir(parents=True, exist_ok=True)
        partial = self.folder / f".{piece_id}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir()
        for name, data in [*files, (METADATA, metadata)]:
            _write_synced(partial / name, data)
        fsync_dir(partial)
        os.replace(partial, final)
        fsync_dir(self.folder)
        return Receipt(reference=reference, facts={"folder": str(final)})

    # --- an HTTP endpoint ----------------------------------------------------------------

    def _post(self, piece_id: str, metadata: bytes, files: list[tuple[str, bytes]]) -> Receipt:
        parts: list[tuple[str, tuple[str, bytes, str]]] = [
            ("metadata", (METADATA, metadata, "application/json"))
        ]
        parts += [("document", (name, data, "application/pdf")) for name, data in files]
        import httpx  # here, not at the top: every command loads the channel classes

        try:
            response = self._http().post(
                self.url, files=parts, headers={"Idempotency-Key": piece_id}
            )
        except httpx.HTTPError as exc:
            raise RetryableChannelError(f"the hand-off endpoint cannot be reached: {exc}") from exc
        classify(response)
        reference = piece_id
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if isinstance(answer, dict) and isinstance(answer.get("reference"), str):
            reference = answer["reference"][:200]
        return Receipt(reference=reference, facts={"status": response.status_code})

    def _http(self) -> httpx.Client:
        import httpx

        with self._lock:
            if self._client is None:
                self._client = httpx.Client(timeout=self.timeout)
            return self._client

    def close(self) -> None:
        """Close the HTTP connections."""
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None


def _pdfs(entry: LotEntry) -> list[tuple[str, bytes]]:
    """The piece's document (its own pages) and each attachment, whole, by file name."""
    # Imported here: pikepdf's start-up cost only for processes that hand pieces off.
    from postroom.documents.extract import piece_pdf

    files = [
        (
            DOCUMENT,
            piece_pdf(entry.source_path, first_page=entry.first_page, page_count=entry.own_pages),
        )
    ]
    for number, annex in enumerate(entry.annexes, start=1):
        data = piece_pdf(annex.path, first_page=annex.first, page_count=annex.count)
        files.append((f"attachment-{number}.pdf", data))
    return files


def _write_synced(path: Path, data: bytes) -> None:
    with path.open("wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
