"""A range of a large file is found without reading the page tree before it, and its pages
are copied out so that PDFium reads them as it reads them in the whole file."""

from __future__ import annotations

import io
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium

from postroom.documents.page_ranges import open_lazily, pages_as_pdfs, pages_between
from tests.fixtures.pdfs.make_corpus import A4_PT, raw_pdf, stream

FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def page_and_content(n: int, *, at: int = 0, parent: int = 2) -> list[bytes]:
    """Page n and its content stream, which draws "Page n", as objects `at` and `at` + 1
    (default: 4 + 2(n - 1), after the catalog, the page tree and the font)."""
    at = at or 4 + 2 * (n - 1)
    page = b"<< /Type /Page /Parent %d 0 R /MediaBox %s /Contents %d 0 R " % (
        parent,
        A4_PT.encode(),
        at + 1,
    )
    content = stream(b"BT /F1 12 Tf 72 720 Td (Page %d) Tj ET" % n)
    return [page + b"/Resources << /Font << /F1 3 0 R >> >> >>", content]


def flat_file(path: Path, count: int, *, kids: list[bytes] | None = None) -> None:
    """Catalog (1), Pages (2), font (3), then page n and its content ("Page n") from 4 + 2n.
    `kids` replaces the /Kids entries (default: one reference per page, in order)."""
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"", FONT]
    for n in range(1, count + 1):
        objs += page_and_content(n)
    refs = kids if kids is not None else [page_ref(n) for n in range(1, count + 1)]
    objs[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(refs), len(refs))
    path.write_bytes(raw_pdf(objs))


def page_ref(n: int) -> bytes:
    return b"%d 0 R" % (4 + 2 * (n - 1))


def texts(numbered: list[tuple[int, pikepdf.Page]]) -> list[tuple[int, bytes]]:
    """Each found page's number and the text its content stream draws."""
    found = []
    for number, page in numbered:
        content = page.obj.Contents.read_bytes()
        found.append((number, content[content.index(b"(") + 1 : content.index(b")")]))
    return found


def test_a_range_of_a_flat_tree_reads_no_kid_before_it(tmp_path: Path) -> None:
    path = tmp_path / "flat.pdf"
    # Kid 1 points at an object that is not there: reading it gives null, not a page.
    flat_file(path, 6, kids=[b"99 0 R", *(page_ref(n) for n in range(2, 7))])
    with open_lazily(path) as pdf:
        found, held = pages_between(pdf, 3, 4, by_count=True)
        assert held
        assert texts(found) == [(3, b"Page 3"), (4, b"Page 4")]
    with open_lazily(path) as pdf:
        # The range that holds kid 1 sees it is no page: the counts cannot be trusted.
        assert pages_between(pdf, 1, 2, by_count=True) == ([], False)
    with open_lazily(path) as pdf:
        # Read kid by kid, the null counts for no page, so page 3 is the fourth kid.
        found, held = pages_between(pdf, 3, 4)
        assert held
        assert texts(found) == [(3, b"Page 4"), (4, b"Page 5")]


def test_a_count_that_hides_a_subtree_is_not_trusted(tmp_path: Path) -> None:
    # /Count 4 and four kids, but kid 2 is a subtree of two pages and kid 3 an empty one.
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"", FONT]
    for n in range(1, 4):
        objs += page_and_content(n, parent=2 if n == 1 else 10)
    objs.append(b"<< /Type /Pages /Parent 2 0 R /Kids [6 0 R 8 0 R] /Count 2 >>")  # 10
    objs.append(b"<< /Type /Pages /Parent 2 0 R /Kids [] /Count 0 >>")  # 11
    objs += page_and_content(4, at=12)
    objs[1] = b"<< /Type /Pages /Kids [4 0 R 10 0 R 11 0 R 12 0 R] /Count 4 >>"
    path = tmp_path / "subtree.pdf"
    path.write_bytes(raw_pdf(objs))
    with open_lazily(path) as pdf:
        assert pages_between(pdf, 3, 4, by_count=True) == ([], False)
    with open_lazily(path) as pdf:
        found, held = pages_between(pdf, 3, 4)
        assert held
        assert texts(found) == [(3, b"Page 3"), (4, b"Page 4")]


def test_a_page_listed_twice_counts_twice(tmp_path: Path) -> None:
    path = tmp_path / "twice.pdf"
    flat_file(path, 3, kids=[page_ref(1), page_ref(2), page_ref(1), page_ref(3)])
    for by_count in (True, False):
        with open_lazily(path) as pdf:
            found, held = pages_between(pdf, 2, 4, by_count=by_count)
            assert held
            assert texts(found) == [(2, b"Page 2"), (3, b"Page 1"), (4, b"Page 3")]


def nested_file(path: Path) -> None:
    """Six pages under two /Pages nodes that carry the MediaBox and a /Rotate of 90; page 2
    has a link to page 5, so copying it must not pull the rest of the file along."""
    source = pikepdf.open(io.BytesIO(_pages_pdf(6)))
    out = pikepdf.new()
    root = out.Root.Pages
    nodes = pikepdf.Array()
    for group in ((0, 1, 2), (3, 4, 5)):
        node = out.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Pages, Count=3))
        node.Kids = pikepdf.Array()
        node.MediaBox = pikepdf.Array([0, 0, 595.28, 841.89])
        node.Rotate = 90
        node.Parent = root
        for index in group:
            page = out.copy_foreign(source.pages[index].obj)
            del page["/MediaBox"]
            page.Parent = node
            node.Kids.append(page)
        nodes.append(node)
    root.Kids = nodes
    root.Count = 6
    link = pikepdf.Dictionary(
        Type=pikepdf.Name.Annot,
        Subtype=pikepdf.Name.Link,
        Rect=[0, 0, 10, 10],
        Dest=pikepdf.Array([nodes[1].Kids[1], pikepdf.Name.Fit]),
    )
    nodes[0].Kids[1].Annots = pikepdf.Array([out.make_indirect(link)])
    out.save(path)


def _pages_pdf(count: int) -> bytes:
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"", FONT]
    for n in range(1, count + 1):
        objs += page_and_content(n)
    refs = b" ".join(page_ref(n) for n in range(1, count + 1))
    objs[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (refs, count)
    return raw_pdf(objs)


def pdfium_view(data: bytes | Path, indexes: list[int]) -> list[tuple[str, tuple[float, ...], int]]:
    """Text, box and rotation of these pages as PDFium reads them."""
    document = pdfium.PdfDocument(data)
    try:
        found = []
        for index in indexes:
            page = document[index]
            textpage = page.get_textpage()
            found.append((textpage.get_text_range(), page.get_bbox(), page.get_rotation()))
            textpage.close()
            page.close()
        return found
    finally:
        document.close()


def test_copied_pages_read_as_in_the_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "nested.pdf"
    nested_file(path)
    with open_lazily(path) as pdf:
        found, held = pages_between(pdf, 2, 5, by_count=True)
        assert held and [number for number, _ in found] == [2, 3, 4, 5]
        files = list(pages_as_pdfs(pdf, [found[0], found[1], found[3]], per_file=2))
    assert [numbers for numbers, _ in files] == [(2, 3), (5,)]
    copied = pdfium_view(files[0][1], [0, 1]) + pdfium_view(files[1][1], [0])
    assert copied == pdfium_view(path, [1, 2, 4])
    assert [text for text, _, _ in copied] == ["Page 2", "Page 3", "Page 5"]
    assert {rotation for _, _, rotation in copied} == {90}
    with pikepdf.open(io.BytesIO(files[0][1])) as first:
        # Only what lays out the text travels: the link (and the page it points to) stays.
        assert len(first.pages) == 2
        assert "/Annots" not in first.pages[0].obj
        assert len(list(first.objects)) < 20
