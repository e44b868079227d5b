"""The inserter's sheet code: its text format, its check digits, and its DataMatrix as an image
mask.

Text format (version 1), one per sheet front, ASCII only:

    PR1|<lot>|<piece>|<sheet>/<sheets>|<check>

- ``lot``: the first 8 characters of the lot id (hex of its UUID);
- ``piece``: the piece's sequence in the lot, 1-based, 6 digits, zero-padded;
- ``sheet``/``sheets``: this sheet and the piece's sheet count, 2 digits each, zero-padded;
- ``check``: 2 digits, ``sum(i * ord(c) for i, c in enumerate(body, 1)) % 97`` over everything
  before the last ``|`` (the body). 97 is prime and every weight is below it, so one changed
  character or two swapped neighbours always change the check.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import count
from operator import mul

import zint

FORMAT_PREFIX = "PR1"
SEPARATOR = "|"
LOT_CHARS = 8
CHECK_MODULUS = 97
# DataMatrix asks for a quiet zone of one module on every side (ISO/IEC 16022, 5.2.8).
QUIET_ZONE_MODULES = 1
# zint's rows hold module i in bit i (least significant first) with 1 dark; a PDF image mask
# wants the first module in the most significant bit and paints where a sample is 0. One
# translate through this table does both: bits reversed, then inverted.
_TO_MASK = bytes(~int(f"{b:08b}"[::-1], 2) & 0xFF for b in range(256))


class SheetCodeError(ValueError):
    """A scanned text is not a valid sheet code."""


@dataclass(frozen=True)
class SheetCode:
    """What the inserter reads off one sheet."""

    lot: str  # the lot id's first LOT_CHARS characters
    piece_sequence: int
    sheet: int
    sheets: int

    @property
    def body(self) -> str:
        """The text the check digits cover."""
        return SEPARATOR.join(
            (
                FORMAT_PREFIX,
                self.lot,
                f"{self.piece_sequence:06d}",
                f"{self.sheet:02d}/{self.sheets:02d}",
            )
        )

    def text(self) -> str:
        """The full code, check digits included, as encoded in the DataMatrix."""
        body = self.body
        return f"{body}{SEPARATOR}{check_digits(body)}"


def sheet_code(lot_id: str, piece_sequence: int, sheet: int, sheets: int) -> SheetCode:
    """The code of sheet `sheet` of `sheets` of the piece at `piece_sequence` in lot `lot_id`."""
    if not (1 <= sheet <= sheets <= 99) or not (1 <= piece_sequence <= 999_999):
        raise ValueError(f"no sheet code for piece {piece_sequence}, sheet {sheet}/{sheets}")
    return SheetCode(lot_id[:LOT_CHARS], piece_sequence, sheet, sheets)


def check_digits(body: str) -> str:
    """Two digits: the position-weighted sum of the body's characters modulo 97."""
    return f"{sum(map(mul, count(1), map(ord, body))) % CHECK_MODULUS:02d}"


def parse_sheet_code(text: str) -> SheetCode:
    """Read a scanned code back; SheetCodeError when its form or check digits are wrong."""
    body, _, check = text.rpartition(SEPARATOR)
    fields = body.split(SEPARATOR)
    if len(fields) != 4 or fields[0] != FORMAT_PREFIX or "/" not in fields[3]:
        raise SheetCodeError(f"not a {FORMAT_PREFIX} sheet code: {text!r}")
    if check != check_digits(body):
        raise SheetCodeError(f"check digits {check!r} do not match {text!r}")
    sheet, _, sheets = fields[3].partition("/")
    try:
        return SheetCode(fields[1], int(fields[2]), int(sheet), int(sheets))
    except ValueError as exc:
        raise SheetCodeError(f"not a {FORMAT_PREFIX} sheet code: {text!r}") from exc


def _symbol(text: str) -> tuple[int, int, bytes]:
    """Width and height in modules of the square DataMatrix for `text`, and its rows of bits:
    (width + 7) // 8 bytes a row, top row first, module i of a row in bit i % 8 of byte i // 8
    (least significant bit first), 1 dark."""
    symbol = zint.Symbol()
    symbol.symbology = zint.Symbology.DATAMATRIX
    symbol.option_3 = zint.DataMatrixOptions.SQUARE
    symbol.encode(text)
    width, height = symbol.width, symbol.rows
    data = symbol.encoded_data  # a fixed-size 2-D buffer; each row's bytes start a stride apart
    used = (width + 7) // 8
    stride = data.strides[0] if data.strides else used
    # The used rows as bytes first: slicing bytes is cheaper than slicing the memoryview.
    flat = data.cast("B")[: height * stride].tobytes()
    return (
        width,
        height,
        b"".join([flat[at : at + used] for at in range(0, height * stride, stride)]),
    )


def datamatrix_rows(text: str) -> list[str]:
    """The square DataMatrix symbol for `text`, as rows of "1" (dark) and "0" (light)."""
    width, height, bits = _symbol(text)
    used = (width + 7) // 8
    return [
        f"{int.from_bytes(bits[at : at + used], 'little'):0{used * 8}b}"[::-1][:width]
        for at in range(0, height * used, used)
    ]


def datamatrix_image(text: str, *, left: float, bottom: float, side: float) -> bytes:
    """PDF operators painting the symbol for `text` in the square at (left, bottom).

    The square (PDF points, user space) includes the quiet zone. The symbol is one inline
    image mask of one sample per module (1 bit deep, ASCII hex: no binary bytes in the
    content stream, and no "EI" a parser could take for the image's end), scaled by one `cm`
    to the modules' size and painted in black; a 20 x 20 symbol is about 200 bytes."""
    width, height, bits = _symbol(text)
    module = side / (width + 2 * QUIET_ZONE_MODULES)
    origin_x = left + QUIET_ZONE_MODULES * module
    origin_y = bottom + QUIET_ZONE_MODULES * module
    head = (
        f"q 0 g {module * width:.4f} 0 0 {module * height:.4f} {origin_x:.3f} {origin_y:.3f} cm\n"
        f"BI /W {width} /H {height} /IM true /BPC 1 /F /AHx ID\n"
    )
    return b"".join(
        (head.encode("ascii"), bits.translate(_TO_MASK).hex().encode("ascii"), b">\nEI Q\n")
    )
