"""Answers that stream a lot's file from where its channel wrote it (the output folder or
a bucket), for every way in that offers one (/v1 and the dashboard's print room)."""

from __future__ import annotations

from fastapi.responses import StreamingResponse

from postroom.services.production import LotFile


def lot_file_response(found: LotFile, lot_id: str) -> StreamingResponse:
    """The file, a chunk at a time (never whole in memory), named for download with its
    lot, its ETag the sha256 recorded when the lot was written."""
    return StreamingResponse(
        found.chunks,
        media_type=found.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="lot-{lot_id}-{found.name}"',
            "ETag": f'"{found.sha256}"',
            "Cache-Control": "private, no-cache",
        },
    )
