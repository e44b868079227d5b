"""Composed lots: address pages, blank backs, a readable sheet code on every sheet, manifests
that match the pieces, shared resources for pieces cut from one file, all or nothing."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pikepdf
import pypdfium2 as pdfium
import pytest
import zxingcpp

from postroom.documents import compose
from postroom.documents.barcodes import parse_sheet_code
from postroom.documents.compose import PageRange
from postroom.documents.lot_files import (
    MANIFEST_CSV_FILE,
    MANIFEST_FILE,
    PRINT_FILE,
    TICKET_FILE,
    LotEntry,
    LotFileWriter,
)
from postroom.documents.zones import read_zone_lines
from postroom.domain.geometry import MM_PER_POINT, layout_for
from tests.support.letters import make_letter
from tests.support.pdfs import make_pdf

LOT_ID = "9b1d0c2a-1111-4222-8333-444455556666"
CREATED = datetime(2026, 3, 2, 16, 0, tzinfo=UTC)
LAYOUT = layout_for("din5008_a")
RENDER_DPI = 200


def recipient(name: str, country: str = "SE") -> dict[str, Any]:
    return {
        "name_lines": [name],
        "street_lines": ["Storgatan 1"],
        "postal_code": "111 22",
        "city": "Stockholm",
        "country": country,
    }


def options(plex: str) -> dict[str, Any]:
    return {"plex": plex, "color": False, "postage": "registered", "envelope": "C5", "paper": "80g"}


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "campaign.pdf"
    path.write_bytes(make_pdf(12, label="Campaign"))
    return path


@pytest.fixture
def annex(tmp_path: Path) -> Path:
    path = tmp_path / "terms.pdf"
    path.write_bytes(make_pdf(1, label="Terms"))
    return path


def mixed_entries(source: Path, annex: Path) -> list[LotEntry]:
    """Four pieces: simplex, duplex odd, duplex with an address page, simplex with an annex."""

    def piece(n: int, first: int, pages: int, plex: str, **extra: Any) -> LotEntry:
        return LotEntry(
            piece_id=f"piece-{n}",
            account_id="acc-1",
            source_path=source,
            own_pages=pages,
            first_page=first,
            recipient=recipient(f"Person {n}", country="NO" if n == 3 else "SE"),
            options=options(plex),
            home_country="SE",
            weight_g=20 + n,
            price_minor=1000 + n,
            tracking_reference=f"RR{n:07d}SE",
            **extra,
        )

    return [
        piece(1, 1, 2, "simplex"),
        piece(2, 3, 3, "duplex"),
        piece(3, 6, 2, "duplex", address_page=True),
        piece(4, 8, 1, "simplex", annexes=(PageRange(annex, 1, 1),)),
    ]


# address page, main pages, annexes, blank backs
EXPECTED = {
    "piece-1": (0, 2, 0, 0),
    "piece-2": (0, 3, 0, 1),
    "piece-3": (1, 2, 0, 1),
    "piece-4": (0, 1, 1, 0),
}


@pytest.fixture
def lot(tmp_path: Path, source: Path, annex: Path) -> tuple[Path, list[LotEntry], Any]:
    entries = mixed_entries(source, annex)
    files = LotFileWriter(tmp_path / "out").write(LOT_ID, entries, CREATED)
    return files.folder, entries, files


def codes_by_page(path: Path) -> dict[int, str]:
    """Every decoded DataMatrix, by 1-based page, read from the barcode zone only."""
    found: dict[int, str] = {}
    pdf = pdfium.PdfDocument(path)
    try:
        for index in range(len(pdf)):
            image = pdf[index].render(scale=RENDER_DPI / 72).to_pil()
            zone = LAYOUT.barcode_zone
            px = RENDER_DPI / 25.4
            crop = image.crop(
                (
                    int((zone.left_mm - 3) * px),
                    int((zone.top_mm - 3) * px),
                    int((zone.right_mm + 3) * px),
                    int((zone.bottom_mm + 3) * px),
                )
            )
            results = zxingcpp.read_barcodes(crop, formats=zxingcpp.BarcodeFormat.DataMatrix)
            assert len(results) <= 1
            if results:
                found[index + 1] = results[0].text
    finally:
        pdf.close()
    return found


def test_every_piece_gets_its_address_page_pages_annexes_and_blank_backs(lot: Any) -> None:
    folder, _, files = lot
    manifest = json.loads((folder / MANIFEST_FILE).read_text())
    for piece in manifest["pieces"]:
        address, main, annexes, blanks = EXPECTED[piece["piece_id"]]
        assert piece["page_count"] == address + main + annexes + blanks
        assert piece["address_page"] is bool(address)
        assert piece["blank_pages"] == blanks
        if piece["options"]["plex"] == "duplex":
            assert piece["page_count"] % 2 == 0
            assert piece["sheets"] == piece["page_count"] // 2
        else:
            assert piece["sheets"] == piece["page_count"]
    pages = [(p["pages"]["first"], p["pages"]["last"]) for p in manifest["pieces"]]
    assert pages == [(1, 2), (3, 6), (7, 10), (11, 12)]
    assert files.page_count == len(pikepdf.open(folder / PRINT_FILE).pages) == 12
    assert files.sheet_count == 2 + 2 + 2 + 2


def test_every_sheet_front_carries_a_code_for_its_piece_and_sheet(lot: Any) -> None:
    folder, _, _ = lot
    manifest = json.loads((folder / MANIFEST_FILE).read_text())
    expected: dict[int, tuple[int, int, int]] = {}
    for piece in manifest["pieces"]:
        step = 2 if piece["options"]["plex"] == "duplex" else 1
        fronts = range(piece["pages"]["first"], piece["pages"]["last"] + 1, step)
        for sheet, page in enumerate(fronts, 1):
            expected[page] = (piece["sequence"], sheet, piece["sheets"])
    decoded = codes_by_page(folder / PRINT_FILE)
    assert set(decoded) == set(expected)  # fronts only: no code on a back
    for page, text in decoded.items():
        code = parse_sheet_code(text)  # raises when the check digits are wrong
        assert code.lot == LOT_ID[:8]
        assert (code.piece_sequence, code.sheet, code.sheets) == expected[page]


def test_the_address_page_holds_the_recipient_in_the_address_zone(lot: Any) -> None:
    folder, _, _ = lot
    pdf = pdfium.PdfDocument(folder / PRINT_FILE)
    try:
        lines = read_zone_lines(pdf[6], LAYOUT.address_zone)
        assert [round(v * MM_PER_POINT) for v in pdf[6].get_size()] == [210, 297]
    finally:
        pdf.close()
    assert lines == ["Person 3", "Storgatan 1", "111 22 Stockholm", "NORWAY"]


# Every page of the mixed lot as PDFium reads it: whose it is and what it must say.
EXPECTED_TEXT = [
    ("piece-1", "Campaign page 1 of 12"),
    ("piece-1", "Campaign page 2 of 12"),
    ("piece-2", "Campaign page 3 of 12"),
    ("piece-2", "Campaign page 4 of 12"),
    ("piece-2", "Campaign page 5 of 12"),
    ("piece-2", ""),  # blank back: duplex, odd
    ("piece-3", "Person 3 Storgatan 1 111 22 Stockholm NORWAY"),  # its address page
    ("piece-3", ""),  # the address page's back
    ("piece-3", "Campaign page 6 of 12"),
    ("piece-3", "Campaign page 7 of 12"),
    ("piece-4", "Campaign page 8 of 12"),
    ("piece-4", "Terms page 1 of 1"),  # the annex after the letter
]


def lot_page_texts(path: Path) -> list[str]:
    """Each page's text, whitespace-normalised, read with PDFium one page at a time."""
    pdf = pdfium.PdfDocument(path)
    try:
        return [" ".join(pdf[i].get_textpage().get_text_range().split()) for i in range(len(pdf))]
    finally:
        pdf.close()


def test_every_page_is_its_piece_own_page_in_order(lot: Any) -> None:
    folder, _, _ = lot
    manifest = json.loads((folder / MANIFEST_FILE).read_text())
    owner = {
        page: piece["piece_id"]
        for piece in manifest["pieces"]
        for page in range(piece["pages"]["first"], piece["pages"]["last"] + 1)
    }
    texts = lot_page_texts(folder / PRINT_FILE)
    assert [(owner[n], text) for n, text in enumerate(texts, 1)] == EXPECTED_TEXT


def test_a_composer_that_puts_an_annex_first_gives_pages_these_tests_refuse(
    tmp_path: Path, source: Path, annex: Path
) -> None:
    # compose_print_file alone (no read-back): what the page-text test above would see.
    entries = mixed_entries(source, annex)
    plans = [e.plan() for e in entries]
    faulty = dataclasses.replace(plans[3], parts=plans[3].parts[::-1])
    path = tmp_path / "print.pdf"
    compose.compose_print_file(path, lot_id=LOT_ID, plans=[*plans[:3], faulty], scratch=tmp_path)
    texts = lot_page_texts(path)
    assert texts != [text for _, text in EXPECTED_TEXT]
    assert texts[-2:] == ["Terms page 1 of 1", "Campaign page 8 of 12"]


def test_manifests_agree_with_the_pieces(lot: Any) -> None:
    folder, entries, _ = lot
    manifest = json.loads((folder / MANIFEST_FILE).read_text())
    with (folder / MANIFEST_CSV_FILE).open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["piece_id"] for r in rows] == [e.piece_id for e in entries]
    for row, piece, entry in zip(rows, manifest["pieces"], entries, strict=True):
        assert row["piece_id"] == piece["piece_id"] == entry.piece_id
        assert int(row["sequence"]) == piece["sequence"]
        assert int(row["sheets"]) == piece["sheets"]
        assert (int(row["first_page"]), int(row["last_page"])) == tuple(piece["pages"].values())
        assert row["recipient_name"] == entry.recipient["name_lines"][0]
        assert row["postage"] == piece["postage"] == "registered"
        assert int(row["weight_g"]) == piece["weight_g"] == entry.weight_g
        assert int(row["price_minor"]) == piece["price_minor"] == entry.price_minor
        assert row["tracking_reference"] == piece["tracking_reference"]
        assert piece["tracking_reference"] == entry.tracking_reference
    ticket = json.loads((folder / TICKET_FILE).read_text())
    assert ticket["totals"] == {
        "pieces": 4,
        "sheets": 8,
        "pages": 12,
        "weight_g": sum(e.weight_g for e in entries),
        "price_minor": sum(e.price_minor for e in entries),
    }
    assert ticket["options"] == {"color": False, "postage": "registered", "envelope": "C5"} | {
        "paper": "80g"
    }
    # A C5 takes A4 folded once: the ticket and the manifest tell the inserter so.
    assert (ticket["envelope"], ticket["fold"]) == ("C5", "half")
    assert (manifest["envelope"], manifest["fold"]) == ("C5", "half")


def test_the_recorded_sha256_match_the_files(lot: Any) -> None:
    folder, _, files = lot
    assert set(files.files) == {PRINT_FILE, MANIFEST_FILE, MANIFEST_CSV_FILE, TICKET_FILE}
    for name, digest in files.files.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest
    ticket = json.loads((folder / TICKET_FILE).read_text())
    assert ticket["files"] == {k: v for k, v in files.files.items() if k != TICKET_FILE}
    assert sorted(p.name for p in folder.iterdir()) == sorted(files.files)


def test_pieces_cut_from_one_source_share_its_fonts(tmp_path: Path) -> None:
    source = tmp_path / "big.pdf"
    source.write_bytes(
        make_letter(["Anna Svensson", "Storgatan 1", "111 22 Stockholm"], LAYOUT, pages=2000)
    )
    entries = [
        LotEntry(
            f"p{i}",
            "acc",
            source,
            4,
            # No recipient: only page 1 has an address in its window, later pieces start on
            # body text there, which the read-back would rightly take for another name.
            {},
            options("simplex"),
            first_page=1 + 4 * i,
        )
        for i in range(500)
    ]
    files = LotFileWriter(tmp_path / "out").write(LOT_ID, entries, CREATED)
    lot_size = (files.folder / PRINT_FILE).stat().st_size
    assert lot_size <= 1.5 * source.stat().st_size


def test_a_failure_mid_write_leaves_no_folder(
    tmp_path: Path, source: Path, annex: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = 0
    real = compose.sheet_code

    def failing(*args: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 5:
            raise OSError("disk full")
        return real(*args)

    monkeypatch.setattr(compose, "sheet_code", failing)
    output = tmp_path / "out"
    with pytest.raises(OSError):
        LotFileWriter(output).write(LOT_ID, mixed_entries(source, annex), CREATED)
    assert list(output.iterdir()) == []


def test_a_range_past_the_source_end_is_refused(tmp_path: Path, source: Path) -> None:
    entry = LotEntry("p", "acc", source, 3, recipient("P"), options("simplex"), first_page=11)
    with pytest.raises(ValueError, match="has 12"):
        LotFileWriter(tmp_path / "out").write(LOT_ID, [entry], CREATED)
    assert list((tmp_path / "out").iterdir()) == []


def page_texts(path: Path) -> list[str]:
    """The text of every page of the PDF at `path`, stripped."""
    pdf = pdfium.PdfDocument(path)
    try:
        return [page.get_textpage().get_text_range().strip() for page in pdf]
    finally:
        pdf.close()


def test_pages_of_a_nested_page_tree_come_in_order_with_what_they_inherit(
    tmp_path: Path,
) -> None:
    # Two intermediate nodes of 6 pages each; the second gives its pages a Letter-sized
    # MediaBox by inheritance, which the copies must keep.
    path = tmp_path / "nested.pdf"
    with pikepdf.open(io.BytesIO(make_pdf(12, label="Nested"))) as pdf:
        root = pdf.Root.Pages
        pages = [page.obj for page in pdf.pages]
        nodes = []
        for half in (pages[:6], pages[6:]):
            node = pdf.make_indirect(
                pikepdf.Dictionary(
                    Type=pikepdf.Name.Pages, Kids=pikepdf.Array(half), Count=6, Parent=root
                )
            )
            for page in half:
                page.Parent = node
            nodes.append(node)
        letter = pikepdf.Array([0, 0, 612, 792])
        nodes[1].MediaBox = letter
        for page in pages[6:]:
            del page["/MediaBox"]
        root.Kids = pikepdf.Array(nodes)
        pdf.save(path)
    entry = LotEntry("p", "acc", path, 4, recipient("P"), options("simplex"), first_page=5)
    files = LotFileWriter(tmp_path / "out").write(LOT_ID, [entry], CREATED)
    lot_path = files.folder / PRINT_FILE
    assert page_texts(lot_path) == [f"Nested page {i} of 12" for i in range(5, 9)]
    with pikepdf.open(lot_path) as lot_pdf:
        boxes = [[float(v) for v in page.mediabox] for page in lot_pdf.pages]
    assert boxes[2:] == [[0, 0, 612, 792]] * 2
    assert boxes[0][2:] != [612, 792]
    assert set(codes_by_page(lot_path)) == {1, 2, 3, 4}


def test_pieces_get_the_pages_asked_for_even_the_same_ones_twice(
    tmp_path: Path, source: Path
) -> None:
    entries = [
        LotEntry(f"p{i}", "acc", source, 2, recipient("P"), options("simplex"), first_page=first)
        for i, first in enumerate((11, 3, 3), 1)
    ]
    files = LotFileWriter(tmp_path / "out").write(LOT_ID, entries, CREATED)
    pages = [11, 12, 3, 4, 3, 4]
    assert page_texts(files.folder / PRINT_FILE) == [f"Campaign page {i} of 12" for i in pages]


def test_a_background_page_is_drawn_under_each_of_the_letters_own_pages(
    tmp_path: Path, source: Path, annex: Path
) -> None:
    letterhead = tmp_path / "letterhead.pdf"
    letterhead.write_bytes(make_pdf(1, label="Letterhead of Acme AB"))

    def entry(n: int, first: int, **extra: Any) -> LotEntry:
        return LotEntry(
            piece_id=f"piece-{n}",
            account_id="acc-1",
            source_path=source,
            own_pages=2,
            first_page=first,
            recipient=recipient(f"Person {n}"),
            options=options("duplex"),
            **extra,
        )

    entries = [
        entry(1, 1, background=PageRange(letterhead, 1, 1), annexes=(PageRange(annex, 1, 1),)),
        entry(2, 3),  # another service: no background
    ]
    files = LotFileWriter(tmp_path / "out").write(LOT_ID, entries, CREATED)

    pdf = pdfium.PdfDocument(files.folder / "print.pdf")
    texts = [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
    assert files.page_count == len(texts) == 6  # 2 + annex + a blank back, then 2
    under = "Letterhead of Acme AB page 1 of 1"
    assert [under in t for t in texts] == [True, True, False, False, False, False]
    assert "Campaign page 1 of 12" in texts[0] and "Campaign page 2 of 12" in texts[1]
    assert "Terms page 1 of 1" in texts[2] and texts[3].strip() == ""
    with pikepdf.open(files.folder / "print.pdf") as lot:
        first = lot.pages[0]
        # After the sheet code's opening q: the background, under the page's own content.
        drawn_first = first.Contents[1].read_bytes()
        assert drawn_first.endswith(b"/PostroomBackground Do Q\n")
        assert "/PostroomBackground" not in lot.pages[4].Resources.get("/XObject", {})
