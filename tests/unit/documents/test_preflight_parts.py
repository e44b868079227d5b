"""Preflight of a large file in parts (a head plus page ranges) says what one pass says."""

from __future__ import annotations

import io
from pathlib import Path

import pikepdf
from reportlab.lib.pagesizes import A4, LETTER, landscape
from reportlab.pdfgen import canvas

from postroom.documents.preflight import PreflightReport, ReportMerger, merge_reports, preflight
from postroom.documents.profiles import PreflightProfile
from tests.fixtures.pdfs import make_corpus

PROFILE = PreflightProfile(name="a4", max_pages=20_000)


def mixed_pages(path: Path, count: int) -> None:
    """A4 pages with a US Letter page every 17 and a landscape page every 29."""
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer)
    for number in range(1, count + 1):
        size = LETTER if number % 17 == 0 else landscape(A4) if number % 29 == 0 else A4
        c.setPageSize(size)
        c.drawString(72, 72, f"page {number}")
        c.showPage()
    c.save()
    path.write_bytes(buffer.getvalue())


def in_parts(path: Path, size: int) -> PreflightReport:
    head = preflight(path, profile=PROFILE, part=(0, 0))
    ranges = [(first, first + size - 1) for first in range(1, head.page_count + 1, size)]
    return merge_reports(head, [preflight(path, profile=PROFILE, part=r) for r in ranges])


def test_parts_give_the_same_pages_and_findings_as_one_pass(tmp_path: Path) -> None:
    path = tmp_path / "mixed.pdf"
    mixed_pages(path, 120)
    whole = preflight(path, profile=PROFILE)
    merged = in_parts(path, 25)
    assert merged.pages == whole.pages
    assert [(f.code, f.severity, f.page) for f in merged.findings] == [
        (f.code, f.severity, f.page) for f in whole.findings
    ]
    assert merged.to_dict()["page_runs"] == whole.to_dict()["page_runs"]


def test_the_head_walks_no_page_but_applies_the_page_limit(tmp_path: Path) -> None:
    path = tmp_path / "many.pdf"
    make_corpus.make_many_pages(path, 50)
    head = preflight(path, profile=PROFILE, part=(0, 0))
    assert (head.page_count, head.pages, head.accepted) == (50, (), True)
    limited = preflight(path, profile=PreflightProfile(name="small", max_pages=10), part=(0, 0))
    assert [f.code for f in limited.findings] == ["too_many_pages"]


def test_a_range_finds_pages_in_a_nested_tree_with_inherited_boxes(tmp_path: Path) -> None:
    # Four pages under two intermediate /Pages nodes that carry the MediaBox.
    source = pikepdf.open(io.BytesIO(make_pdf_bytes(4)))
    out = pikepdf.new()
    root = out.Root.Pages
    kids = pikepdf.Array()
    for pair in ((0, 1), (2, 3)):
        node = out.make_indirect(
            pikepdf.Dictionary(Type=pikepdf.Name.Pages, Kids=pikepdf.Array(), Count=2)
        )
        node.MediaBox = pikepdf.Array([0, 0, 595.28, 841.89])
        node.Parent = root
        for index in pair:
            page = out.copy_foreign(source.pages[index].obj)
            del page["/MediaBox"]
            page.Parent = node
            node.Kids.append(page)
        kids.append(node)
    root.Kids = kids
    root.Count = 4
    path = tmp_path / "nested.pdf"
    out.save(path)

    part = preflight(path, profile=PROFILE, part=(2, 3))
    assert [p.number for p in part.pages] == [2, 3]
    assert [(p.width_mm, p.height_mm) for p in part.pages] == [(210.0, 297.0)] * 2
    assert part.accepted


def make_pdf_bytes(pages: int) -> bytes:
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=A4)
    for number in range(1, pages + 1):
        c.drawString(72, 72, f"page {number}")
        c.showPage()
    c.save()
    return buffer.getvalue()


def test_a_merger_that_folds_pages_into_runs_reports_what_one_pass_reports(
    tmp_path: Path,
) -> None:
    path = tmp_path / "mixed.pdf"
    mixed_pages(path, 120)
    whole = preflight(path, profile=PROFILE)
    head = preflight(path, profile=PROFILE, part=(0, 0))
    merger = ReportMerger(head, keep_pages=False)
    for first in range(1, 121, 25):
        merger.add(preflight(path, profile=PROFILE, part=(first, min(first + 24, 120))))

    folded = merger.report()

    assert folded.pages == ()  # no fact per page is kept
    assert folded.to_dict() == whole.to_dict()
    assert len(folded.to_dict()["page_runs"]) > 10  # the Letter and landscape pages
