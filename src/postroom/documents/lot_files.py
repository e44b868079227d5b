"""Writes a lot's files (print PDF, manifest.csv/.json, ticket.json) into the output folder,
all or nothing, and returns the sha256 of each."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import secrets
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from postroom.documents.address_page import address_lines
from postroom.documents.barcodes import FORMAT_PREFIX
from postroom.documents.compose import PageRange, PiecePlan, PlacedPiece, compose_print_file
from postroom.documents.verify_lot import verify_print_file
from postroom.domain.geometry import ENVELOPE_FOLD, EnvelopeType, layout_for
from postroom.storage.blobs import fsync_dir

PRINT_FILE = "print.pdf"
MANIFEST_FILE = "manifest.json"
MANIFEST_CSV_FILE = "manifest.csv"
TICKET_FILE = "ticket.json"
# A composition in progress, or one a crash cut short: .tmp-<lot id>-<random>.
TEMP_PREFIX = ".tmp-"
_HASHED_IN_TICKET = (PRINT_FILE, MANIFEST_CSV_FILE, MANIFEST_FILE)
# Every file of a lot, the ticket last: where a lot is published file by file (a bucket),
# it is there once its ticket is.
LOT_FILES = (*_HASHED_IN_TICKET, TICKET_FILE)
DEFAULT_LAYOUT = "din5008_a"
MANIFEST_COLUMNS = (
    "sequence",
    "piece_id",
    "account_id",
    "recipient_name",
    "recipient_street",
    "postal_code",
    "city",
    "region",
    "country",
    "sheets",
    "first_page",
    "last_page",
    "page_count",
    "address_page",
    "blank_pages",
    "postage",
    "weight_g",
    "price_minor",
    "tracking_reference",
    "reply_envelope",
)


@dataclass(frozen=True)
class LotEntry:
    """One piece as the lot file needs it: pages in its source, annexes, service facts."""

    piece_id: str
    account_id: str
    source_path: Path
    # The piece's own pages in its source (first_page on); its annexes and configured pages
    # are `annexes`, so that all it prints is own_pages + the annexes' pages.
    own_pages: int
    recipient: dict[str, Any]
    options: dict[str, Any]
    first_page: int = 1  # the piece's first page in its source, 1-based
    annexes: tuple[PageRange, ...] = ()  # other documents (and configured pages), in order
    # A configured background page, drawn under each of the letter's own pages.
    background: PageRange | None = None
    address_page: bool = False
    # The recipient printed into the window zone of its first page (no address page).
    address_in_window: bool = False
    # The sender's return line, printed above the address Postroom prints ("" = none).
    return_line: str = ""
    layout: str = DEFAULT_LAYOUT  # envelope layout code
    home_country: str = ""  # the address page names the country of any other
    weight_g: int = 0
    price_minor: int = 0
    tracking_reference: str | None = None
    # How the piece is delivered (MailPiece.delivery): a hand-off channel reads its address
    # and references there; print channels do not look at it.
    delivery: Mapping[str, Any] = field(default_factory=dict)

    def plan(self) -> PiecePlan:
        """What composition puts into the lot for this piece."""
        layout = layout_for(self.layout)
        lines = (
            tuple(address_lines(self.recipient, home_country=self.home_country))
            if self.address_page or self.address_in_window
            else None
        )
        main = PageRange(self.source_path, self.first_page, self.first_page + self.own_pages - 1)
        return PiecePlan(
            piece_id=self.piece_id,
            parts=(main, *self.annexes),
            layout=layout,
            duplex=self.options.get("plex") == "duplex",
            address_lines=lines,
            address_in_window=self.address_in_window and not self.address_page,
            return_line=self.return_line if lines is not None else "",
            background=self.background,
        )


@dataclass(frozen=True)
class LotFiles:
    """What was written: the folder, every file's sha256, and the lot's totals."""

    folder: Path
    pdf_sha256: str
    page_count: int
    sheet_count: int = 0
    files: dict[str, str] = field(default_factory=dict)  # file name -> sha256


def checked_lot(
    lot_id: str,
    entries: list[LotEntry],
    folder: Path,
    *,
    ticket: bytes,
    manifest: bytes,
    files: dict[str, str | None],
) -> LotFiles | None:
    """The lot these files make when they are complete and list exactly these pieces, in
    order: every file as the ticket hashed it (`files`: each file's sha256 as found, None
    for one not there). None when partial or another lot's."""
    try:
        ticket_of = json.loads(ticket)
        manifest_of = json.loads(manifest)
        recorded = {name: ticket_of["files"].get(name) for name in _HASHED_IN_TICKET}
        listed = [p["piece_id"] for p in manifest_of["pieces"]]
        page_count, sheet_count = int(manifest_of["page_count"]), int(manifest_of["sheet_count"])
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    if (
        manifest_of.get("lot_id") != lot_id
        or listed != [e.piece_id for e in entries]
        or any(recorded[name] != files.get(name) for name in _HASHED_IN_TICKET)
        or manifest_of.get("print_file_sha256") != files.get(PRINT_FILE)
        or files.get(TICKET_FILE) != hashlib.sha256(ticket).hexdigest()
    ):
        return None
    return LotFiles(
        folder=folder,
        pdf_sha256=str(files[PRINT_FILE]),
        page_count=page_count,
        sheet_count=sheet_count,
        files={name: str(sha) for name, sha in files.items()},
    )


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _write_synced(path: Path, text: str) -> str:
    """Write `text` to `path`, flush it to disk and return its sha256."""
    path.write_text(text, encoding="utf-8")
    fsync_dir(path)
    return _sha256_file(path)


class LotFileWriter:
    """Composes into a hidden temporary folder, then renames it into place.

    A lot folder is never visible half-written, half-removed or replaced: the print room's
    hot folder may take it the moment it appears."""

    def __init__(self, output_dir: Path) -> None:
        self.output_dir = output_dir

    def folder(self, lot_id: str) -> Path:
        """Where a lot's files live once complete."""
        return self.output_dir / lot_id

    def write(
        self,
        lot_id: str,
        entries: list[LotEntry],
        created_at: datetime,
        *,
        channel: str = "",
        envelope: str = "",
    ) -> LotFiles:
        """Write the print PDF, manifests and ticket, or take the complete folder an earlier
        attempt left for the same pieces (it crashed after the rename, before its commit).
        The ticket names `channel` and `envelope` (the lot's group key's; without one, the
        first piece's layout's envelope).

        The caller must be the lot's only composer (`compose_lot` holds the lot's row
        locked): any hidden folder of this lot is then what a crash left, and is removed."""
        self.output_dir.mkdir(parents=True, exist_ok=True)
        self.discard(self.interrupted().get(lot_id, []))
        earlier = self.complete(lot_id, entries)
        if earlier is not None:
            return earlier
        work = Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{lot_id}-", dir=self.output_dir))
        # mkdtemp makes the folder private; the print room's tools run as other users.
        work.chmod(0o755)
        try:
            written = self._compose(
                work, lot_id, entries, created_at, {"channel": channel, "envelope": envelope}
            )
            return self._put_in_place(work, lot_id, entries, written)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise

    def complete(self, lot_id: str, entries: list[LotEntry]) -> LotFiles | None:
        """The lot's folder when it is complete and lists exactly these pieces, in order:
        every file as ticket.json hashed it. None when absent, partial or another lot's."""
        folder = self.folder(lot_id)
        try:
            ticket = (folder / TICKET_FILE).read_bytes()
            manifest = (folder / MANIFEST_FILE).read_bytes()
            files: dict[str, str | None] = {n: _sha256_file(folder / n) for n in LOT_FILES}
        except OSError:
            return None
        return checked_lot(lot_id, entries, folder, ticket=ticket, manifest=manifest, files=files)

    def interrupted(self) -> dict[str, list[Path]]:
        """Hidden temporary folders left by compositions a crash cut short, by lot id."""
        found: dict[str, list[Path]] = {}
        if not self.output_dir.is_dir():
            return found
        for path in self.output_dir.iterdir():
            if not path.name.startswith(TEMP_PREFIX) or not path.is_dir():
                continue
            # .tmp-<lot id>-<random>: mkdtemp's random part never holds a "-".
            lot_id, dash, _ = path.name.removeprefix(TEMP_PREFIX).rpartition("-")
            if dash and lot_id:
                found.setdefault(lot_id, []).append(path)
        return found

    def discard(self, folders: list[Path]) -> None:
        """Remove hidden folders (never a visible lot folder)."""
        for path in folders:
            if path.parent == self.output_dir and path.name.startswith(TEMP_PREFIX):
                shutil.rmtree(path, ignore_errors=True)

    def _compose(
        self,
        work: Path,
        lot_id: str,
        entries: list[LotEntry],
        created_at: datetime,
        group: dict[str, str],
    ) -> LotFiles:
        """Every file of the lot, fsynced, in `work`."""
        plans = [e.plan() for e in entries]
        placed = compose_print_file(work / PRINT_FILE, lot_id=lot_id, plans=plans, scratch=work)
        # Read back against the job (the entries, not what the composer reports) while the
        # folder is still hidden: a lot whose pages are not its pieces' is never handed over.
        verify_print_file(work / PRINT_FILE, lot_id=lot_id, pieces=entries)
        fsync_dir(work / PRINT_FILE)
        files = {PRINT_FILE: _sha256_file(work / PRINT_FILE)}
        rows = [_row(e, p) for e, p in zip(entries, placed, strict=True)]
        files[MANIFEST_CSV_FILE] = _write_synced(work / MANIFEST_CSV_FILE, _csv(rows))
        sheet_count = sum(p.sheets for p in placed)
        page_count = sum(p.page_count for p in placed)
        envelope = _envelope(entries, group["envelope"])
        fold = _fold(entries, envelope)
        manifest = {
            "lot_id": lot_id,
            "created_at": created_at.isoformat(),
            "print_file": PRINT_FILE,
            "print_file_sha256": files[PRINT_FILE],
            "barcode_format": FORMAT_PREFIX,
            "envelope": envelope,
            "fold": fold,
            "piece_count": len(entries),
            "sheet_count": sheet_count,
            "page_count": page_count,
            "pieces": [
                {
                    "sequence": p.sequence,
                    "piece_id": e.piece_id,
                    "account_id": e.account_id,
                    "recipient": e.recipient,
                    "options": {**e.options, "envelope": _piece_envelope(e)},
                    "sheets": p.sheets,
                    "page_count": p.page_count,
                    "pages": {"first": p.first_page, "last": p.last_page},
                    "address_page": p.address_page,
                    "blank_pages": p.blank_pages,
                    "postage": e.options.get("postage", ""),
                    "weight_g": e.weight_g,
                    "price_minor": e.price_minor,
                    "tracking_reference": e.tracking_reference,
                    # Reply mail: the inserter adds a return envelope to this piece.
                    "reply_envelope": bool(e.options.get("reply_envelope")),
                }
                for e, p in zip(entries, placed, strict=True)
            ],
        }
        # One line, no indent: json's C encoder only serves the compact form; indented,
        # the pure-Python one took ~0.15 s for a manifest of 1,000 pieces.
        files[MANIFEST_FILE] = _write_synced(
            work / MANIFEST_FILE, json.dumps(manifest, ensure_ascii=False)
        )
        ticket = {
            "lot_id": lot_id,
            "created_at": created_at.isoformat(),
            "channel": group["channel"],
            "envelope": envelope,
            "fold": fold,
            "options": {**_common_options(entries), "envelope": envelope},
            "totals": {
                "pieces": len(entries),
                "sheets": sheet_count,
                "pages": page_count,
                "weight_g": sum(e.weight_g for e in entries),
                "price_minor": sum(e.price_minor for e in entries),
            },
            "files": dict(files),
        }
        files[TICKET_FILE] = _write_synced(
            work / TICKET_FILE, json.dumps(ticket, indent=2, ensure_ascii=False)
        )
        fsync_dir(work)
        return LotFiles(
            folder=work,
            pdf_sha256=files[PRINT_FILE],
            page_count=page_count,
            sheet_count=sheet_count,
            files=files,
        )

    def _put_in_place(
        self, work: Path, lot_id: str, entries: list[LotEntry], written: LotFiles
    ) -> LotFiles:
        """Rename the finished folder to the lot's name, in one step."""
        final = self.folder(lot_id)
        if final.exists():
            # Only when two composers raced (SQLite has no row lock): keep the first one's.
            earlier = self.complete(lot_id, entries)
            if earlier is not None:
                shutil.rmtree(work, ignore_errors=True)
                return earlier
            # Something else under the lot's name (not these pieces, or altered by hand):
            # moved aside whole, so it is never seen half-removed, then removed.
            aside = self.output_dir / f"{TEMP_PREFIX}{lot_id}-{secrets.token_hex(4)}"
            os.replace(final, aside)
            os.replace(work, final)
            shutil.rmtree(aside, ignore_errors=True)
        else:
            os.replace(work, final)
        fsync_dir(self.output_dir)
        return replace(written, folder=final)


def _row(entry: LotEntry, placed: PlacedPiece) -> dict[str, Any]:
    """One manifest.csv row."""
    recipient = entry.recipient
    return {
        "sequence": placed.sequence,
        "piece_id": entry.piece_id,
        "account_id": entry.account_id,
        "recipient_name": " / ".join(recipient.get("name_lines", ())),
        "recipient_street": " / ".join(recipient.get("street_lines", ())),
        "postal_code": recipient.get("postal_code", ""),
        "city": recipient.get("city", ""),
        "region": recipient.get("region", ""),
        "country": recipient.get("country", ""),
        "sheets": placed.sheets,
        "first_page": placed.first_page,
        "last_page": placed.last_page,
        "page_count": placed.page_count,
        "address_page": int(placed.address_page),
        "blank_pages": placed.blank_pages,
        "postage": entry.options.get("postage", ""),
        "weight_g": entry.weight_g,
        "price_minor": entry.price_minor,
        "tracking_reference": entry.tracking_reference or "",
        "reply_envelope": int(bool(entry.options.get("reply_envelope"))),
    }


def _csv(rows: list[dict[str, Any]]) -> str:
    """The manifest as CSV with a header row."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=MANIFEST_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _envelope(entries: list[LotEntry], resolved: str) -> str:
    """The envelope the print room loads: the lot's as resolved, else its first piece's own
    choice, else the envelope of that piece's layout (never "")."""
    if resolved or not entries:
        return resolved
    return _piece_envelope(entries[0])


def _fold(entries: list[LotEntry], envelope: str) -> str:
    """How the lot's sheets are folded for `envelope` (a known envelope type's fold, else
    its first piece's layout's)."""
    try:
        return ENVELOPE_FOLD[EnvelopeType(envelope)].value
    except ValueError:
        return layout_for(entries[0].layout).fold.value if entries else ""


def _piece_envelope(entry: LotEntry) -> str:
    """A piece's envelope: its own choice, else its layout's (never "")."""
    return str(entry.options.get("envelope") or layout_for(entry.layout).envelope.value)


def _common_options(entries: list[LotEntry]) -> dict[str, Any]:
    """The options every piece of the lot shares (the lot's group key)."""
    if not entries:
        return {}
    first = entries[0].options
    return {
        key: value
        for key, value in first.items()
        if all(e.options.get(key) == value for e in entries[1:])
    }
