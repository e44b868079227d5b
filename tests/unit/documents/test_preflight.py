"""Preflight: page sizes, orientation, fonts, limits and bad files, each as a stable finding."""

from __future__ import annotations

import io
import zlib
from pathlib import Path

import pikepdf
import pytest
from reportlab.lib.pagesizes import A4, LETTER, landscape
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from postroom.documents import preflight as preflight_module
from postroom.documents.preflight import PageFacts, inflates_past, preflight
from postroom.documents.profiles import PreflightProfile
from postroom.domain.findings import Severity
from postroom.domain.geometry import PageFormat
from tests.fixtures.pdfs import make_corpus
from tests.support.pdfs import make_pdf

A4_ONLY = PreflightProfile(name="a4")
MM = 72 / 25.4
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def write(tmp_path: Path, data: bytes, name: str = "doc.pdf") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def pages_of_sizes(*sizes: tuple[float, float]) -> bytes:
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer)
    for size in sizes:
        c.setPageSize(size)
        c.setFont("Helvetica", 12)
        c.drawString(72, 72, "text")
        c.showPage()
    c.save()
    return buffer.getvalue()


def errors(report_codes: list[tuple[str, Severity]]) -> list[str]:
    return [code for code, severity in report_codes if severity is Severity.ERROR]


def test_a_plain_a4_letter_is_accepted_with_its_page_facts(tmp_path: Path) -> None:
    data = make_pdf(2)
    report = preflight(write(tmp_path, data), profile=A4_ONLY)
    assert report.accepted
    assert (report.page_count, report.size_bytes, report.repaired) == (2, len(data), False)
    assert report.pages[0] == PageFacts(1, 210.0, 297.0, 0, True)
    assert report.to_dict()["page_runs"] == [
        {
            "first": 1,
            "last": 2,
            "width_mm": 210.0,
            "height_mm": 297.0,
            "rotation": 0,
            "has_text": True,
        }
    ]
    assert report.to_dict()["accepted"] is True


def test_a_us_letter_page_is_refused_by_an_a4_service_with_its_size_in_mm(tmp_path: Path) -> None:
    path = write(tmp_path, pages_of_sizes(A4, LETTER))
    report = preflight(path, profile=A4_ONLY)
    [mismatch] = [f for f in report.findings if f.code == "page_size_mismatch"]
    assert (mismatch.severity, mismatch.page) == (Severity.ERROR, 2)
    assert "215.9 x 279.4 mm" in mismatch.message
    both = PreflightProfile(name="both", page_formats=(PageFormat.A4, PageFormat.LETTER))
    assert preflight(path, profile=both).accepted


def test_the_size_tolerance_is_two_millimetres_either_way(tmp_path: Path) -> None:
    inside = (211.9 * MM, 295.1 * MM)
    outside = (212.2 * MM, 297 * MM)
    assert preflight(write(tmp_path, pages_of_sizes(inside)), profile=A4_ONLY).accepted
    report = preflight(write(tmp_path, pages_of_sizes(outside), "out.pdf"), profile=A4_ONLY)
    assert "page_size_mismatch" in report.codes()


def test_landscape_is_an_error_on_the_address_page_and_a_warning_after(tmp_path: Path) -> None:
    path = write(tmp_path, pages_of_sizes(landscape(A4), A4, landscape(A4)))
    found = [(f.code, f.severity, f.page) for f in preflight(path, profile=A4_ONLY).findings]
    assert ("page_orientation", Severity.ERROR, 1) in found
    assert ("page_orientation", Severity.WARNING, 3) in found
    assert not any(page == 2 and code == "page_orientation" for code, _, page in found)


def test_a_landscape_box_rotated_90_degrees_prints_portrait(tmp_path: Path) -> None:
    source = write(tmp_path, pages_of_sizes(landscape(A4)))
    rotated = tmp_path / "rotated.pdf"
    with pikepdf.open(source) as pdf:
        pdf.pages[0].obj.Rotate = 90
        pdf.save(rotated)
    report = preflight(rotated, profile=A4_ONLY)
    assert report.accepted
    assert report.pages[0] == PageFacts(1, 210.0, 297.0, 90, True)


def test_a_mediabox_inherited_from_the_page_tree_is_used(tmp_path: Path) -> None:
    objs = make_corpus.one_page("inherited")
    objs[1] = b"<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 612 792] >>"
    objs[2] = objs[2].replace(b"/MediaBox " + make_corpus.A4_PT.encode(), b"")
    report = preflight(write(tmp_path, make_corpus.raw_pdf(objs)), profile=A4_ONLY)
    assert (report.pages[0].width_mm, report.pages[0].height_mm) == (215.9, 279.4)


def test_a_missing_font_is_an_error_or_a_warning_as_the_profile_says(tmp_path: Path) -> None:
    path = tmp_path / "font.pdf"
    make_corpus.make_font_not_embedded(path)
    [strict] = preflight(path, profile=A4_ONLY).findings
    assert (strict.code, strict.severity, strict.page) == ("font_not_embedded", Severity.ERROR, 1)
    assert "ComicSansMS" in strict.message
    lenient = PreflightProfile(name="lenient", require_embedded_fonts=False)
    [warning] = preflight(path, profile=lenient).findings
    assert warning.severity is Severity.WARNING


def test_a_standard_font_left_out_is_only_a_warning_reported_once(tmp_path: Path) -> None:
    report = preflight(write(tmp_path, make_pdf(5)), profile=A4_ONLY)
    [finding] = report.findings
    assert (finding.code, finding.severity, finding.page) == (
        "font_not_embedded",
        Severity.WARNING,
        1,
    )
    assert "Helvetica" in finding.message


def test_an_embedded_truetype_font_gives_no_finding(tmp_path: Path) -> None:
    pdfmetrics.registerFont(TTFont("DejaVuSans", str(DEJAVU)))
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=A4)
    c.setFont("DejaVuSans", 12)
    c.drawString(72, 700, "Åsa Öberg, Göteborg")
    c.showPage()
    c.save()
    report = preflight(write(tmp_path, buffer.getvalue()), profile=A4_ONLY)
    # reportlab declares Helvetica on every page it makes, used or not.
    assert report.accepted
    assert not any("DejaVu" in f.message for f in report.findings)


def test_an_image_only_page_has_no_text(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    make_corpus.make_image_only_scan(path)
    report = preflight(path, profile=A4_ONLY)
    assert report.accepted
    assert report.pages[0].has_text is False


def test_limits_refuse_before_the_page_walk(tmp_path: Path) -> None:
    path = write(tmp_path, make_pdf(3))
    few = preflight(path, profile=PreflightProfile(name="few", max_pages=2))
    assert [f.code for f in few.findings] == ["too_many_pages"]
    assert (few.page_count, few.pages) == (3, ())
    small = preflight(path, profile=PreflightProfile(name="small", max_bytes=100))
    assert [f.code for f in small.findings] == ["file_too_large"]


def test_bad_files_get_the_codes_inspect_uses(tmp_path: Path) -> None:
    cases = {
        "empty_file": b"",
        "not_a_pdf": b"hello, not a pdf" * 10,
        "unreadable_pdf": b"%PDF-1.7\n" + b"garbage " * 50,
    }
    for code, data in cases.items():
        [finding] = preflight(write(tmp_path, data, f"{code}.pdf"), profile=A4_ONLY).findings
        assert (finding.code, finding.severity) == (code, Severity.ERROR)
    for code, maker in [
        ("encrypted_pdf", make_corpus.make_encrypted),
        ("no_pages", make_corpus.make_zero_pages),
    ]:
        path = tmp_path / f"{code}.pdf"
        maker(path)
        assert [f.code for f in preflight(path, profile=A4_ONLY).findings] == [code]


def test_a_repaired_file_says_so(tmp_path: Path) -> None:
    path = tmp_path / "xref.pdf"
    make_corpus.make_broken_xref(path)
    report = preflight(path, profile=A4_ONLY)
    assert report.repaired and report.accepted
    assert report.findings[0].code == "repaired"
    assert str(tmp_path) not in report.findings[0].message


def test_a_thousand_page_file_gets_a_fact_for_every_page(tmp_path: Path) -> None:
    # Its speed is measured in bench/, not asserted here (docs/intake.md has the figure).
    path = tmp_path / "many.pdf"
    make_corpus.make_many_pages(path, 1000)
    report = preflight(path, profile=PreflightProfile(name="big", max_pages=1000))
    assert [p.number for p in report.pages] == list(range(1, 1001))
    assert report.accepted


def test_page_facts_are_reported_as_runs_of_identical_pages(tmp_path: Path) -> None:
    report = preflight(write(tmp_path, pages_of_sizes(A4, A4, LETTER, A4)), profile=A4_ONLY)
    runs = [(r["first"], r["last"], r["width_mm"]) for r in report.to_dict()["page_runs"]]
    assert runs == [(1, 2, 210.0), (3, 3, 215.9), (4, 4, 210.0)]


# --- decompression bombs --------------------------------------------------------------------

BOMB_LIMIT = 1 << 20  # the limit lowered to 1 MB, so that the bombs stay small


def flate(data: bytes, layers: int) -> tuple[bytes, list[pikepdf.Name]]:
    for _ in range(layers):
        data = zlib.compress(data, 9)
    return data, [pikepdf.Name.FlateDecode] * layers


def with_streams(path: Path, *, content: bytes, layers: int, in_form: bool = False) -> Path:
    """A two-page letter whose page 2 draws `content` (Flate `layers` times over), as its
    content stream or in a form XObject that both pages draw."""
    with pikepdf.open(io.BytesIO(make_pdf(2))) as pdf:
        data, filters = flate(content, layers)
        stream = pikepdf.Stream(pdf, data)
        stream.Filter = pikepdf.Array(filters)
        if in_form:
            stream.Type, stream.Subtype = pikepdf.Name.XObject, pikepdf.Name.Form
            stream.BBox = [0, 0, 10, 10]
            for page in pdf.pages:
                page.Resources.XObject = pikepdf.Dictionary(Fx=pdf.make_indirect(stream))
        else:
            pdf.pages[1].Contents = pdf.make_indirect(stream)
        pdf.save(path)
    return path


def test_a_stream_that_decodes_past_the_limit_refuses_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(preflight_module, "MAX_DECODED_STREAM_BYTES", BOMB_LIMIT)
    path = with_streams(tmp_path / "bomb.pdf", content=bytes(BOMB_LIMIT + 1), layers=2)

    report = preflight(path, profile=A4_ONLY)

    bomb = [f for f in report.findings if f.code == "decompression_bomb"]
    assert not report.accepted
    assert [(f.severity, f.page) for f in bomb] == [(Severity.ERROR, None)]
    assert bomb[0].message.startswith("page 2 draws a stream that decodes to more than 1 MB")


def test_a_bomb_in_a_form_shared_by_every_page_is_reported_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(preflight_module, "MAX_DECODED_STREAM_BYTES", BOMB_LIMIT)
    path = with_streams(
        tmp_path / "form.pdf", content=bytes(3 * BOMB_LIMIT), layers=3, in_form=True
    )

    report = preflight(path, profile=A4_ONLY)

    assert [f.code for f in report.findings].count("decompression_bomb") == 1
    assert "page 1 draws" in next(
        f.message for f in report.findings if f.code == "decompression_bomb"
    )


def test_a_stream_up_to_the_limit_is_no_bomb(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(preflight_module, "MAX_DECODED_STREAM_BYTES", BOMB_LIMIT)
    content = b"BT /F1 12 Tf 72 72 Td (ok) Tj ET\n" * (BOMB_LIMIT // 34)
    path = with_streams(tmp_path / "big.pdf", content=content, layers=2)

    report = preflight(path, profile=A4_ONLY)

    assert "decompression_bomb" not in report.codes()


def test_inflating_counts_every_layer_and_stops_at_damage() -> None:
    data, _ = flate(bytes(5000), 3)
    assert inflates_past(data, 3, 4999)
    assert not inflates_past(data, 3, 5000)
    assert not inflates_past(data, 2, 5000)  # two layers give the first layer's input
    assert not inflates_past(data[: len(data) // 2] + b"\xff" * 40, 3, 10)


def with_image(path: Path, width: int, height: int) -> Path:
    """A two-page letter whose pages both draw one image of width x height pixels (its data
    a few bytes: only the declared size matters here)."""
    with pikepdf.open(io.BytesIO(make_pdf(2))) as pdf:
        image = pikepdf.Stream(pdf, zlib.compress(bytes(64)))
        image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
        image.Width, image.Height, image.BitsPerComponent = width, height, 8
        image.ColorSpace, image.Filter = pikepdf.Name.DeviceGray, pikepdf.Name.FlateDecode
        image = pdf.make_indirect(image)
        for page in pdf.pages:
            page.Resources.XObject = pikepdf.Dictionary(Im0=image)
        pdf.save(path)
    return path


def test_an_image_too_large_for_a_renderer_refuses_the_file_once(tmp_path: Path) -> None:
    report = preflight(with_image(tmp_path / "huge.pdf", 20_000, 20_000), profile=A4_ONLY)

    found = [f for f in report.findings if f.code == "image_too_large"]
    assert not report.accepted
    assert [(f.severity, f.page) for f in found] == [(Severity.ERROR, None)]
    assert found[0].message.startswith("page 1 draws an image of 400 megapixels; the limit is 250")


def test_a_page_sized_image_at_print_resolution_is_fine(tmp_path: Path) -> None:
    # A4 at 1,200 dpi.
    report = preflight(with_image(tmp_path / "scan.pdf", 9921, 14031), profile=A4_ONLY)

    assert "image_too_large" not in report.codes()
