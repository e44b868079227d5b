"""Source pages fetched through a page index are the pages a whole read gives, with what
they inherit; a flat tree's kids are checked as far as lots need them; a tree qpdf would
repair is read whole; a replaced file is indexed again."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pikepdf
import pytest

from postroom.documents.sources import INDEXES, SourcePdf, open_source, read_page_index
from tests.support.pdfs import make_pdf


def page_facts(source: SourcePdf, first: int, last: int) -> list[tuple[bytes, list[float], int]]:
    """What a copy of each page shows: its content, media box and rotation."""
    return [
        (
            page.Contents.read_bytes(),
            [float(v) for v in page.MediaBox],
            int(page.get("/Rotate", 0)),
        )
        for page in source.pages(first, last)
    ]


def nested_pdf(path: Path) -> None:
    """12 pages under two nodes of a three-level tree; the second node gives its pages a
    Letter MediaBox and a rotation, the root a MediaBox every page overrides."""
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
        nodes[1].MediaBox = pikepdf.Array([0, 0, 612, 792])
        nodes[1].Rotate = 90
        for page in pages[6:]:
            del page["/MediaBox"]
            del page["/Rotate"]
        root.MediaBox = pikepdf.Array([0, 0, 100, 100])
        root.Kids = pikepdf.Array(nodes)
        pdf.save(path)


def handmade_pdf(path: Path, kids: str, pages: dict[int, str]) -> None:
    """A PDF written by hand (pikepdf would repair its tree while saving): catalog 1, page
    tree 2 with `kids`, and the page objects given, each drawing its number."""
    objects = {
        1: "<< /Type /Catalog /Pages 2 0 R >>",
        2: f"<< /Type /Pages /Kids {kids} /Count {len(pages)} >>",
    }
    for number, extra in pages.items():
        content = f"BT /F1 12 Tf 72 720 Td (Page {number}) Tj ET".encode()
        objects[number] = (
            f"<< {extra} /Parent 2 0 R /MediaBox [0 0 595 842] /Contents {number + 100} 0 R >>"
        )
        objects[number + 100] = (
            f"<< /Length {len(content)} >>\nstream\n{content.decode()}\nendstream"
        )
    out = bytearray(b"%PDF-1.4\n")
    offsets = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += f"{number} 0 obj\n{objects[number]}\nendobj\n".encode()
    size = max(objects) + 1
    xref = len(out)
    out += f"xref\n0 {size}\n0000000000 65535 f \n".encode()
    for number in range(1, size):
        if number in offsets:
            out += f"{offsets[number]:010d} 00000 n \n".encode()
        else:
            out += b"0000000000 65535 f \n"
    out += f"trailer\n<< /Size {size} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    path.write_bytes(bytes(out))


@pytest.fixture(autouse=True)
def _fresh_indexes() -> None:
    INDEXES.clear()


def known_pages(path: Path) -> int:
    """How many of the file's first pages its cached index knows."""
    found, index = INDEXES.get(INDEXES.key(path))
    assert found and index is not None
    return index.known


def test_a_flat_file_is_indexed_and_gives_the_pages_a_whole_read_gives(tmp_path: Path) -> None:
    path = tmp_path / "flat.pdf"
    path.write_bytes(make_pdf(9, label="Flat"))
    index = read_page_index(path)
    assert index is not None and len(index) == 9 and index.chain_of is None
    indexed, whole = open_source(path), SourcePdf.whole(path)
    try:
        assert page_facts(indexed, 4, 9) == page_facts(whole, 4, 9)
        assert b"(Flat page 4 of 9)" in indexed.pages(4, 4)[0].Contents.read_bytes()
    finally:
        indexed.close()
        whole.close()


def test_a_flat_tree_is_checked_as_far_as_lots_take_it(tmp_path: Path) -> None:
    path = tmp_path / "flat.pdf"
    path.write_bytes(make_pdf(9, label="Flat"))
    for upto in (3, 2, 7):
        open_source(path, upto=upto).close()
    assert known_pages(path) == 7


def test_pages_of_a_nested_tree_inherit_from_their_nearest_node(tmp_path: Path) -> None:
    path = tmp_path / "nested.pdf"
    nested_pdf(path)
    index = read_page_index(path)
    assert index is not None and len(index) == 12 and index.complete
    indexed, whole = open_source(path), SourcePdf.whole(path)
    try:
        facts = page_facts(indexed, 5, 8)
        assert facts == page_facts(whole, 5, 8)
        assert [(box, rotate) for _, box, rotate in facts] == [
            ([0, 0, 595.2756, 841.8898], 0),
            ([0, 0, 595.2756, 841.8898], 0),
            ([0, 0, 612, 792], 90),
            ([0, 0, 612, 792], 90),
        ]
    finally:
        indexed.close()
        whole.close()


def test_copies_of_fetched_pages_bring_no_node_of_the_source_tree(tmp_path: Path) -> None:
    path = tmp_path / "nested.pdf"
    nested_pdf(path)
    source = open_source(path)
    try:
        out = pikepdf.new()
        for page in source.pages(1, 12):
            out.copy_foreign(page)
        assert all("/Parent" not in page for page in source.pages(1, 12))
        nodes = [o for o in out.objects if isinstance(o, pikepdf.Dictionary) and "/Kids" in o]
        assert nodes == [out.Root.Pages]  # the new file's own tree only
    finally:
        source.close()


def test_a_tree_qpdf_would_repair_is_read_whole(tmp_path: Path) -> None:
    # Page 3 is listed twice: qpdf makes the second a copy of its own, an object the file
    # does not have, so no index can name it.
    path = tmp_path / "twice.pdf"
    handmade_pdf(path, "[3 0 R 4 0 R 3 0 R]", {3: "/Type /Page", 4: "/Type /Page"})
    assert read_page_index(path) is None
    source = open_source(path)
    try:
        contents = [page.Contents.read_bytes() for page in source.pages(1, 3)]
    finally:
        source.close()
    assert [c.split(b"(")[1].split(b")")[0] for c in contents] == [b"Page 3", b"Page 4", b"Page 3"]


def test_a_page_without_its_type_gets_it_as_qpdf_would_give_it(tmp_path: Path) -> None:
    path = tmp_path / "untyped.pdf"
    handmade_pdf(path, "[3 0 R 4 0 R]", {3: "/Type /Page", 4: ""})
    assert read_page_index(path) is not None
    source = open_source(path)
    try:
        assert [page.Type for page in source.pages(1, 2)] == [pikepdf.Name.Page] * 2
    finally:
        source.close()


def test_a_file_replaced_at_the_same_path_is_indexed_again(tmp_path: Path) -> None:
    path = tmp_path / "campaign.pdf"
    path.write_bytes(make_pdf(2, label="Old"))
    first = open_source(path)
    first.close()
    replacement = tmp_path / "new.pdf"
    replacement.write_bytes(make_pdf(3, label="New"))
    os.replace(replacement, path)
    second = open_source(path)
    try:
        assert len(second) == 3
        assert b"(New page 3 of 3)" in second.pages(3, 3)[0].Contents.read_bytes()
    finally:
        second.close()


def test_a_range_past_the_end_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "short.pdf"
    path.write_bytes(make_pdf(2))
    source = open_source(path)
    try:
        with pytest.raises(ValueError, match=r"pages 2-3 asked of short\.pdf, which has 2"):
            source.pages(2, 3)
    finally:
        source.close()


def test_a_root_whose_first_kids_are_pages_and_a_later_one_a_node_is_walked(
    tmp_path: Path,
) -> None:
    # Kids [page 1, node [page 2]]: flat as far as page 1, not for page 2.
    path = tmp_path / "looks_flat.pdf"
    with pikepdf.open(io.BytesIO(make_pdf(2, label="Shape"))) as pdf:
        root = pdf.Root.Pages
        first, second = (page.obj for page in pdf.pages)
        node = pdf.make_indirect(
            pikepdf.Dictionary(
                Type=pikepdf.Name.Pages, Kids=pikepdf.Array([second]), Count=1, Parent=root
            )
        )
        second.Parent = node
        root.Kids = pikepdf.Array([first, node])
        pdf.save(path)
    open_source(path, upto=1).close()
    assert known_pages(path) == 1
    source = open_source(path, upto=2)
    try:
        assert b"(Shape page 2 of 2)" in source.pages(2, 2)[0].Contents.read_bytes()
    finally:
        source.close()
    _, index = INDEXES.get(INDEXES.key(path))
    assert index is not None and index.chain_of is not None and index.complete


def test_the_lot_that_reads_the_index_and_the_next_one_get_the_same_pages(
    tmp_path: Path,
) -> None:
    path = tmp_path / "nested.pdf"
    nested_pdf(path)
    whole = SourcePdf.whole(path)
    expected = page_facts(whole, 1, 12)
    whole.close()
    for _ in range(2):  # the first reads the tree and keeps the file; the second uses the index
        source = open_source(path)
        try:
            assert page_facts(source, 1, 12) == expected
        finally:
            source.close()
