"""Writes a lot's files (print PDF + manifest) into the output folder, all or nothing."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pikepdf

PRINT_FILE = "print.pdf"
MANIFEST_FILE = "manifest.json"


@dataclass(frozen=True)
class LotEntry:
    """One piece as the lot file needs it."""

    piece_id: str
    account_id: str
    source_path: Path
    page_count: int
    recipient: dict[str, Any]
    options: dict[str, Any]


@dataclass(frozen=True)
class LotFiles:
    """What was written."""

    folder: Path
    pdf_sha256: str
    page_count: int


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class LotFileWriter:
    """Composes into a hidden temporary folder, then renames it into place."""

    def __init__(self, output_dir: Path) -> None:
        self.output_dir = output_dir

    def folder(self, lot_id: str) -> Path:
        """Where a lot's files live once complete."""
        return self.output_dir / lot_id

    def write(self, lot_id: str, entries: list[LotEntry], created_at: datetime) -> LotFiles:
        """Write print.pdf and manifest.json for the lot; replaces an earlier partial run."""
        self.output_dir.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".tmp-{lot_id}-", dir=self.output_dir))
        try:
            pdf_path = work / PRINT_FILE
            placed = self._write_pdf(pdf_path, entries)
            pdf_sha = _sha256_file(pdf_path)
            manifest = {
                "lot_id": lot_id,
                "created_at": created_at.isoformat(),
                "print_file": PRINT_FILE,
                "print_file_sha256": pdf_sha,
                "piece_count": len(entries),
                "page_count": sum(e.page_count for e in entries),
                "pieces": [
                    {
                        "piece_id": e.piece_id,
                        "account_id": e.account_id,
                        "recipient": e.recipient,
                        "options": e.options,
                        "page_count": e.page_count,
                        "pages": {"first": first, "last": first + e.page_count - 1},
                    }
                    for e, first in zip(entries, placed, strict=True)
                ],
            }
            manifest_path = work / MANIFEST_FILE
            manifest_path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
            _fsync_path(manifest_path)
            _fsync_path(work)
            final = self.folder(lot_id)
            if final.exists():
                # An earlier attempt finished its files but not its database commit.
                shutil.rmtree(final)
            os.replace(work, final)
            _fsync_path(self.output_dir)
            page_count = sum(e.page_count for e in entries)
            return LotFiles(folder=final, pdf_sha256=pdf_sha, page_count=page_count)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise

    @staticmethod
    def _write_pdf(path: Path, entries: list[LotEntry]) -> list[int]:
        """Append every piece's pages in order; return each piece's first page number."""
        out = pikepdf.new()
        sources: dict[Path, pikepdf.Pdf] = {}
        firsts: list[int] = []
        try:
            for entry in entries:
                src = sources.get(entry.source_path)
                if src is None:
                    src = sources[entry.source_path] = pikepdf.open(entry.source_path)
                pages = list(src.pages)
                if len(pages) < entry.page_count:
                    raise ValueError(
                        f"piece {entry.piece_id} needs {entry.page_count} pages; "
                        f"its source has {len(pages)}"
                    )
                firsts.append(len(out.pages) + 1)
                out.pages.extend(pages[: entry.page_count])
            out.save(path)
        finally:
            for src in sources.values():
                src.close()
            out.close()
        _fsync_path(path)
        return firsts
