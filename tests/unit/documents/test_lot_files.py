"""A lot's print file and manifest appear whole in the output folder, or not at all."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pikepdf
import pypdfium2 as pdfium
import pytest
from reportlab.lib.pagesizes import LETTER

from postroom.documents.lot_files import (
    MANIFEST_CSV_FILE,
    MANIFEST_FILE,
    PRINT_FILE,
    TICKET_FILE,
    LotEntry,
    LotFileWriter,
)
from tests.support.pdfs import make_pdf

CREATED = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
LOT_FILES = [PRINT_FILE, MANIFEST_FILE, MANIFEST_CSV_FILE, TICKET_FILE]
OPTIONS = {"plex": "simplex", "color": False, "postage": "economy"}


def recipient(name: str) -> dict[str, Any]:
    return {
        "name_lines": [name],
        "street_lines": ["Storgatan 1"],
        "postal_code": "111 22",
        "city": "Stockholm",
        "country": "SE",
    }


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    folder = tmp_path / "sources"
    folder.mkdir()
    return folder


@pytest.fixture
def output(tmp_path: Path) -> Path:
    return tmp_path / "output"


def entry(
    sources: Path, piece_id: str, pages: int, *, page_count: int | None = None, label: str = ""
) -> LotEntry:
    path = sources / f"{piece_id}.pdf"
    path.write_bytes(make_pdf(pages, label=label or piece_id))
    return LotEntry(
        piece_id=piece_id,
        account_id="acc-1",
        source_path=path,
        own_pages=pages if page_count is None else page_count,
        recipient=recipient(f"Recipient {piece_id}"),
        options=OPTIONS,
    )


def page_texts(path: Path) -> list[str]:
    pdf = pdfium.PdfDocument(path)
    try:
        return [pdf[i].get_textpage().get_text_range().strip() for i in range(len(pdf))]
    finally:
        pdf.close()


def folder_names(output: Path) -> list[str]:
    return sorted(p.name for p in output.iterdir())


def test_print_file_holds_every_piece_page_in_order(sources: Path, output: Path) -> None:
    entries = [entry(sources, "A", 2), entry(sources, "B", 1), entry(sources, "C", 3)]
    files = LotFileWriter(output).write("lot-1", entries, CREATED)
    assert files.folder == output / "lot-1"
    assert files.page_count == 6
    assert page_texts(files.folder / PRINT_FILE) == [
        "A page 1 of 2",
        "A page 2 of 2",
        "B page 1 of 1",
        "C page 1 of 3",
        "C page 2 of 3",
        "C page 3 of 3",
    ]


def test_manifest_gives_each_piece_its_page_range(sources: Path, output: Path) -> None:
    entries = [entry(sources, "A", 2), entry(sources, "B", 1), entry(sources, "C", 3)]
    files = LotFileWriter(output).write("lot-1", entries, CREATED)
    manifest = json.loads((files.folder / MANIFEST_FILE).read_text())
    assert manifest["lot_id"] == "lot-1"
    assert manifest["created_at"] == CREATED.isoformat()
    assert manifest["print_file"] == PRINT_FILE
    assert (manifest["piece_count"], manifest["page_count"]) == (3, 6)
    assert [(p["piece_id"], p["pages"]) for p in manifest["pieces"]] == [
        ("A", {"first": 1, "last": 2}),
        ("B", {"first": 3, "last": 3}),
        ("C", {"first": 4, "last": 6}),
    ]
    assert manifest["pieces"][1]["recipient"] == recipient("Recipient B")
    # Each piece names the envelope it goes in (its layout's, DL, when it chose none).
    assert manifest["pieces"][1]["options"] == {**OPTIONS, "envelope": "DL"}
    assert manifest["pieces"][1]["account_id"] == "acc-1"


def test_manifest_and_result_carry_the_print_file_sha256(sources: Path, output: Path) -> None:
    files = LotFileWriter(output).write("lot-1", [entry(sources, "A", 2)], CREATED)
    actual = hashlib.sha256((files.folder / PRINT_FILE).read_bytes()).hexdigest()
    manifest = json.loads((files.folder / MANIFEST_FILE).read_text())
    assert manifest["print_file_sha256"] == actual
    assert files.pdf_sha256 == actual


def test_the_lot_folder_holds_only_its_four_files(sources: Path, output: Path) -> None:
    files = LotFileWriter(output).write("lot-1", [entry(sources, "A", 1)], CREATED)
    assert folder_names(files.folder) == sorted(LOT_FILES)
    assert folder_names(output) == ["lot-1"]


def test_a_piece_shorter_than_its_source_takes_only_the_first_pages(
    sources: Path, output: Path
) -> None:
    entries = [entry(sources, "A", 4, page_count=2), entry(sources, "B", 1)]
    files = LotFileWriter(output).write("lot-1", entries, CREATED)
    assert page_texts(files.folder / PRINT_FILE) == [
        "A page 1 of 4",
        "A page 2 of 4",
        "B page 1 of 1",
    ]
    manifest = json.loads((files.folder / MANIFEST_FILE).read_text())
    assert [p["pages"] for p in manifest["pieces"]] == [
        {"first": 1, "last": 2},
        {"first": 3, "last": 3},
    ]
    assert files.page_count == 3


def test_two_pieces_sharing_one_source_each_get_their_pages(sources: Path, output: Path) -> None:
    first = entry(sources, "shared", 2)
    second = LotEntry(
        piece_id="other",
        account_id="acc-1",
        source_path=first.source_path,
        own_pages=2,
        recipient=recipient("Other"),
        options=OPTIONS,
    )
    files = LotFileWriter(output).write("lot-1", [first, second], CREATED)
    assert page_texts(files.folder / PRINT_FILE) == ["shared page 1 of 2", "shared page 2 of 2"] * 2


def missing(sources: Path, piece_id: str) -> LotEntry:
    """An entry whose source file is not there (a blob lost between allocation and compose)."""
    return LotEntry(
        piece_id=piece_id,
        account_id="acc-1",
        source_path=sources / f"{piece_id}-gone.pdf",
        own_pages=1,
        recipient=recipient(piece_id),
        options=OPTIONS,
    )


def test_a_missing_source_leaves_no_lot_folder_and_no_temp_folder(
    sources: Path, output: Path
) -> None:
    with pytest.raises(FileNotFoundError):
        LotFileWriter(output).write(
            "lot-1", [entry(sources, "A", 2), missing(sources, "B")], CREATED
        )
    assert folder_names(output) == []


def test_a_failed_rewrite_keeps_the_earlier_complete_lot(sources: Path, output: Path) -> None:
    writer = LotFileWriter(output)
    first = writer.write("lot-1", [entry(sources, "A", 1)], CREATED)
    before = (first.folder / PRINT_FILE).read_bytes()
    with pytest.raises(FileNotFoundError):
        writer.write("lot-1", [entry(sources, "B", 1), missing(sources, "C")], CREATED)
    assert folder_names(output) == ["lot-1"]
    assert (first.folder / PRINT_FILE).read_bytes() == before


def test_writing_the_same_lot_twice_replaces_it(sources: Path, output: Path) -> None:
    writer = LotFileWriter(output)
    writer.write("lot-1", [entry(sources, "A", 1, label="first")], CREATED)
    files = writer.write("lot-1", [entry(sources, "B", 2, label="second")], CREATED)
    assert folder_names(output) == ["lot-1"]
    assert folder_names(files.folder) == sorted(LOT_FILES)
    assert page_texts(files.folder / PRINT_FILE) == ["second page 1 of 2", "second page 2 of 2"]
    manifest = json.loads((files.folder / MANIFEST_FILE).read_text())
    assert [p["piece_id"] for p in manifest["pieces"]] == ["B"]


def test_the_same_pieces_again_take_the_earlier_complete_folder_as_it_is(
    sources: Path, output: Path
) -> None:
    # A crash after the rename, before the commit: the print room may already be taking the
    # folder, so the next attempt must not remove or rewrite it.
    writer = LotFileWriter(output)
    entries = [entry(sources, "A", 2), entry(sources, "B", 1)]
    first = writer.write("lot-1", entries, CREATED)
    inode = first.folder.stat().st_ino
    mtimes = {p.name: p.stat().st_mtime_ns for p in first.folder.iterdir()}
    again = writer.write("lot-1", entries, CREATED)
    assert again == first
    assert again.folder.stat().st_ino == inode
    assert {p.name: p.stat().st_mtime_ns for p in again.folder.iterdir()} == mtimes
    assert folder_names(output) == ["lot-1"]


def test_a_folder_altered_by_hand_is_replaced_whole(sources: Path, output: Path) -> None:
    writer = LotFileWriter(output)
    entries = [entry(sources, "A", 2)]
    first = writer.write("lot-1", entries, CREATED)
    (first.folder / MANIFEST_CSV_FILE).write_text("sequence\n")
    again = writer.write("lot-1", entries, CREATED)
    assert folder_names(output) == ["lot-1"]
    assert folder_names(again.folder) == sorted(LOT_FILES)
    assert writer.complete("lot-1", entries) == again
    assert page_texts(again.folder / PRINT_FILE) == ["A page 1 of 2", "A page 2 of 2"]


def interrupted_composition(output: Path, lot_id: str, suffix: str) -> Path:
    """What SIGKILL leaves in the middle of a composition: a hidden folder, half written."""
    folder = output / f".tmp-{lot_id}-{suffix}"
    folder.mkdir(parents=True)
    (folder / PRINT_FILE).write_bytes(b"%PDF-1.7\n% cut short")
    return folder


def test_interrupted_compositions_are_found_by_lot(output: Path) -> None:
    lot_a = "7d9c1a2e-0b1f-4c44-9a55-3f1e2d3c4b5a"
    first = interrupted_composition(output, lot_a, "k2j4_x9q")
    second = interrupted_composition(output, lot_a, "a1b2c3d4")
    other = interrupted_composition(output, "lot-2", "zz11yy22")
    (output / "lot-3").mkdir()
    (output / ".tmp-stray-file").write_text("not a folder")
    found = LotFileWriter(output).interrupted()
    assert {lot: sorted(paths) for lot, paths in found.items()} == {
        lot_a: sorted([first, second]),
        "lot-2": [other],
    }


def test_writing_a_lot_sweeps_what_crashes_left_of_it_and_only_of_it(
    sources: Path, output: Path
) -> None:
    interrupted_composition(output, "lot-1", "aaaa1111")
    interrupted_composition(output, "lot-1", "bbbb2222")
    interrupted_composition(output, "lot-2", "cccc3333")
    files = LotFileWriter(output).write("lot-1", [entry(sources, "A", 1)], CREATED)
    assert folder_names(output) == [".tmp-lot-2-cccc3333", "lot-1"]
    assert folder_names(files.folder) == sorted(LOT_FILES)


def test_discard_never_removes_a_visible_lot_folder(sources: Path, output: Path) -> None:
    writer = LotFileWriter(output)
    files = writer.write("lot-1", [entry(sources, "A", 1)], CREATED)
    hidden = interrupted_composition(output, "lot-1", "dddd4444")
    writer.discard([files.folder, hidden])
    assert folder_names(output) == ["lot-1"]


def test_other_lots_are_left_alone(sources: Path, output: Path) -> None:
    writer = LotFileWriter(output)
    writer.write("lot-1", [entry(sources, "A", 1)], CREATED)
    writer.write("lot-2", [entry(sources, "B", 1)], CREATED)
    writer.write("lot-1", [entry(sources, "C", 1)], CREATED)
    assert folder_names(output) == ["lot-1", "lot-2"]
    assert page_texts(output / "lot-2" / PRINT_FILE) == ["B page 1 of 1"]


def test_pages_that_inherit_resources_and_media_box_keep_them(tmp_path: Path) -> None:
    # Move the first page's /Resources and /MediaBox up to the page-tree root, as some
    # producers write them, so the pages only inherit them.
    source = tmp_path / "inheriting.pdf"
    with pikepdf.open(io.BytesIO(make_pdf(2, label="Inherited", size=LETTER))) as pdf:
        first = pdf.pages[0].obj
        pdf.Root.Pages.Resources = first.Resources
        pdf.Root.Pages.MediaBox = first.MediaBox
        for page in pdf.pages:
            del page.obj["/Resources"]
            del page.obj["/MediaBox"]
        pdf.save(source)
    entry = LotEntry(
        piece_id="p-inherit",
        account_id="a",
        source_path=source,
        own_pages=2,
        recipient={},
        options={},
    )
    files = LotFileWriter(tmp_path / "out").write("lot-inherit", [entry], datetime.now(UTC))

    printed = pdfium.PdfDocument(files.folder / "print.pdf")
    assert [round(x) for x in printed[0].get_size()] == [612, 792]
    texts = [printed[i].get_textpage().get_text_range().strip() for i in range(len(printed))]
    assert texts == ["Inherited page 1 of 2", "Inherited page 2 of 2"]


def test_lot_folder_is_readable_by_the_print_rooms_other_users(tmp_path: Path) -> None:
    source = tmp_path / "one.pdf"
    source.write_bytes(make_pdf(1))
    entry = LotEntry("p", "a", source, 1, {}, {})
    files = LotFileWriter(tmp_path / "out").write("lot-mode", [entry], datetime.now(UTC))
    assert files.folder.stat().st_mode & 0o777 == 0o755
