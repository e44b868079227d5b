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
    datamatrix_path,
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


def test_the_drawn_path_decodes_to_the_same_text() -> None:
    text = sheet_code(LOT_ID, 7, 1, 1).text()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(100, 100))
    pdf.showPage()
    pdf.save()
    # Draw through raw operators on a fresh page, as composition does.
    with pikepdf.open(io.BytesIO(buffer.getvalue())) as doc:
        page = doc.pages[0]
        page.obj.Contents = doc.make_stream(datamatrix_path(text, left=20, bottom=20, side=60))
        out = io.BytesIO()
        doc.save(out)
    page_pdf = pdfium.PdfDocument(out.getvalue())
    image = page_pdf[0].render(scale=4).to_pil()
    (result,) = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.DataMatrix)
    assert result.text == text
