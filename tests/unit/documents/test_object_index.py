"""The object index copies a page range of a PDF into a small file that reads like the
original (boxes, rotation, fonts, text), and gives up with IndexUnusable, never anything
else, on what it does not handle."""

from __future__ import annotations

import io
import re
import signal
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from functools import cache
from pathlib import Path
from types import FrameType
from typing import Any

import pikepdf
import pypdfium2 as pdfium
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from postroom.documents.object_index import (
    FileIndex,
    IndexUnusable,
    RangeFile,
    build_index,
    index_pages,
    write_head,
    write_range,
)
from postroom.documents.sandbox import run_limited
from postroom.documents.sanitize import find_document_active_content
from postroom.domain.geometry import layout_for
from tests.fixtures.pdfs.make_corpus import raw_pdf, stream
from tests.support.letters import make_letter
from tests.support.pdfs import make_pdf

CORPUS = Path(__file__).parents[2] / "fixtures" / "pdfs"
MAX_PAGES = 2000
FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
INHERITED = ("/MediaBox", "/CropBox", "/Rotate", "/Resources")


# --- factories ------------------------------------------------------------------------------


def save(pdf: pikepdf.Pdf, path: Path, *, object_streams: bool = False, **options: Any) -> Path:
    mode = pikepdf.ObjectStreamMode.generate if object_streams else pikepdf.ObjectStreamMode.disable
    pdf.save(path, object_stream_mode=mode, **options)
    return path


def inheriting_letter() -> pikepdf.Pdf:
    """A six-page letter (embedded TrueType text) whose pages inherit their box, rotation and
    resources from the page tree's root; page 3 is rotated itself, page 4 is landscape."""
    data = make_letter(
        ["Ada Lovelace", "Ockham Road 1", "12345 Ockham"], layout_for("din5008_a"), pages=6
    )
    pdf = pikepdf.open(io.BytesIO(data))
    root = pdf.Root.Pages
    first = pdf.pages[0].obj
    root.MediaBox = first.MediaBox
    root.Resources = first.Resources
    root.Rotate = 180
    for page in pdf.pages:
        for key in ("/MediaBox", "/Resources", "/Rotate"):
            del page.obj[key]
    pdf.pages[2].obj.Rotate = 90
    pdf.pages[3].obj.MediaBox = pikepdf.Array([0, 0, 841.8898, 595.2756])
    return pdf


def inherited(page: pikepdf.Dictionary, key: str) -> Any:
    """`key` of `page` or of its nearest ancestor that has it (ISO 32000-1, 7.7.3.4)."""
    node: Any = page
    for _ in range(64):
        if not isinstance(node, pikepdf.Dictionary):
            return None
        if key in node:
            return node[key]
        node = node.get("/Parent")
    return None


def font_names(resources: Any) -> list[str]:
    if not isinstance(resources, pikepdf.Dictionary) or "/Font" not in resources:
        return []
    return sorted(str(font.BaseFont) for font in resources.Font.values())


def box(value: Any) -> list[float]:
    return [float(x) for x in value]


def page_texts(path: Path) -> list[str]:
    document = pdfium.PdfDocument(path)
    try:
        return [page.get_textpage().get_text_range() for page in document]
    finally:
        document.close()


def index_of(pdf: Path, folder: Path, *, by_count: bool = True) -> FileIndex:
    folder.mkdir()
    return build_index(pdf, folder, max_pages=MAX_PAGES, by_count=by_count)


# Hand-made page trees: catalog 1, font 2, page n and its content ("Page n") as objects
# 1 + 2n and 2 + 2n (n up to 18), page-tree node k as object 40 + k (0 is the root).
ROOT_ATTRS = b"/MediaBox [0 0 200 200] /Resources << /Font << /F1 2 0 R >> >>"


def page_num(n: int) -> int:
    return 1 + 2 * n


def node_num(k: int) -> int:
    return 40 + k


def kids(*refs: int) -> bytes:
    return b"/Kids [%s]" % b" ".join(b"%d 0 R" % ref for ref in refs)


def tree_pdf(
    path: Path,
    nodes: dict[int, bytes],
    parents: dict[int, int],
    page_extra: dict[int, bytes] | None = None,
) -> Path:
    """A file of the given page-tree nodes (k -> dictionary) and pages (n -> parent node k)."""
    objs = {1: b"<< /Type /Catalog /Pages %d 0 R >>" % node_num(0), 2: FONT}
    for n, parent in parents.items():
        extra = (page_extra or {}).get(n, b"")
        objs[page_num(n)] = b"<< /Type /Page /Parent %d 0 R /Contents %d 0 R %s>>" % (
            node_num(parent),
            page_num(n) + 1,
            extra,
        )
        objs[page_num(n) + 1] = stream(b"BT /F1 12 Tf 20 100 Td (Page %d) Tj ET" % n)
    for k, body in nodes.items():
        objs[node_num(k)] = body
    path.write_bytes(raw_pdf([objs.get(num, b"null") for num in range(1, max(objs) + 1)]))
    return path


def append_update(data: bytes, number: int, body: bytes, root: int, size: int) -> bytes:
    """`data` with an incremental update that replaces object `number` with `body`."""
    previous = int(re.findall(rb"startxref\s+(\d+)", data)[-1])
    out = bytearray(data if data.endswith(b"\n") else data + b"\n")
    at = len(out)
    out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n%d 1\n%010d 00000 n \n" % (number, at)
    out += b"trailer\n<< /Size %d /Root %d 0 R /Prev %d >>\n" % (size, root, previous)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def exercise(pdf: Path, folder: Path) -> None:
    """Index `pdf`, copy all its pages and its head: IndexUnusable is the only way out."""
    index = build_index(pdf, folder, max_pages=MAX_PAGES)
    write_range(index, 1, max(index.page_count, 1), folder / "range.pdf")
    write_head(index, folder / "head.pdf")


@contextmanager
def within(seconds: int) -> Iterator[None]:
    """Fail with TimeoutError instead of hanging (the main thread only)."""

    def expire(signum: int, frame: FrameType | None) -> None:
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


# --- 1. classic cross-reference tables, and streams with object streams ---------------------


@pytest.mark.parametrize(
    ("object_streams", "linearize"),
    [(False, False), (True, False), (False, True), (True, True)],
    ids=["xref_table", "object_streams", "linearized", "linearized_object_streams"],
)
def test_a_middle_range_reads_like_the_same_pages_of_the_original(
    tmp_path: Path, object_streams: bool, linearize: bool
) -> None:
    # A linearized file starts with a first-page section whose /Prev leads to the main one.
    original = save(
        inheriting_letter(),
        tmp_path / "letter.pdf",
        object_streams=object_streams,
        linearize=linearize,
    )
    index = index_of(original, tmp_path / "index")
    copy = tmp_path / "range.pdf"

    written = write_range(index, 2, 5, copy)

    assert index.page_count == index.declared_pages == 6
    assert written == RangeFile(4)
    with pikepdf.open(original) as source, pikepdf.open(copy) as result:
        assert len(result.pages) == 4
        for page, want in zip(result.pages, source.pages[1:5], strict=True):
            assert box(page.obj.MediaBox) == box(inherited(want.obj, "/MediaBox"))
            assert int(page.obj.Rotate) == int(inherited(want.obj, "/Rotate"))
            assert font_names(page.obj.Resources) == font_names(inherited(want.obj, "/Resources"))
        rotations = [int(page.obj.Rotate) for page in result.pages]
        widths = [float(page.obj.MediaBox[2]) for page in result.pages]
    assert rotations == [180, 90, 180, 180]  # the root's, page 3's own, the root's...
    assert widths[2] == pytest.approx(841.8898)  # page 4 is landscape
    assert font_names(inheriting_letter().Root.Pages.Resources) == [
        "/AAAAAA+DejaVuSans",
        "/Helvetica",
    ]
    texts = page_texts(copy)
    assert texts == page_texts(original)[1:5]
    assert "page 2 of 6" in texts[0] and "page 5 of 6" in texts[3]


@pytest.mark.parametrize("object_streams", [False, True], ids=["xref_table", "object_streams"])
def test_other_pages_and_the_tree_are_left_out_of_a_range(
    tmp_path: Path, object_streams: bool
) -> None:
    original = save(inheriting_letter(), tmp_path / "letter.pdf", object_streams=object_streams)
    copy = tmp_path / "range.pdf"

    write_range(index_of(original, tmp_path / "index"), 3, 3, copy)

    with pikepdf.open(copy) as result:
        pages = [obj for obj in result.objects if obj.get("/Type") == "/Page"]
        assert len(pages) == 1
        assert len(result.pages) == 1
    assert page_texts(copy) == page_texts(original)[2:3]


# --- 2. attributes inherited from intermediate nodes ----------------------------------------


def test_attributes_of_intermediate_nodes_are_pushed_into_each_copied_page(
    tmp_path: Path,
) -> None:
    courier = b"<< /Font << /F1 60 0 R >> >>"
    nodes = {
        0: b"<< /Type /Pages %s /Count 5 /Rotate 90 %s >>" % (kids(41, 42), ROOT_ATTRS),
        1: b"<< /Type /Pages /Parent 40 0 R %s /Count 2 "
        b"/MediaBox [0 0 300 400] /CropBox [10 10 290 390] >>" % kids(page_num(1), page_num(2)),
        2: b"<< /Type /Pages /Parent 40 0 R %s /Count 3 /Rotate 270 >>"
        % kids(page_num(3), node_num(3)),
        3: b"<< /Type /Pages /Parent 42 0 R %s /Count 2 /Resources %s >>"
        % (kids(page_num(4), page_num(5)), courier),
        20: b"<< /Type /Font /Subtype /Type1 /BaseFont /Courier >>",
    }
    original = tree_pdf(
        tmp_path / "tree.pdf",
        nodes,
        {1: 1, 2: 1, 3: 2, 4: 3, 5: 3},
        page_extra={2: b"/Rotate 0 "},
    )
    index = index_of(original, tmp_path / "index", by_count=False)
    copy = tmp_path / "range.pdf"

    assert write_range(index, 1, 5, copy) == RangeFile(5)

    with pikepdf.open(copy) as result:
        found = [
            (
                box(page.obj.MediaBox),
                box(page.obj.CropBox) if "/CropBox" in page.obj else None,
                int(page.obj.Rotate),
                font_names(page.obj.Resources),
            )
            for page in result.pages
        ]
    assert found == [
        ([0, 0, 300, 400], [10, 10, 290, 390], 90, ["/Helvetica"]),
        ([0, 0, 300, 400], [10, 10, 290, 390], 0, ["/Helvetica"]),
        ([0, 0, 200, 200], None, 270, ["/Helvetica"]),
        ([0, 0, 200, 200], None, 270, ["/Courier"]),
        ([0, 0, 200, 200], None, 270, ["/Courier"]),
    ]
    assert page_texts(copy) == [f"Page {n}" for n in range(1, 6)] == page_texts(original)


# --- 3. incremental updates -----------------------------------------------------------------


@pytest.mark.parametrize("object_streams", [False, True], ids=["xref_table", "object_streams"])
def test_an_incremental_update_wins_over_the_section_it_updates(
    tmp_path: Path, object_streams: bool
) -> None:
    base = save(
        pikepdf.open(io.BytesIO(make_pdf(3))), tmp_path / "base.pdf", object_streams=object_streams
    )
    with pikepdf.open(base) as pdf:
        page = pdf.pages[1].obj
        number = page.objgen[0]
        page.MediaBox = pikepdf.Array([0, 0, 300, 400])
        body = page.unparse(resolved=True)
        root, size = pdf.Root.objgen[0], int(pdf.trailer.Size)
    updated = tmp_path / "updated.pdf"
    updated.write_bytes(append_update(base.read_bytes(), number, body, root, size))
    copy = tmp_path / "range.pdf"

    index = index_of(updated, tmp_path / "index")
    write_range(index, 1, 3, copy)

    with pikepdf.open(updated) as truth, pikepdf.open(copy) as result:
        assert box(truth.pages[1].mediabox) == [0, 0, 300, 400]
        assert [box(p.obj.MediaBox)[2:] for p in result.pages] == [
            pytest.approx([595.2756, 841.8898]),
            [300, 400],
            pytest.approx([595.2756, 841.8898]),
        ]
    assert page_texts(copy) == page_texts(updated)


def test_a_hybrid_file_finds_objects_listed_only_in_its_cross_reference_stream(
    tmp_path: Path,
) -> None:
    nodes = {0: b"<< /Type /Pages %s /Count 1 %s >>" % (kids(page_num(1)), ROOT_ATTRS)}
    data = tree_pdf(tmp_path / "plain.pdf", nodes, {1: 0}).read_bytes()
    # As hybrid writers do: the table lists the page as free, the /XRefStm stream has it.
    offset = data.index(b"\n3 0 obj") + 1
    rows = b"\x01" + offset.to_bytes(4, "big") + b"\x00\x00"
    table_at = data.index(b"xref\n")
    xref_stream = b"99 0 obj\n%s\nendobj\n" % stream(
        rows, b"/Type /XRef /W [1 4 2] /Index [3 1] /Size 100 "
    )
    body = data[:table_at]
    stream_at = len(body)
    table = data[table_at : data.index(b"trailer")]
    entries = table.split(b"\n")
    entries[2 + 3] = b"0000000000 00001 f "
    tail = b"trailer\n<< /Size %d /Root 1 0 R /XRefStm %d >>\nstartxref\n%d\n%%%%EOF\n"
    table_at = stream_at + len(xref_stream)
    size = int(entries[1].split()[1])
    hybrid = tmp_path / "hybrid.pdf"
    hybrid.write_bytes(
        body + xref_stream + b"\n".join(entries) + tail % (size, stream_at, table_at)
    )
    copy = tmp_path / "range.pdf"

    index = index_of(hybrid, tmp_path / "index")
    write_range(index, 1, 1, copy)

    assert index.page_count == 1
    assert page_texts(copy) == ["Page 1"]


# --- 4. page trees that lie: pages twice, loops, wrong counts -------------------------------


@pytest.mark.parametrize("by_count", [True, False])
def test_a_page_listed_twice_counts_twice(tmp_path: Path, by_count: bool) -> None:
    refs = kids(page_num(1), page_num(1), page_num(2))
    nodes = {0: b"<< /Type /Pages %s /Count 3 %s >>" % (refs, ROOT_ATTRS)}
    original = tree_pdf(tmp_path / "twice.pdf", nodes, {1: 0, 2: 0})
    copy = tmp_path / "range.pdf"

    index = index_of(original, tmp_path / "index", by_count=by_count)

    assert index.page_count == 3
    assert write_range(index, 1, 3, copy) == RangeFile(3)
    assert page_texts(copy) == ["Page 1", "Page 1", "Page 2"]


@pytest.mark.timeout(10)
@pytest.mark.parametrize("count", [3, 99], ids=["count_matches_kids", "count_wrong"])
def test_a_node_listing_itself_is_not_walked_again(tmp_path: Path, count: int) -> None:
    refs = kids(page_num(1), node_num(0), page_num(2))
    nodes = {0: b"<< /Type /Pages %s /Count %d %s >>" % (refs, count, ROOT_ATTRS)}
    original = tree_pdf(tmp_path / "loop.pdf", nodes, {1: 0, 2: 0})
    copy = tmp_path / "range.pdf"

    with within(5):
        index = index_of(original, tmp_path / "index", by_count=False)
        written = write_range(index, 1, index.page_count, copy)

    assert index.page_count == 2
    assert written == RangeFile(2)
    assert page_texts(copy) == ["Page 1", "Page 2"]


@pytest.mark.timeout(10)
@pytest.mark.parametrize("by_count", [True, False])
def test_a_node_listing_its_ancestor_does_not_hang(tmp_path: Path, by_count: bool) -> None:
    nodes = {
        0: b"<< /Type /Pages %s /Count 5 %s >>" % (kids(node_num(1), page_num(3)), ROOT_ATTRS),
        1: b"<< /Type /Pages /Parent 40 0 R %s /Count 4 >>"
        % kids(page_num(1), node_num(0), page_num(2)),
    }
    original = tree_pdf(tmp_path / "loop.pdf", nodes, {1: 1, 2: 1, 3: 0})
    copy = tmp_path / "range.pdf"

    with within(5):
        index = index_of(original, tmp_path / "index", by_count=by_count)
        written = write_range(index, 1, index.page_count, copy)

    assert index.page_count == 3
    assert written == RangeFile(3)
    assert page_texts(copy) == ["Page 1", "Page 2", "Page 3"]


def test_a_root_count_that_takes_a_subtree_for_a_page_is_caught_and_walked_again(
    tmp_path: Path,
) -> None:
    # The root says 3 pages for its 3 kids, but its second kid holds pages 2 and 3.
    nodes = {
        0: b"<< /Type /Pages %s /Count 3 %s >>"
        % (kids(page_num(1), node_num(1), page_num(4)), ROOT_ATTRS),
        1: b"<< /Type /Pages /Parent 40 0 R %s /Count 2 >>" % kids(page_num(2), page_num(3)),
    }
    original = tree_pdf(tmp_path / "counts.pdf", nodes, {1: 0, 2: 1, 3: 1, 4: 0})
    copy = tmp_path / "range.pdf"
    index = index_of(original, tmp_path / "index", by_count=True)

    assert index.page_count == 3
    assert write_range(index, 2, 2, copy) == RangeFile(0, by_count_held=False)

    walked = index_pages(index, max_pages=MAX_PAGES, by_count=False)

    assert walked.page_count == 4
    assert write_range(walked, 1, 4, copy) == RangeFile(4)
    assert page_texts(copy) == ["Page 1", "Page 2", "Page 3", "Page 4"]


def test_a_count_wrong_one_level_down_is_walked_again_in_full(tmp_path: Path) -> None:
    # The root's count is wrong, so it is walked; node 1 says 2 pages for its 2 kids, but its
    # second kid (node 2) holds pages 2 to 4.
    nodes = {
        0: b"<< /Type /Pages %s /Count 5 %s >>" % (kids(node_num(1), page_num(5)), ROOT_ATTRS),
        1: b"<< /Type /Pages /Parent 40 0 R %s /Count 2 >>" % kids(page_num(1), node_num(2)),
        2: b"<< /Type /Pages /Parent 41 0 R %s /Count 3 >>"
        % kids(page_num(2), page_num(3), page_num(4)),
    }
    original = tree_pdf(tmp_path / "counts.pdf", nodes, {1: 1, 2: 2, 3: 2, 4: 2, 5: 0})
    index = index_of(original, tmp_path / "index", by_count=True)
    assert write_range(index, 2, 2, tmp_path / "range.pdf").by_count_held is False

    walked = index_pages(index, max_pages=MAX_PAGES, by_count=False)

    # Found 1 (page 5 only) while the first walk's "visited" marks on node 1 stayed set.
    assert walked.page_count == 5
    assert write_range(walked, 1, 5, tmp_path / "range.pdf") == RangeFile(5)
    assert page_texts(tmp_path / "range.pdf") == [f"Page {n}" for n in range(1, 6)]


# --- 5. files it must hand to qpdf ----------------------------------------------------------


def test_an_encrypted_file_is_left_to_qpdf(tmp_path: Path) -> None:
    original = save(
        pikepdf.open(io.BytesIO(make_pdf(2))),
        tmp_path / "encrypted.pdf",
        encryption=pikepdf.Encryption(owner="o", user=""),
    )

    with pytest.raises(IndexUnusable, match="encrypted"):
        index_of(original, tmp_path / "index")


@pytest.mark.parametrize("object_streams", [False, True], ids=["xref_table", "object_streams"])
def test_a_file_with_shifted_offsets_is_left_to_qpdf(tmp_path: Path, object_streams: bool) -> None:
    data = save(
        pikepdf.open(io.BytesIO(make_pdf(3))), tmp_path / "good.pdf", object_streams=object_streams
    ).read_bytes()
    # Every object moves 7 bytes down; the cross-reference still points where they were.
    first = data.index(b" 0 obj") - 1
    shifted = tmp_path / "shifted.pdf"
    shifted.write_bytes(data[:first] + b"%shift\n" + data[first:])

    with pytest.raises(IndexUnusable):
        exercise(shifted, tmp_path)


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9, 0.99])
def test_a_truncated_file_is_left_to_qpdf(tmp_path: Path, keep: float) -> None:
    data = make_pdf(3)
    truncated = tmp_path / "truncated.pdf"
    truncated.write_bytes(data[: int(len(data) * keep)])

    with pytest.raises(IndexUnusable):
        exercise(truncated, tmp_path)


# What each corpus file (tests/fixtures/pdfs/README.md) gives the index.
CORPUS_OUTCOMES = {
    "broken_xref.pdf": "unusable",
    "encrypted.pdf": "unusable",
    "not_a_pdf.pdf": "unusable",
    "truncated.pdf": "unusable",
}


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.glob("*.pdf")))
def test_every_corpus_file_is_copied_or_left_to_qpdf(tmp_path: Path, name: str) -> None:
    pdf = CORPUS / name
    try:
        exercise(pdf, tmp_path)
    except IndexUnusable:
        assert CORPUS_OUTCOMES.get(name) == "unusable"
        return
    assert CORPUS_OUTCOMES.get(name) is None
    with pikepdf.open(pdf) as source, pikepdf.open(tmp_path / "range.pdf") as copy:
        assert len(copy.pages) == len(source.pages)
        for page, want in zip(copy.pages, source.pages, strict=True):
            assert box(page.obj.MediaBox) == box(inherited(want.obj, "/MediaBox"))
    with pikepdf.open(tmp_path / "head.pdf") as head:
        assert len(head.pages) == 0


# --- bugs found: hostile trailers and cross-reference streams -------------------------------


def one_page_file(trailer_extra: bytes = b"") -> bytes:
    nodes = {0: b"<< /Type /Pages %s /Count 1 %s >>" % (kids(page_num(1)), ROOT_ATTRS)}
    with tempfile.TemporaryDirectory() as folder:
        path = tree_pdf(Path(folder) / "one.pdf", nodes, {1: 0})
        data = path.read_bytes()
    if trailer_extra:
        data = data.replace(b"/Root 1 0 R ", b"/Root 1 0 R " + trailer_extra)
    return data


@pytest.mark.parametrize("entry", [b"/Prev -20 ", b"/XRefStm -20 "])
def test_a_negative_offset_in_the_trailer_is_left_to_qpdf(tmp_path: Path, entry: bytes) -> None:
    pdf = tmp_path / "negative.pdf"
    pdf.write_bytes(one_page_file(entry))

    with pytest.raises(IndexUnusable):
        exercise(pdf, tmp_path)


def xref_stream_file(fields: bytes, data: bytes) -> bytes:
    """one_page_file with its table and trailer replaced by a cross-reference stream."""
    plain = one_page_file()
    body = plain[: plain.index(b"xref\n")]
    xref = b"99 0 obj\n%s\nendobj\n" % stream(data, b"/Type /XRef /Size 100 /Root 1 0 R " + fields)
    return body + xref + b"startxref\n%d\n%%%%EOF\n" % len(body)


def test_a_cross_reference_stream_with_empty_rows_is_left_to_qpdf(tmp_path: Path) -> None:
    pdf = tmp_path / "w000.pdf"
    pdf.write_bytes(xref_stream_file(b"/W [0 0 0] ", b"\x00\x00\x00\x00"))

    with pytest.raises(IndexUnusable):
        exercise(pdf, tmp_path)


def deflated_zeros(mib: int) -> bytes:
    """`mib` MiB of zero bytes, Flate-encoded in about 1 KiB a MiB (a decompression bomb);
    full flushes make each MiB's blocks stand alone, so they are written once and repeated."""
    deflate = zlib.compressobj(9)
    head = deflate.compress(bytes(1 << 20)) + deflate.flush(zlib.Z_FULL_FLUSH)
    one = deflate.compress(bytes(1 << 20)) + deflate.flush(zlib.Z_FULL_FLUSH)
    return head + one * (mib - 1)


def test_a_cross_reference_stream_bomb_is_left_to_qpdf(tmp_path: Path) -> None:
    pdf = tmp_path / "bomb.pdf"
    pdf.write_bytes(xref_stream_file(b"/W [1 4 2] /Filter /FlateDecode ", deflated_zeros(1024)))
    (tmp_path / "index").mkdir()

    with pytest.raises(IndexUnusable):
        run_limited(
            build_index,
            pdf,
            tmp_path / "index",
            max_pages=MAX_PAGES,
            timeout_s=20,
            memory_bytes=384 << 20,
        )


# --- 6. mutated bytes -----------------------------------------------------------------------


@cache
def fuzz_seeds() -> dict[str, bytes]:
    """Small valid files: a classic table, object streams, and an incremental update."""
    seeds: dict[str, bytes] = {}
    for name, object_streams in (("xref_table", False), ("object_streams", True)):
        out = io.BytesIO()
        mode = (
            pikepdf.ObjectStreamMode.generate
            if object_streams
            else pikepdf.ObjectStreamMode.disable
        )
        with pikepdf.open(io.BytesIO(make_pdf(2))) as pdf:
            pdf.save(out, object_stream_mode=mode)
        seeds[name] = out.getvalue()
    with pikepdf.open(io.BytesIO(seeds["xref_table"])) as pdf:
        page = pdf.pages[0].obj
        page.Rotate = 90
        body = page.unparse(resolved=True)
        number, root, size = page.objgen[0], pdf.Root.objgen[0], int(pdf.trailer.Size)
    seeds["incremental"] = append_update(seeds["xref_table"], number, body, root, size)
    return seeds


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(fuzz_seeds()[draw(st.sampled_from(sorted(fuzz_seeds())))])
    if draw(st.booleans()) and draw(st.integers(0, 3)) == 0:
        return bytes(data[: draw(st.integers(0, len(data)))])
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data) - 1))
        if draw(st.booleans()):  # near the structure, where mutations change the most
            marks = [
                m.start() for m in re.finditer(rb"obj|xref|trailer|startxref|/\w+|\d+ 0 R", data)
            ]
            at = min(len(data) - 1, max(0, draw(st.sampled_from(marks)) + draw(st.integers(-8, 8))))
        action = draw(st.sampled_from(["flip", "insert", "delete", "replace"]))
        if action == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif action == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=3))
        elif action == "delete":
            del data[at : at + draw(st.integers(1, 3))]
        else:
            data[at : at + 1] = draw(
                st.sampled_from([b"-", b"0", b"9", b" ", b"(", b"<", b"[", b"R"])
            )
    return bytes(data)


@settings(max_examples=200, deadline=None)
@given(data=mutated())
def test_mutated_files_are_copied_or_left_to_qpdf(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder, within(10):
        pdf = Path(folder) / "mutated.pdf"
        pdf.write_bytes(data)
        with suppress(IndexUnusable):
            exercise(pdf, Path(folder))


# --- 7. the head: what the whole-file checks look at ----------------------------------------


def active_content_file(path: Path) -> Path:
    """A file with a JavaScript open action, named JavaScript, an embedded file, an XFA form
    and a bookmark whose action is JavaScript."""
    nodes = {0: b"<< /Type /Pages %s /Count 1 %s >>" % (kids(page_num(1)), ROOT_ATTRS)}
    data = tree_pdf(path, nodes, {1: 0}).read_bytes()
    extra = {
        10: b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>",
        11: b"<< /Names [(hello) 10 0 R] >>",
        12: b"<< /Names [(a.txt) 13 0 R] >>",
        13: b"<< /Type /Filespec /F (a.txt) /EF << /F 14 0 R >> >>",
        14: stream(b"hello", b"/Type /EmbeddedFile "),
        15: stream(b"<xdp:xdp xmlns:xdp='http://ns.adobe.com/xdp/'/>"),
        16: b"<< /Type /Outlines /First 17 0 R /Last 17 0 R /Count 1 >>",
        17: b"<< /Title (Go) /Parent 16 0 R /Dest [3 0 R /Fit] "
        b"/A << /S /JavaScript /JS (app.alert\\(2\\)) >> >>",
        18: b"<< /Dests 19 0 R /JavaScript 11 0 R /EmbeddedFiles 12 0 R >>",
        19: b"<< /Names [(there) [3 0 R /Fit]] >>",
    }
    catalog = (
        b"<< /Type /Catalog /Pages 40 0 R /OpenAction 10 0 R /Names 18 0 R "
        b"/AcroForm << /Fields [] /XFA 15 0 R >> /Outlines 16 0 R /PageMode /UseOutlines >>"
    )
    objs = re.findall(rb"\d+ 0 obj\n(.*?)\nendobj\n", data, re.S)
    objs[0] = catalog
    for number, body in extra.items():
        objs[number - 1] = body
    path.write_bytes(raw_pdf(objs))
    return path


def codes(pdf: Path) -> list[str]:
    with pikepdf.open(pdf) as opened:
        return sorted(found.finding.code for found in find_document_active_content(opened))


@pytest.mark.parametrize(
    "name", ["made_here", "javascript.pdf", "embedded_file.pdf", "xfa_form.pdf"]
)
def test_the_head_holds_the_same_active_content_as_the_whole_file(
    tmp_path: Path, name: str
) -> None:
    if name == "made_here":
        original = active_content_file(tmp_path / "active.pdf")
    else:
        original = CORPUS / name
    head = tmp_path / "head.pdf"

    write_head(index_of(original, tmp_path / "index"), head)

    assert codes(head) == codes(original)
    assert codes(original)
    if name == "made_here":
        assert codes(head) == [
            "active_content_javascript",
            "active_content_javascript",
            "active_content_javascript",
            "embedded_file",
            "xfa_form",
        ]
    with pikepdf.open(head) as copy:
        assert len(copy.pages) == 0
        assert set(copy.Root.get("/Names", {}).keys()) <= {"/JavaScript", "/EmbeddedFiles"}


# --- 8. strings, hex strings and names --------------------------------------------------------

SPECIAL_VALUES = (
    b"/Lit (a \\(b (nested (deep)) c\\) \\\\ \\n\\r\\t\\b\\f \\101\\0\\7\\8 split\\\nline) "
    b"/Hex <48 65 6c6C6f00FF7> /Empty () /EmptyHex <> "
    b"/Nm /A#20B#2Fc#23#E9 /Plain /ABC /Real -.5 /Real2 +3. /Neg -12 "
    b"/Nested [(x) [<00> /N#41me] << /In (\\)) >>] "
)


def special_values(pdf: pikepdf.Pdf) -> Any:
    page = pdf.pages[0].obj
    return page.PieceInfo if "/PieceInfo" in page else page.Annots[0]


@pytest.mark.parametrize(
    "where",
    [b"/PieceInfo << %s >> ", b"/Annots [<< /Type /Annot /Subtype /Text /Rect [0 0 9 9] %s >>] "],
    ids=["page_dictionary", "annotation"],
)
def test_strings_and_names_survive_the_copy(tmp_path: Path, where: bytes) -> None:
    nodes = {0: b"<< /Type /Pages %s /Count 1 %s >>" % (kids(page_num(1)), ROOT_ATTRS)}
    original = tree_pdf(tmp_path / "strings.pdf", nodes, {1: 0}, {1: where % SPECIAL_VALUES})
    copy = tmp_path / "range.pdf"

    write_range(index_of(original, tmp_path / "index"), 1, 1, copy)

    with pikepdf.open(original) as source, pikepdf.open(copy) as result:
        want, got = special_values(source), special_values(result)
        keys = ["/Lit", "/Hex", "/Empty", "/EmptyHex", "/Nm", "/Plain", "/Nested"]
        assert [got[k].unparse() for k in keys] == [want[k].unparse() for k in keys]
        assert [got[k] for k in ("/Real", "/Real2", "/Neg")] == [-0.5, 3, -12]
        assert bytes(got.Lit) == b"a (b (nested (deep)) c) \\ \n\r\t\x08\x0c A\x00\x078 splitline"
        assert bytes(got.Hex) == b"Hello\x00\xffp"
        assert got.Nm.unparse() == b"/A#20B#2fc#23#e9"


def test_line_ends_in_a_literal_string_read_as_one_line_feed(tmp_path: Path) -> None:
    value = b"/PieceInfo << /Lit (crlf\r\ncr\rlf\nend) >> "
    nodes = {0: b"<< /Type /Pages %s /Count 1 %s >>" % (kids(page_num(1)), ROOT_ATTRS)}
    original = tree_pdf(tmp_path / "lines.pdf", nodes, {1: 0}, {1: value})
    copy = tmp_path / "range.pdf"

    write_range(index_of(original, tmp_path / "index"), 1, 1, copy)

    with pikepdf.open(original) as source, pikepdf.open(copy) as result:
        assert bytes(source.pages[0].obj.PieceInfo.Lit) == b"crlf\ncr\nlf\nend"
        assert bytes(result.pages[0].obj.PieceInfo.Lit) == b"crlf\ncr\nlf\nend"
