"""Composes a lot's print PDF: per piece its address page (or its address printed into the
window zone of its first page), page ranges and blank backs, and a DataMatrix sheet code on
every sheet's front, streaming pages from their sources.

Pages are copied with pikepdf's copy_foreign from sources held open for the whole lot, so
pieces cut from one file share its fonts and images in the lot file. Each front gets its
code as an inline image mask appended to its content stream (wrapped in q/Q, after a Q
that closes a q put before the page's own content; an inline image needs no resources):
pikepdf's add_overlay would add a Form XObject to the page's /Resources, which the pages of
one source share, so every page would end up naming every sheet's form. An address printed
into a window is the only form drawn: the page that takes it gets resources of its own first
(a shallow copy naming the same fonts and images), so no other page names it.

Each source is opened once per lot through its page index (`documents.sources`), so a lot
parses only the pages it takes, however large the file they are cut from."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pikepdf

from postroom.documents.address_page import write_address_pages
from postroom.documents.barcodes import datamatrix_image, sheet_code
from postroom.documents.sources import SourcePdf, open_source
from postroom.domain.geometry import MM_PER_POINT, EnvelopeLayout, Zone

ADDRESS_PAGES_FILE = ".address-pages.pdf"
FLATE = pikepdf.Name.FlateDecode
DEFLATE_WINDOW_BITS = 9  # zlib's smallest window, 512 bytes: more than a sheet code's stream
DEFLATE_MEM_LEVEL = 2


@dataclass(frozen=True)
class PageRange:
    """Pages `first`..`last` (1-based, inclusive) of the PDF at `path`."""

    path: Path
    first: int
    last: int

    @property
    def count(self) -> int:
        """How many pages the range holds."""
        return self.last - self.first + 1


@dataclass(frozen=True)
class PiecePlan:
    """What goes into the lot for one piece, in order."""

    piece_id: str
    parts: tuple[PageRange, ...]  # main pages, annexes, configured pages
    layout: EnvelopeLayout
    duplex: bool
    address_lines: tuple[str, ...] | None = None  # None: no address page, nothing in the window
    # True: address_lines go into the window zone of the first page, not on a page of their own.
    address_in_window: bool = False
    # Printed in small type above the address (with address_lines only; "" = none).
    return_line: str = ""
    # A page drawn under each page of the first part (the letter's own pages): a
    # configured background such as a letterhead. Its first page is used.
    background: PageRange | None = None


@dataclass(frozen=True)
class PlacedPiece:
    """Where a piece landed in the lot file."""

    sequence: int  # 1-based position in the lot
    first_page: int
    page_count: int
    sheets: int
    blank_pages: int
    address_page: bool
    address_in_window: bool = False

    @property
    def last_page(self) -> int:
        """The piece's last page in the lot file."""
        return self.first_page + self.page_count - 1


class _Sources:
    """The sources of one lot, each opened once for the lot, for the pages it takes."""

    def __init__(self, plans: Sequence[PiecePlan]) -> None:
        self._open: dict[Path, SourcePdf] = {}
        self._last: dict[Path, int] = {}  # the last page the lot takes of each source
        for plan in plans:
            for part in (*plan.parts, *([plan.background] if plan.background else [])):
                self._last[part.path] = max(part.last, self._last.get(part.path, 0))

    def pages(self, part: PageRange, *, indexed: bool = True) -> list[pikepdf.Dictionary]:
        """The pages of `part`; ValueError when the source is shorter."""
        source = self._open.get(part.path)
        if source is None:
            upto = self._last.get(part.path, part.last)
            source = open_source(part.path, upto=upto, indexed=indexed)
            self._open[part.path] = source
        return source.pages(part.first, part.last)

    def close(self) -> None:
        """Close every source."""
        for source in self._open.values():
            source.close()
        self._open.clear()


def page_count(path: Path) -> int:
    """How many pages the PDF at `path` has."""
    with pikepdf.open(path) as pdf:
        return len(pdf.pages)


def compose_print_file(
    path: Path, *, lot_id: str, plans: Sequence[PiecePlan], scratch: Path
) -> list[PlacedPiece]:
    """Write the lot's print PDF to `path`; `scratch` is a folder for intermediate files."""
    sources = _Sources(plans)
    address_path = scratch / ADDRESS_PAGES_FILE
    with_address = [p for p in plans if p.address_lines is not None]
    address_plans = [(p.layout, p.address_lines or ()) for p in with_address]
    address_pages: list[pikepdf.Dictionary] = []
    if address_plans:
        write_address_pages(
            address_path, address_plans, return_lines=[p.return_line for p in with_address]
        )
        # A file of this lot only: read whole, not indexed.
        address_pages = sources.pages(PageRange(address_path, 1, len(address_plans)), indexed=False)
    out = pikepdf.new()
    try:
        placed = _Composer(out, lot_id).add_all(plans, sources, iter(address_pages))
        # Streams go out as they came in, never decoded: the pages' bytes are the sources'
        # own (as sanitize keeps them), a decompression bomb is never inflated, and qpdf
        # does not spend most of the save re-encoding ASCII85 + Flate content as Flate. The
        # codes' streams are compressed already.
        out.save(
            path,
            compress_streams=False,
            stream_decode_level=pikepdf.StreamDecodeLevel.none,
        )
    finally:
        sources.close()
        out.close()
        address_path.unlink(missing_ok=True)
    return placed


class _Composer:
    """Appends pieces to one flat /Kids array (pikepdf's pages.extend is quadratic here)."""

    def __init__(self, out: pikepdf.Pdf, lot_id: str) -> None:
        self.out = out
        self.lot_id = lot_id
        self.tree = out.Root.Pages
        self.kids: list[pikepdf.Dictionary] = []  # one pikepdf.Array at the end
        self.placed_pages: set[tuple[int, int]] = set()
        self.push = out.make_stream(b"q\n")  # shared by every stamped page
        self.empty = out.make_stream(b"")  # the content of every blank back
        # (box as written, rotation, zone) -> the code's square: pages of one source share it.
        self.squares: dict[tuple[bytes, int, Zone], tuple[float, float, float]] = {}
        # A background page's form, made once a lot: source file -> (form, its BBox).
        self.backgrounds: dict[Path, Any] = {}

    def add_all(
        self, plans: Sequence[PiecePlan], sources: _Sources, address_pages: Any
    ) -> list[PlacedPiece]:
        """Add every piece in order and return where each one landed."""
        placed: list[PlacedPiece] = []
        for sequence, plan in enumerate(plans, 1):
            first = len(self.kids) + 1
            pages: list[pikepdf.Dictionary] = []
            blanks = 0
            in_window = plan.address_lines is not None and plan.address_in_window
            # The page written for the address: drawn over the first page, or placed itself.
            window_address = next(address_pages) if in_window else None
            if plan.address_lines is not None and not in_window:
                pages.append(self._copy(next(address_pages)))
                if plan.duplex:
                    # The address page is a sheet of its own (as priced): the letter keeps
                    # its own fronts and backs.
                    pages.append(self._blank(pages[0]))
                    blanks += 1
            for index, part in enumerate(plan.parts):
                copies = [self._copy(page) for page in sources.pages(part)]
                if index == 0 and plan.background is not None:
                    for page in copies:
                        self._underlay(page, plan.background, sources)
                pages.extend(copies)
            if len(pages) == blanks:
                raise ValueError(f"piece {plan.piece_id} has no pages")
            if plan.duplex and len(pages) % 2:
                pages.append(self._blank(pages[-1]))
                blanks += 1
            step = 2 if plan.duplex else 1
            fronts = pages[::step]
            drawn = b"" if window_address is None else self._in_window(pages[0], window_address)
            for sheet, page in enumerate(fronts, 1):
                code = sheet_code(self.lot_id, sequence, sheet, len(fronts)).text()
                self._stamp(page, code, plan.layout.barcode_zone, drawn if sheet == 1 else b"")
            self.kids.extend(pages)
            placed.append(
                PlacedPiece(
                    sequence=sequence,
                    first_page=first,
                    page_count=len(pages),
                    sheets=len(fronts),
                    blank_pages=blanks,
                    address_page=plan.address_lines is not None and not in_window,
                    address_in_window=in_window,
                )
            )
        self.tree.Kids = pikepdf.Array(self.kids)
        self.tree.Count = len(self.kids)
        return placed

    def _copy(self, page: pikepdf.Dictionary) -> pikepdf.Dictionary:
        """Copy a source page into the lot (its source gave it what it inherits)."""
        copy: Any = self.out.copy_foreign(page)
        if copy.objgen in self.placed_pages:
            # copy_foreign returns the same object for the same source page; a page placed
            # twice needs its own dictionary for its own Parent and sheet code.
            # Its /Contents was stamped already, so take the source's own again.
            copy = self.out.make_indirect(pikepdf.Dictionary(dict(copy.items())))
            if "/Contents" in page:
                copy.Contents = self._foreign(page.Contents)
        self.placed_pages.add(copy.objgen)
        copy.Parent = self.tree
        placed: pikepdf.Dictionary = copy
        return placed

    def _foreign(self, value: pikepdf.Object) -> pikepdf.Object:
        """`value` from a source in the lot (copy_foreign takes indirect objects only)."""
        if value.is_indirect:
            return self.out.copy_foreign(value)
        if isinstance(value, pikepdf.Array):
            return pikepdf.Array([self._foreign(item) for item in value])
        return value

    def _blank(self, like: pikepdf.Dictionary) -> pikepdf.Dictionary:
        """An empty page the size of `like`, for a duplex back."""
        blank = pikepdf.Dictionary(
            Type=pikepdf.Name.Page,
            MediaBox=like.MediaBox,
            Resources=pikepdf.Dictionary(),
            Contents=self.empty,
            Parent=self.tree,
        )
        for key in ("/CropBox", "/Rotate"):
            if key in like:
                blank[key] = like[key]
        result: pikepdf.Dictionary = self.out.make_indirect(blank)
        return result

    def _in_window(self, page: pikepdf.Dictionary, address: pikepdf.Dictionary) -> bytes:
        """Name `address` (a page written for it, the window zone in place) as a form in
        resources of the page's own, and return the operators that draw it there."""
        form: Any = pikepdf.Page(address).as_form_xobject()
        form = self.out.copy_foreign(form)
        name = self._name_form(page, "/PostroomAddress", form)
        height = float(form.BBox[3]) - float(form.BBox[1])
        matrix = " ".join(f"{v:.4f}" for v in _top_left_matrix(page, height))
        return f"q {matrix} cm {name} Do Q\n".encode("ascii")

    def _underlay(self, page: pikepdf.Dictionary, background: PageRange, sources: _Sources) -> None:
        """Draw the background's first page under the page's own content, its lower left
        corner on the page's (the page gets resources of its own naming the form)."""
        form = self.backgrounds.get(background.path)
        if form is None:
            [source] = sources.pages(PageRange(background.path, background.first, background.first))
            form = pikepdf.Page(source).as_form_xobject()
            form = self.backgrounds[background.path] = self.out.copy_foreign(form)
        name = self._name_form(page, "/PostroomBackground", form)
        left, bottom, _, _ = _box(page)
        draw = f"q 1 0 0 1 {left - float(form.BBox[0]):.4f} {bottom - float(form.BBox[1]):.4f} cm"
        under = pikepdf.Stream(self.out, f"{draw} {name} Do Q\n".encode("ascii"))
        contents = page.get("/Contents")
        if contents is None:
            page.Contents = pikepdf.Array([under])
        elif isinstance(contents, pikepdf.Array):
            page.Contents = pikepdf.Array([under, *contents])
        else:
            page.Contents = pikepdf.Array([under, contents])

    def _name_form(self, page: pikepdf.Dictionary, base: str, form: Any) -> str:
        """Name `form` in resources of the page's own (a shallow copy of what it had, so
        no other page that shares them names it); returns the name."""
        resources: Any = page.get("/Resources")
        own = pikepdf.Dictionary(dict(resources.items()) if resources is not None else {})
        named: Any = own.get("/XObject")
        forms = pikepdf.Dictionary(dict(named.items()) if named is not None else {})
        name, n = base, 1
        while name in forms:
            name, n = f"{base}{n}", n + 1
        forms[name] = form
        own.XObject = forms
        page.Resources = own
        return name

    def _stamp(self, page: pikepdf.Dictionary, code: str, zone: Zone, extra: bytes = b"") -> None:
        """Draw `code`'s DataMatrix over the page in `zone`, whatever state its content left,
        and then `extra` (operators of the lot's own, such as an address in the window)."""
        left, bottom, side = self._square(page, zone)
        ops = datamatrix_image(code, left=left, bottom=bottom, side=side) + extra
        # Compressed here, as the lot is saved without compressing streams (compose_print_file).
        # Stream() then /Filter: make_stream's keyword arguments cost twice as much.
        stamp = pikepdf.Stream(self.out, _deflate(b"Q\n" + ops))
        stamp.Filter = FLATE
        contents = page.get("/Contents")
        if contents is None:
            parts: list[Any] = [self.push, stamp]
        elif isinstance(contents, pikepdf.Array):
            parts = [self.push, *contents, stamp]
        else:
            parts = [self.push, contents, stamp]
        page.Contents = pikepdf.Array(parts)

    def _square(self, page: pikepdf.Dictionary, zone: Zone) -> tuple[float, float, float]:
        """Left, bottom and side of the code's square in `zone` on this page."""
        # `in` first: pikepdf's get of a missing key costs several times a present one.
        box: Any = page.CropBox if "/CropBox" in page else page.get("/MediaBox")
        rotate: Any = page.get("/Rotate") if "/Rotate" in page else 0
        key = (box.unparse(resolved=True), int(rotate), zone)
        square = self.squares.get(key)
        if square is None:
            left, bottom, right, top = _zone_rect(page, zone)
            side = min(right - left, top - bottom)
            square = self.squares[key] = (left, top - side, side)
        return square


def _deflate(data: bytes) -> bytes:
    """A zlib stream of `data` (a code's ~210 bytes), from a small compressor: zlib.compress
    sets up a 32 KB window and its hash tables for each call, which took twice as long as the
    compression; a 512-byte window covers these streams and compresses them as well."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, DEFLATE_WINDOW_BITS, DEFLATE_MEM_LEVEL)
    return compressor.compress(data) + compressor.flush()


def _box(page: pikepdf.Dictionary) -> tuple[float, float, float, float]:
    """The page's visible box (crop box, else media box), normalised to left < right."""
    box = page.get("/CropBox", page.MediaBox)
    x0, y0, x1, y1 = (float(v) for v in box)
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def _top_left_matrix(
    page: pikepdf.Dictionary, height: float
) -> tuple[float, float, float, float, float, float]:
    """The matrix that puts an upright page `height` points high with its top-left corner on
    the top-left corner of `page` as shown (after /Rotate), in the page's user space: what
    is drawn at a place in millimetres from its top-left lands at the same place here."""
    left, bottom, right, top = _box(page)
    rotation = int(page.get("/Rotate", 0)) % 360
    if rotation == 90:
        return (0.0, 1.0, -1.0, 0.0, left + height, bottom)
    if rotation == 180:
        return (-1.0, 0.0, 0.0, -1.0, right, bottom + height)
    if rotation == 270:
        return (0.0, -1.0, 1.0, 0.0, right - height, top)
    return (1.0, 0.0, 0.0, 1.0, left, top - height)


def _zone_rect(page: pikepdf.Dictionary, zone: Zone) -> tuple[float, float, float, float]:
    """`zone` (mm from the shown page's top-left) in the page's user space, as in zones.py."""
    left, bottom, right, top = _box(page)
    x0, x1 = zone.left_mm / MM_PER_POINT, zone.right_mm / MM_PER_POINT
    y0, y1 = zone.top_mm / MM_PER_POINT, zone.bottom_mm / MM_PER_POINT
    rotation = int(page.get("/Rotate", 0)) % 360
    if rotation == 90:
        xs, ys = (left + y0, left + y1), (bottom + x0, bottom + x1)
    elif rotation == 180:
        xs, ys = (right - x1, right - x0), (bottom + y0, bottom + y1)
    elif rotation == 270:
        xs, ys = (right - y1, right - y0), (top - x1, top - x0)
    else:
        xs, ys = (left + x0, left + x1), (top - y1, top - y0)
    return (min(xs), min(ys), max(xs), max(ys))
