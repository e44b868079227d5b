"""Reads a composed lot back against its job before hand-off, as print rooms verify output:
every page of every piece is the page the job asks for, in order, and each piece's first
page shows its recipient in the window.

The expected pages come from the lot's entries (the job), never from what the composer
reports, so a composer that misorders pages is caught: per piece its address page (with a
blank back in duplex), its document's pages, its annexes and configured pages in order,
and a blank back when duplex leaves the last sheet's back empty. A source page matches
when the composed page draws its content streams as stored, in one run, with its images
and forms (pikepdf, nothing decoded: the quick check, which overlays the composer adds
around them do not disturb); otherwise when its text (whitespace ignored) is contained in
the composed page's text (PDFium), or for a page without text the raw data of its images.
Pages are read one at a time, each source opened once for the lot."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pikepdf
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from postroom.documents.address_page import address_lines
from postroom.documents.engine_lock import PDFIUM_LOCK
from postroom.documents.zones import read_zone_lines
from postroom.domain.errors import DomainError, ErrorCode
from postroom.domain.geometry import layout_for


class LotVerificationFailed(DomainError):
    """A composed lot's pages are not what its job asks for; the lot must not be handed over."""

    code = ErrorCode.LOT_VERIFICATION_FAILED


class JobRange(Protocol):
    """Pages `first`..`last` (1-based) of the PDF at `path` (compose.PageRange)."""

    @property
    def path(self) -> Path: ...
    @property
    def first(self) -> int: ...
    @property
    def last(self) -> int: ...


class JobPiece(Protocol):
    """What the job says of one piece (lot_files.LotEntry)."""

    @property
    def piece_id(self) -> str: ...
    @property
    def source_path(self) -> Path: ...
    @property
    def first_page(self) -> int: ...
    @property
    def own_pages(self) -> int: ...
    @property
    def annexes(self) -> Sequence[JobRange]: ...
    @property
    def recipient(self) -> dict[str, Any]: ...
    @property
    def options(self) -> dict[str, Any]: ...
    @property
    def address_page(self) -> bool: ...
    @property
    def layout(self) -> str: ...
    @property
    def home_country(self) -> str: ...


@dataclass(frozen=True)
class _Expected:
    """One page the job asks for: a source page, the address page, or a blank back."""

    kind: str  # "source", "address" or "blank"
    what: str  # for people: "page 2 of letter.pdf", "the address page", "a blank back"
    path: Path | None = None
    index: int = 0  # 0-based page of `path`


def expected_pages(piece: JobPiece) -> list[_Expected]:
    """The pages the job asks for, for one piece, in print order."""
    pages: list[_Expected] = []
    duplex = piece.options.get("plex") == "duplex"
    if piece.address_page:
        pages.append(_Expected("address", "its address page"))
        if duplex:
            pages.append(_Expected("blank", "the address page's blank back"))
    ranges: list[tuple[str, Path, int, int]] = [
        ("document", piece.source_path, piece.first_page, piece.first_page + piece.own_pages - 1)
    ]
    ranges += [("annex", r.path, r.first, r.last) for r in piece.annexes]
    for role, path, first, last in ranges:
        for number in range(first, last + 1):
            what = f"page {number} of its {role} {path.name}"
            pages.append(_Expected("source", what, path, number - 1))
    if duplex and len(pages) % 2:
        pages.append(_Expected("blank", "a blank back"))
    return pages


def verify_print_file(path: Path, *, lot_id: str, pieces: Sequence[JobPiece]) -> None:
    """Read the lot's print file back page by page; LotVerificationFailed on the first page
    that is not what the job asks for there. Holds the process's PDFium lock throughout:
    the worker composes several lots at once, in threads."""
    with PDFIUM_LOCK, _Reader(path) as reader:
        jobs = [expected_pages(piece) for piece in pieces]
        total = sum(len(pages) for pages in jobs)
        if reader.page_count != total:
            raise LotVerificationFailed(
                f"lot {lot_id}: the print file has {reader.page_count} pages, the job {total}",
                detail={"lot_id": lot_id, "pages": reader.page_count, "expected": total},
            )
        at = 0
        for sequence, (piece, pages) in enumerate(zip(pieces, jobs, strict=True), 1):
            for number, expected in enumerate(pages, 1):
                problem = reader.check(at, piece, expected, first=number == 1)
                if problem is not None:
                    raise LotVerificationFailed(
                        f"lot {lot_id}: piece {piece.piece_id} (sequence {sequence}), its page "
                        f"{number} (page {at + 1} of the print file) {problem}",
                        detail={
                            "lot_id": lot_id,
                            "piece_id": piece.piece_id,
                            "sequence": sequence,
                            "piece_page": number,
                            "print_page": at + 1,
                        },
                    )
                at += 1


class _Reader:
    """The lot and its sources, each opened once, with pikepdf (content streams as stored,
    never decoded: the quick check) and PDFium (text: the check that does not depend on
    how the composer wrote the page, and the window)."""

    def __init__(self, path: Path) -> None:
        self.lot = pdfium.PdfDocument(path)
        self.stored = pikepdf.open(path)
        # Listed once: pikepdf's pages[i] and len(pages) cost more than the check itself.
        self.stored_pages = [page.obj for page in self.stored.pages]
        self.page_count = len(self.lot)
        self.sources: dict[Path, pdfium.PdfDocument] = {}
        self.stored_sources: dict[Path, tuple[pikepdf.Pdf, list[pikepdf.Dictionary]]] = {}

    def __enter__(self) -> _Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        for source in self.sources.values():
            source.close()
        for pdf, _pages in self.stored_sources.values():
            pdf.close()
        self.stored.close()
        self.lot.close()

    def check(self, at: int, piece: JobPiece, expected: _Expected, *, first: bool) -> str | None:
        """What is wrong with page `at` of the lot, or None when it is `expected`."""
        if expected.kind == "blank":
            if any(_streams(self.stored_pages[at], decoded=True)):
                return f"should be {expected.what} and is not blank"
            return None
        # Not the source's streams as stored: the page may still show the source page (a
        # composer that rewrites content), which only its text can tell.
        if (
            expected.kind == "source"
            and not self._same_content(at, expected)
            and not self._shows_source_page(at, expected)
        ):
            return f"should be {expected.what} and is not"
        if not first and expected.kind != "address":
            return None
        with _OpenPage(self.lot, at) as (page, text):
            if expected.kind == "address":
                lines = address_lines(piece.recipient, home_country=piece.home_country)
                if _squeeze("".join(lines)) not in _squeeze(text.get_text_range()):
                    return f"should be {expected.what} and does not show {lines[:1]}"
            return _window_problem(page, text, piece) if first else None

    def _same_content(self, at: int, expected: _Expected) -> bool:
        """The composed page draws the source page's content streams, byte for byte as
        stored, in one run (the composer only adds streams around them), with the source
        page's images and forms."""
        assert expected.path is not None
        source = self.stored_sources.get(expected.path)
        if source is None:
            pdf = pikepdf.open(expected.path)
            source = self.stored_sources[expected.path] = (pdf, [p.obj for p in pdf.pages])
        source_pages = source[1]
        if expected.index >= len(source_pages):
            return False
        original = source_pages[expected.index]
        wanted = _streams(original)
        if not wanted:
            return False
        page = self.stored_pages[at]
        found = _streams(page)
        runs = (found[i : i + len(wanted)] for i in range(len(found) - len(wanted) + 1))
        return wanted in runs and _xobjects(original) <= _xobjects(page)

    def _shows_source_page(self, at: int, expected: _Expected) -> bool:
        """The composed page shows the source page: its text, or for a page without text the
        raw data of its images."""
        assert expected.path is not None
        source = self.sources.get(expected.path)
        if source is None:
            source = self.sources[expected.path] = pdfium.PdfDocument(expected.path)
        if expected.index >= len(source):
            return False
        with _OpenPage(source, expected.index) as (original, text):
            wanted = _squeeze(text.get_text_range())
            images = _image_digests(original)
        with _OpenPage(self.lot, at) as (page, text):
            if wanted:
                return wanted in _squeeze(text.get_text_range())
            return not images - _image_digests(page)


def _streams(page: pikepdf.Object, *, decoded: bool = False) -> list[bytes]:
    """The page's content streams' bytes, as stored (or decoded), in order."""
    contents = page.get("/Contents")
    if contents is None:
        return []
    streams = list(contents) if isinstance(contents, pikepdf.Array) else [contents]
    if decoded:
        return [s.read_bytes().strip() for s in streams]
    return [s.read_raw_bytes() for s in streams]


def _xobjects(page: pikepdf.Object) -> set[tuple[str, str]]:
    """The page's own images and forms: (name, sha256 of the stream as stored)."""
    resources = page.get("/Resources")
    xobjects = resources.get("/XObject") if isinstance(resources, pikepdf.Dictionary) else None
    if not isinstance(xobjects, pikepdf.Dictionary):
        return set()
    return {
        (str(name), hashlib.sha256(obj.read_raw_bytes()).hexdigest())
        for name, obj in xobjects.items()
        if isinstance(obj, pikepdf.Stream)
    }


def _window_problem(page: pdfium.PdfPage, text: pdfium.PdfTextPage, piece: JobPiece) -> str | None:
    """When the window zone of the piece's first page has text, it must name the recipient.
    (An empty window is left to address placement, which decides what is printed there.)"""
    names = piece.recipient.get("name_lines") or ()
    layout = layout_for(piece.layout)
    if not names or not (layout.window or piece.address_page):
        return None
    zone = read_zone_lines(page, layout.address_zone, textpage=text)
    if zone and _squeeze(names[0]).casefold() not in _squeeze("".join(zone)).casefold():
        return f"shows {zone[:1]} in its window, not its recipient {names[0]!r}"
    return None


class _OpenPage:
    """A page and its text page, closed on exit (PDFium holds their memory until then)."""

    def __init__(self, pdf: pdfium.PdfDocument, index: int) -> None:
        self.page = pdf[index]
        self.text: pdfium.PdfTextPage | None = None

    def __enter__(self) -> tuple[pdfium.PdfPage, pdfium.PdfTextPage]:
        self.text = self.page.get_textpage()
        return self.page, self.text

    def __exit__(self, *_: object) -> None:
        if self.text is not None:
            self.text.close()
        self.page.close()


def _squeeze(text: str) -> str:
    """`text` without whitespace: PDFium puts spaces and line ends where it guesses them,
    which overlays beside the page's own text may change."""
    return "".join(text.split())


def _image_digests(page: pdfium.PdfPage) -> Counter[str]:
    """The sha256 of each image's raw (undecoded) data on the page, counted."""
    return Counter(
        hashlib.sha256(bytes(image.get_data(decode_simple=False))).hexdigest()
        for image in _images(page)
    )


def _images(page: pdfium.PdfPage) -> Iterator[pdfium.PdfImage]:
    for obj in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,)):
        if isinstance(obj, pdfium.PdfImage):
            yield obj
