"""A lot is read back against its job before it is handed over: a composer that puts a
piece's pages in the wrong place or order, or a window that names someone else, stops the
lot before anything appears in the output folder.

The faulty composers here replace our own code on purpose (monkeypatch): the one place a
test may, to prove the read-back catches a composer bug that every other test would pass."""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from postroom.documents import lot_files
from postroom.documents.compose import PageRange, PiecePlan
from postroom.documents.lot_files import PRINT_FILE, LotEntry, LotFileWriter
from postroom.documents.verify_lot import LotVerificationFailed, verify_print_file
from postroom.domain.errors import ErrorCode
from postroom.domain.geometry import layout_for
from tests.support.letters import make_letter
from tests.support.pdfs import make_pdf
from tests.unit.documents.test_lot_files import recipient

LOT_ID = "5e1f0a2b-1111-4222-8333-444455556666"
CREATED = datetime(2026, 3, 2, 16, 0, tzinfo=UTC)
LAYOUT = layout_for("din5008_a")


def piece(
    n: int, source: Path, first: int, pages: int, plex: str = "simplex", **extra: Any
) -> LotEntry:
    return LotEntry(
        piece_id=f"piece-{n}",
        account_id="acc-1",
        source_path=source,
        own_pages=pages,
        first_page=first,
        recipient=recipient(f"Person {n}"),
        options={"plex": plex, "color": False, "postage": "economy", "envelope": "C5"},
        home_country="SE",
        **extra,
    )


@pytest.fixture
def mixed(tmp_path: Path) -> list[LotEntry]:
    """Simplex, duplex odd, duplex with an address page, simplex with an annex and a
    configured page."""
    source = tmp_path / "campaign.pdf"
    source.write_bytes(make_pdf(12, label="Campaign"))
    terms = tmp_path / "terms.pdf"
    terms.write_bytes(make_pdf(2, label="Terms"))
    backing = tmp_path / "backing.pdf"
    backing.write_bytes(make_pdf(1, label="Backing"))
    return [
        piece(1, source, 1, 2),
        piece(2, source, 3, 3, "duplex"),
        piece(3, source, 6, 2, "duplex", address_page=True),
        piece(4, source, 8, 1, annexes=(PageRange(terms, 1, 2), PageRange(backing, 1, 1))),
    ]


def write(tmp_path: Path, entries: list[LotEntry]) -> Path:
    return LotFileWriter(tmp_path / "out").write(LOT_ID, entries, CREATED).folder


def refused(tmp_path: Path, entries: list[LotEntry]) -> LotVerificationFailed:
    """The lot is stopped by the read-back, and nothing, hidden or visible, is left."""
    with pytest.raises(LotVerificationFailed) as caught:
        write(tmp_path, entries)
    assert list((tmp_path / "out").iterdir()) == []
    assert caught.value.code is ErrorCode.LOT_VERIFICATION_FAILED
    return caught.value


def test_a_mixed_lot_reads_back_as_its_job(tmp_path: Path, mixed: list[LotEntry]) -> None:
    folder = write(tmp_path, mixed)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [LOT_ID]
    verify_print_file(folder / PRINT_FILE, lot_id=LOT_ID, pieces=mixed)  # again: still true


def test_a_composer_that_swaps_two_pieces_is_stopped(
    tmp_path: Path, mixed: list[LotEntry], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = lot_files.compose_print_file

    def swapping(path: Path, *, lot_id: str, plans: Sequence[PiecePlan], scratch: Path) -> Any:
        plans = [plans[1], plans[0], *plans[2:]]  # the bug: pieces 1 and 2 change places
        return real(path, lot_id=lot_id, plans=plans, scratch=scratch)

    monkeypatch.setattr(lot_files, "compose_print_file", swapping)
    error = refused(tmp_path, mixed)
    assert error.detail["piece_id"] == "piece-1"
    assert error.detail["print_page"] == 1
    assert "page 1 of its document campaign.pdf" in error.message


def test_a_composer_that_puts_the_attachment_before_its_letter_is_stopped(
    tmp_path: Path, mixed: list[LotEntry], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = LotEntry.plan

    def annexes_first(entry: LotEntry) -> PiecePlan:
        plan = real(entry)
        return dataclasses.replace(plan, parts=(*plan.parts[1:], plan.parts[0]))

    monkeypatch.setattr(LotEntry, "plan", annexes_first)  # only piece 4 has more than one part
    error = refused(tmp_path, mixed)
    assert error.detail == {
        "lot_id": LOT_ID,
        "piece_id": "piece-4",
        "sequence": 4,
        "piece_page": 1,
        "print_page": 11,
    }
    assert "page 8 of its document campaign.pdf" in error.message


def test_a_composer_that_reverses_a_piece_pages_is_stopped(
    tmp_path: Path, mixed: list[LotEntry], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = LotEntry.plan

    def reversed_main(entry: LotEntry) -> PiecePlan:
        plan = real(entry)
        main = plan.parts[0]
        pages = tuple(PageRange(main.path, n, n) for n in range(main.last, main.first - 1, -1))
        return dataclasses.replace(plan, parts=(*pages, *plan.parts[1:]))

    monkeypatch.setattr(LotEntry, "plan", reversed_main)
    error = refused(tmp_path, mixed)
    assert error.detail["piece_id"] == "piece-1"


def test_a_composer_that_drops_a_blank_back_is_stopped(
    tmp_path: Path, mixed: list[LotEntry], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = LotEntry.plan

    def simplex(entry: LotEntry) -> PiecePlan:
        return dataclasses.replace(real(entry), duplex=False)

    monkeypatch.setattr(LotEntry, "plan", simplex)
    error = refused(tmp_path, mixed)
    assert "the print file has 12 pages, the job 14" in error.message


def test_a_window_naming_someone_else_is_stopped(tmp_path: Path) -> None:
    letter = tmp_path / "letter.pdf"
    letter.write_bytes(make_letter(["Someone Else", "Kungsgatan 2", "111 43 Stockholm"], LAYOUT))
    entry = dataclasses.replace(piece(1, letter, 1, 1), layout="din5008_a")
    error = refused(tmp_path, [entry])
    assert "Someone Else" in error.message and "Person 1" in error.message


def test_a_window_naming_the_recipient_passes(tmp_path: Path) -> None:
    letter = tmp_path / "letter.pdf"
    letter.write_bytes(make_letter(["PERSON  1", "Storgatan 1", "111 22 Stockholm"], LAYOUT))
    entry = dataclasses.replace(piece(1, letter, 1, 1), layout="din5008_a")
    assert (write(tmp_path, [entry]) / PRINT_FILE).is_file()  # case and spacing ignored


def test_an_empty_window_passes_until_the_address_is_printed_there(tmp_path: Path) -> None:
    blank_window = tmp_path / "letter.pdf"
    blank_window.write_bytes(make_pdf(1, label="Dear customer"))  # text above the window
    entry = dataclasses.replace(piece(1, blank_window, 1, 1), layout="din5008_a")
    assert (write(tmp_path, [entry]) / PRINT_FILE).is_file()


def scans(path: Path, shades: Sequence[int]) -> None:
    """A PDF of image-only pages (no text), one grey shade each."""
    pdf = canvas.Canvas(str(path), pagesize=A4)
    for shade in shades:
        buffer = io.BytesIO()
        Image.new("L", (40, 40), shade).save(buffer, format="PNG")
        pdf.drawImage(ImageReader(buffer), 100, 100, 200, 200)
        pdf.showPage()
    pdf.save()


def test_scanned_pages_without_text_are_matched_by_their_images(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "scans.pdf"
    scans(source, [30, 120, 200, 250])
    entries = [piece(1, source, 1, 2), piece(2, source, 3, 2)]
    assert (write(tmp_path, entries) / PRINT_FILE).is_file()
    real = LotEntry.plan
    monkeypatch.setattr(  # the bug: piece 2 takes piece 1's pages
        LotEntry, "plan", lambda e: dataclasses.replace(real(e), parts=real(entries[0]).parts)
    )
    with pytest.raises(LotVerificationFailed) as caught:
        LotFileWriter(tmp_path / "again").write(LOT_ID, entries, CREATED)
    assert caught.value.detail["piece_id"] == "piece-2"
    assert list((tmp_path / "again").iterdir()) == []


def test_pages_rewritten_or_overlaid_still_read_as_their_source(
    tmp_path: Path, mixed: list[LotEntry]
) -> None:
    """The check does not depend on how the composer writes a page: content streams merged
    into one and re-encoded, and text added over the page, still read as the source page."""
    folder = write(tmp_path, mixed)
    overlay = pikepdf.open(io.BytesIO(make_pdf(1, label="Added over the page")))
    rewritten = tmp_path / "rewritten.pdf"
    with pikepdf.open(folder / PRINT_FILE) as pdf:
        for page in pdf.pages:
            page.contents_coalesce()
        for index in (0, 2, 10):  # source pages of pieces 1, 2 and 4
            pdf.pages[index].add_overlay(overlay.pages[0])
        pdf.save(rewritten)
    verify_print_file(rewritten, lot_id=LOT_ID, pieces=mixed)
    with pikepdf.open(rewritten) as pdf:
        pdf.pages.reverse()
        pdf.save(tmp_path / "reversed.pdf")
    with pytest.raises(LotVerificationFailed):
        verify_print_file(tmp_path / "reversed.pdf", lot_id=LOT_ID, pieces=mixed)
