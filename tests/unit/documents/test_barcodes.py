"""Sheet codes: their text format and check digits, and a DataMatrix zxing-cpp reads back."""

from __future__ import annotations

import io

import pikepdf
import pypdfium2 as pdfium
import pytest
import zxingcpp
from reportlab.pdfgen import canvas

from postroom.documents.barcodes import (
    SheetCodeError,
    check_digits,
    datamatrix_image,
    datamatrix_rows,
    parse_sheet_code,
    sheet_code,
)

LOT_ID = "3f2a9c1e-0000-4000-8000-000000000001"


def test_the_code_names_lot_piece_and_sheet_with_check_digits() -> None:
    code = sheet_code(LOT_ID, 12, 2, 3)
    assert code.text() == f"PR1|3f2a9c1e|000012|02/03|{check_digits('PR1|3f2a9c1e|000012|02/03')}"
    assert parse_sheet_code(code.text()) == code


@pytest.mark.parametrize(
    "damage",
    [
        lambda t: t.replace("000012", "000013"),  # one changed digit
        lambda t: t.replace("02/03", "03/02"),  # swapped fields
        lambda t: t.replace("3f2a", "f32a"),  # swapped neighbours
    ],
)
def test_a_damaged_code_fails_its_check(damage: object) -> None:
    text = sheet_code(LOT_ID, 12, 2, 3).text()
    with pytest.raises(SheetCodeError):
        parse_sheet_code(damage(text))  # type: ignore[operator]


def test_a_foreign_text_is_not_a_sheet_code() -> None:
    with pytest.raises(SheetCodeError):
        parse_sheet_code("hello|world")


def test_sheet_numbers_must_be_within_the_piece() -> None:
    with pytest.raises(ValueError):
        sheet_code(LOT_ID, 1, 4, 3)


def test_the_symbol_is_a_square_datamatrix() -> None:
    rows = datamatrix_rows(sheet_code(LOT_ID, 999_999, 99, 99).text())
    assert len(rows) == len(rows[0])
    assert rows[-1] == "1" * len(rows)  # the solid L of the finder pattern, bottom...
    assert all(row[0] == "1" for row in rows)  # ...and left


def page_with(ops: bytes) -> bytes:
    """A 100 x 100 pt page whose content is `ops`, drawn through raw operators as composition
    does."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(100, 100))
    pdf.showPage()
    pdf.save()
    with pikepdf.open(io.BytesIO(buffer.getvalue())) as doc:
        doc.pages[0].obj.Contents = doc.make_stream(ops)
        out = io.BytesIO()
        doc.save(out)
    return out.getvalue()


@pytest.mark.parametrize("dpi", [200, 288, 300])
def test_the_drawn_symbol_decodes_to_the_same_text(dpi: int) -> None:
    texts = [sheet_code(LOT_ID, 7, 1, 1).text(), sheet_code(LOT_ID, 999_999, 42, 99).text()]
    for i, text in enumerate(texts):
        # the production size (a 12 mm zone), off the pixel grid
        ops = datamatrix_image(text, left=20.37 + i * 0.21, bottom=20.13, side=12 / 0.3528)
        page_pdf = pdfium.PdfDocument(page_with(ops))
        image = page_pdf[0].render(scale=dpi / 72).to_pil()
        page_pdf.close()
        (result,) = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.DataMatrix)
        assert result.text == text


def test_the_image_mask_holds_the_symbol_in_its_square() -> None:
    text = sheet_code(LOT_ID, 12, 2, 3).text()
    rows = datamatrix_rows(text)
    ops = datamatrix_image(text, left=20, bottom=30, side=44)
    with pikepdf.open(io.BytesIO(page_with(ops))) as doc:
        instructions = pikepdf.parse_content_stream(doc.pages[0])
        (cm,) = [i for i in instructions if str(i.operator) == "cm"]
        (inline,) = [i for i in instructions if str(i.operator) == "INLINE IMAGE"]
        image = inline.operands[0]
        size = (int(image.width), int(image.height), bool(image.image_mask))
        assert size == (len(rows), len(rows), True)
        # one module of quiet zone on every side: 44 pt over len + 2 modules
        module = 44 / (len(rows) + 2)
        assert [float(v) for v in cm.operands] == pytest.approx(
            [module * len(rows), 0, 0, module * len(rows), 20 + module, 30 + module], abs=1e-3
        )
        # a mask paints where its sample is 0: every dark module and none of the light ones
        assert image.filters == ["/ASCIIHexDecode"]  # no binary bytes in the content stream
        data = bytes.fromhex(image.read_raw_bytes().decode("ascii").strip().rstrip(">"))
        stride = (len(rows) + 7) // 8
        painted = [
            "".join(
                "0" if data[r * stride + c // 8] >> (7 - c % 8) & 1 else "1"
                for c in range(len(rows))
            )
            for r in range(len(rows))
        ]
        assert painted == rows
