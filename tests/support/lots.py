"""Lot folders as the print shop sees them: the output folder, or, when lots go to a bucket
(POSTROOM_OUTPUT_URL=s3://..., as in the distributed run), a local copy of the bucket's
complete lots."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from postroom.config import Settings
from postroom.documents.lot_files import LOT_FILES, TEMP_PREFIX, TICKET_FILE
from postroom.storage.objects import BucketFolder

# In a copy of a bucket's lots: the bucket they come from, so each look copies new ones.
BUCKET_MARK = ".bucket"


def lots_folder(settings: Settings) -> Path:
    """Where the lots of these settings can be read as folders, up to date now."""
    if not settings.output_url.startswith("s3://"):
        return settings.output_dir
    copy = settings.data_dir / "lots-from-bucket"
    copy.mkdir(parents=True, exist_ok=True)
    (copy / BUCKET_MARK).write_text(settings.output_url)
    _copy_new_lots(copy)
    return copy


def take_lot_away(settings: Settings, lot_id: str) -> None:
    """Do what a print room does with a lot it has taken: its folder goes from the output
    folder, or all its objects (the ticket too, so no later look finds a ticket without
    its files) from the bucket."""
    if not settings.output_url.startswith("s3://"):
        shutil.rmtree(settings.output_dir / lot_id)
        return
    bucket = BucketFolder.from_url(settings.output_url)
    for name in reversed(LOT_FILES):  # the ticket first: no look finds it half gone
        bucket.delete(lot_id, name)


def handed_over_manifests(folder: Path) -> list[Path]:
    """The manifests of the lots in the folder, leaving out folders still being written
    (.tmp-…): their manifest may be there before the print file is. A copy of a bucket's
    lots (lots_folder) takes the lots published since it was made first."""
    if (folder / BUCKET_MARK).is_file():
        _copy_new_lots(folder)
    return [
        manifest
        for manifest in sorted(folder.glob("*/manifest.json"))
        if not manifest.parent.name.startswith(TEMP_PREFIX)
    ]


def _copy_new_lots(copy: Path) -> None:
    """Copy each lot whose ticket the bucket holds and the copy does not, ticket last (a
    lot in the bucket never changes once its ticket is there)."""
    bucket = BucketFolder.from_url((copy / BUCKET_MARK).read_text())
    prefix = bucket.key("")
    pages = bucket.client.get_paginator("list_objects_v2").paginate(
        Bucket=bucket.bucket, Prefix=prefix
    )
    keys = [item["Key"] for page in pages for item in page.get("Contents", [])]
    for key in keys:
        lot_id, _, name = key.removeprefix(prefix).partition("/")
        if name != TICKET_FILE or (copy / lot_id / TICKET_FILE).exists():
            continue
        folder = copy / lot_id
        folder.mkdir(exist_ok=True)
        for file_name in LOT_FILES:  # the ticket last, as published
            data = bucket.read_bytes(lot_id, file_name)
            assert data is not None, f"lot {lot_id}: {file_name} missing under its ticket"
            part = folder / f".{file_name}.part"
            part.write_bytes(data)
            os.replace(part, folder / file_name)
