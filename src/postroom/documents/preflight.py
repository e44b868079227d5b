"""Preflight: can this PDF be printed for this service, and what must be fixed or stripped.

One pass with pikepdf (qpdf) over the file's structure; no content stream is decoded, so a
decompression bomb costs nothing here. Run it through `sandbox.run_limited` for untrusted
files: qpdf is robust, but the time and memory limits are what make that a guarantee.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pikepdf
from pikepdf import Array, Dictionary, Name

from postroom.documents.page_ranges import open_lazily, pages_as_pdfs, pages_between
from postroom.documents.profiles import PreflightProfile
from postroom.documents.sanitize import (
    find_active_content,
    find_document_active_content,
    find_page_active_content,
    open_checked,
    qpdf_reason,
)
from postroom.domain.errors import InvalidDocument
from postroom.domain.findings import Finding, Severity
from postroom.domain.geometry import MM_PER_POINT, PAGE_SIZE_MM

PDF_MAGIC = b"%PDF-"
# Readers accept the header anywhere in the first kilobyte (as inspect.py does).
HEADER_SEARCH_BYTES = 1024
# The 14 fonts every PDF consumer must provide (PDF 32000-1, 9.6.2.2): a RIP substitutes
# metric-compatible versions, so leaving them out is a warning even for strict profiles.
STANDARD_14_FONTS = frozenset(
    {
        "Times-Roman",
        "Times-Bold",
        "Times-Italic",
        "Times-BoldItalic",
        "Helvetica",
        "Helvetica-Bold",
        "Helvetica-Oblique",
        "Helvetica-BoldOblique",
        "Courier",
        "Courier-Bold",
        "Courier-Oblique",
        "Courier-BoldOblique",
        "Symbol",
        "ZapfDingbats",
    }
)
_FONT_FILES = ("/FontFile", "/FontFile2", "/FontFile3")
# Form XObjects can nest (and loop); fonts deeper than this are not looked for.
_MAX_FORM_DEPTH = 8
# qpdf's warning when it drops an object nested deeper than its limit of 500 (CVE-2018-9918).
_NESTING_WARNING = "deeply nested"


@dataclass(frozen=True, slots=True)
class PageFacts:
    """One page as preflight saw it: visible size after /Rotate, and whether it can hold text."""

    number: int
    width_mm: float
    height_mm: float
    rotation: int
    # The page (or a form it draws) declares a font. A page without one cannot carry text,
    # so it is a scan; the address reader decides what the text says.
    has_text: bool

    def to_dict(self) -> dict[str, Any]:
        """The JSON form used in reports and the API."""
        return {
            "number": self.number,
            "width_mm": self.width_mm,
            "height_mm": self.height_mm,
            "rotation": self.rotation,
            "has_text": self.has_text,
        }


@dataclass(frozen=True)
class PreflightReport:
    """What preflight found about one document; any error finding means it is refused."""

    page_count: int
    size_bytes: int
    pdf_version: str
    repaired: bool
    findings: tuple[Finding, ...]
    pages: tuple[PageFacts, ...]
    # The page facts as runs (see page_runs) when they were folded as they came in, instead
    # of kept a page each (a large file merged by ReportMerger); `pages` is then empty.
    runs: tuple[dict[str, Any], ...] | None = None

    @property
    def accepted(self) -> bool:
        """True when no finding is an error."""
        return not any(f.severity is Severity.ERROR for f in self.findings)

    def codes(self) -> set[str]:
        """The finding codes, for tests and quick checks."""
        return {f.code for f in self.findings}

    def to_dict(self) -> dict[str, Any]:
        """The JSON form stored with the document and returned by the API."""
        return {
            "page_count": self.page_count,
            "size_bytes": self.size_bytes,
            "pdf_version": self.pdf_version,
            "repaired": self.repaired,
            "accepted": self.accepted,
            "findings": [f.to_dict() for f in self.findings],
            "page_runs": (
                page_runs(self.pages) if self.runs is None else [dict(r) for r in self.runs]
            ),
        }


def page_runs(pages: Sequence[PageFacts]) -> list[dict[str, Any]]:
    """Consecutive pages with the same facts as one entry {"first", "last", ...facts}: a
    30,000-page campaign of identical pages stays one line, not a megabyte of JSON."""
    runs: list[dict[str, Any]] = []
    _fold_runs(runs, pages)
    return _flat_runs(runs)


def _fold_runs(runs: list[dict[str, Any]], pages: Iterable[PageFacts]) -> None:
    """Add `pages` (in order, after those already folded) to `runs`, in place."""
    for page in pages:
        facts = page.to_dict()
        number = facts.pop("number")
        if runs and runs[-1]["last"] == number - 1 and runs[-1]["facts"] == facts:
            runs[-1]["last"] = number
        else:
            runs.append({"first": number, "last": number, "facts": facts})


def _flat_runs(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"first": r["first"], "last": r["last"], **r["facts"]} for r in runs]


def preflight(
    path: Path, *, profile: PreflightProfile, part: tuple[int, int] | None = None
) -> PreflightReport:
    """Check the PDF at `path` against `profile`; every problem is a finding, never a raise.

    `part` splits the work for large files, so that no one qpdf instance holds every page's
    objects: (0, 0) checks the file as a whole (limits, document-level active content) and
    walks no page; (first, last) walks only those pages and skips the whole-file checks."""
    if part is not None and part[0] > 0:
        return preflight_range(path, profile=profile, first=part[0], last=part[1]).report
    opened = _open(path, profile, lazily=part is not None)
    if isinstance(opened, PreflightReport):
        return opened
    pdf, size = opened
    with pdf:
        try:
            if part is not None:
                return _check_head(pdf, size, profile)
            return _check(pdf, size, profile)
        except _BROKEN as exc:
            return _unreadable(size, exc)


@dataclass(frozen=True)
class RangeCheck:
    """The page checks of one range of a large file, and the pages to read, copied out."""

    report: PreflightReport
    # The pages of `keep` found in the range, in PDFs of their own: (page numbers, PDF bytes).
    files: tuple[tuple[tuple[int, ...], bytes], ...]
    # False: the page tree's counts proved wrong; check every range again with by_count=False.
    by_count_held: bool = True


def preflight_range(
    path: Path,
    *,
    profile: PreflightProfile,
    first: int,
    last: int,
    keep: Collection[int] = (),
    by_count: bool = False,
    pages_per_file: int = 500,
) -> RangeCheck:
    """The page checks of pages first..last of a large file, and the pages of `keep` among
    them copied into small PDFs for the window reading. qpdf opens the whole file (its
    cross-reference table, repaired if need be) but resolves only these pages (see
    page_ranges.pages_between for `by_count`), and PDFium, which keeps every page it walks
    past, only ever opens the copies."""
    opened = _open(path, profile, lazily=True)
    if isinstance(opened, PreflightReport):
        return RangeCheck(opened, ())
    pdf, size = opened
    with pdf:
        try:
            total = _declared_page_count(pdf)
            numbered, held = pages_between(pdf, first, min(last, total), by_count=by_count)
            if not held:
                return RangeCheck(_report(pdf, total, size, "", [], []), (), by_count_held=False)
            report = _check_pages(pdf, size, profile, total, first, numbered)
            wanted = [(number, page) for number, page in numbered if number in keep]
            # After the report: copying may repair more, which the report must not depend on.
            files = tuple(pages_as_pdfs(pdf, wanted, per_file=pages_per_file)) if wanted else ()
        except _BROKEN as exc:
            return RangeCheck(_unreadable(size, exc), ())
    return RangeCheck(report, files)


# A structure qpdf parsed but that breaks its own object model on use.
_BROKEN = (pikepdf.PdfError, ValueError, TypeError, KeyError, RecursionError)


def _open(
    path: Path, profile: PreflightProfile, *, lazily: bool
) -> tuple[pikepdf.Pdf, int] | PreflightReport:
    """The opened PDF and its size, or the report that refuses it before any parse."""
    refused = _refusal(path, profile)
    if isinstance(refused, PreflightReport):
        return refused
    try:
        # A part never needs qpdf's own page walk, which would resolve every page.
        return (open_lazily(path) if lazily else open_checked(path)), refused
    except InvalidDocument as exc:
        return _refused(refused, exc.code, exc.message)


def _refusal(path: Path, profile: PreflightProfile) -> int | PreflightReport:
    """The file's size, or the report that refuses it before any parse."""
    size = path.stat().st_size
    if size == 0:
        return _refused(size, "empty_file", "the file is empty")
    if size > profile.max_bytes:
        return _refused(
            size, "file_too_large", f"the file is {size} bytes; the limit is {profile.max_bytes}"
        )
    with path.open("rb") as f:
        if PDF_MAGIC not in f.read(HEADER_SEARCH_BYTES):
            return _refused(size, "not_a_pdf", "the file is not a PDF (no %PDF- header)")
    return size


def _unreadable(size: int, exc: BaseException) -> PreflightReport:
    return _refused(size, "unreadable_pdf", f"the PDF cannot be read: {qpdf_reason(exc)}")


def _refused(size: int, code: str, message: str, *, version: str = "") -> PreflightReport:
    finding = Finding(code=code, severity=Severity.ERROR, message=message)
    return PreflightReport(0, size, version, False, (finding,), ())


def _check(pdf: pikepdf.Pdf, size: int, profile: PreflightProfile) -> PreflightReport:
    version = str(pdf.pdf_version)
    pages = list(pdf.pages)  # once: indexing pdf.pages in a loop is quadratic
    findings: list[Finding] = []
    if not pages:
        findings.append(_error("no_pages", "the PDF has no pages"))
    elif len(pages) > profile.max_pages:
        # No page walk: a 100,000-page file is refused in the time it takes to count.
        message = f"the PDF has {len(pages)} pages; the limit is {profile.max_pages}"
        findings.append(_error("too_many_pages", message))
    facts: list[PageFacts] = []
    if findings:
        return _report(pdf, len(pages), size, version, findings, facts)
    fonts = _FontCheck(profile)
    bombs = _BombCheck()
    for number, page in enumerate(pages, start=1):
        page_facts, page_findings = _check_page(number, page, profile, fonts, bombs)
        facts.append(page_facts)
        findings.extend(page_findings)
    findings.extend(site.finding for site in find_active_content(pdf, pages))
    # Parse every object once (streams stay encoded): damage and over-deep nesting that
    # no page refers to directly still show up in qpdf's warnings.
    for _ in pdf.objects:
        pass
    return _report(pdf, len(pages), size, version, findings, facts)


def _check_head(
    pdf: pikepdf.Pdf,
    size: int,
    profile: PreflightProfile,
    *,
    total: int | None = None,
    version: str = "",
) -> PreflightReport:
    """The whole-file checks of a large file: limits and document-level content, no page.
    `total` and `version` are the file's when `pdf` is a copy of its catalog."""
    total = _declared_page_count(pdf) if total is None else total
    findings: list[Finding] = []
    if total == 0:
        findings.append(_error("no_pages", "the PDF has no pages"))
    elif total > profile.max_pages:
        message = f"the PDF has {total} pages; the limit is {profile.max_pages}"
        findings.append(_error("too_many_pages", message))
    findings.extend(site.finding for site in find_document_active_content(pdf))
    return _report(pdf, total, size, version or str(pdf.pdf_version), findings, [])


def _check_pages(
    pdf: pikepdf.Pdf,
    size: int,
    profile: PreflightProfile,
    total: int,
    first: int,
    numbered: list[tuple[int, pikepdf.Page]],
) -> PreflightReport:
    findings: list[Finding] = []
    facts: list[PageFacts] = []
    fonts = _FontCheck(profile)
    bombs = _BombCheck()
    for number, page in numbered:
        page_facts, page_findings = _check_page(number, page, profile, fonts, bombs)
        facts.append(page_facts)
        findings.extend(page_findings)
    if numbered:
        pages = [page for _, page in numbered]
        findings.extend(
            site.finding for site in find_page_active_content(pages, first_number=first)
        )
    return _report(pdf, total, size, str(pdf.pdf_version), findings, facts)


def _declared_page_count(pdf: pikepdf.Pdf) -> int:
    """The page tree's /Count, or a full count when it is missing or not a number."""
    try:
        count = int(pdf.Root.Pages.Count)
    except (AttributeError, TypeError, ValueError, KeyError):
        return len(pdf.pages)
    return count if count >= 0 else len(pdf.pages)


def _report(
    pdf: pikepdf.Pdf,
    page_count: int,
    size: int,
    version: str,
    findings: list[Finding],
    facts: list[PageFacts],
) -> PreflightReport:
    warnings = [str(w) for w in pdf.get_warnings()]
    nested = [w for w in warnings if _NESTING_WARNING in w]
    if nested:
        findings.insert(
            0,
            _error(
                "nesting_too_deep",
                "the PDF nests objects more than 500 deep; no real document does, refused",
            ),
        )
    if warnings:
        message = (
            f"the PDF was damaged and has been repaired ({len(warnings)} problems fixed, "
            f"first: {qpdf_reason(Exception(warnings[0]))})"
        )
        findings.insert(0, Finding("repaired", Severity.WARNING, message))
    return PreflightReport(
        page_count=page_count,
        size_bytes=size,
        pdf_version=version,
        repaired=bool(warnings),
        findings=tuple(findings),
        pages=tuple(facts),
    )


def _error(code: str, message: str, page: int | None = None) -> Finding:
    return Finding(code=code, severity=Severity.ERROR, message=message, page=page)


def _box_mm(page: Dictionary) -> tuple[float, float] | None:
    """Width and height of the visible area (CropBox, else MediaBox) in mm, before /Rotate."""
    box = page.get("/CropBox")
    if not isinstance(box, Array) or len(box) != 4:
        box = page.get("/MediaBox")
    if not isinstance(box, Array) or len(box) != 4:
        return None
    try:
        x0, y0, x1, y1 = (float(v) for v in box)
        unit = float(page.get("/UserUnit", 1))  # PDF 1.6: points may be scaled
    except (TypeError, ValueError):
        return None
    width, height = abs(x1 - x0) * unit * MM_PER_POINT, abs(y1 - y0) * unit * MM_PER_POINT
    if width <= 0 or height <= 0:
        return None
    return width, height


def _check_page(
    number: int,
    page: pikepdf.Page,
    profile: PreflightProfile,
    fonts: _FontCheck,
    bombs: _BombCheck,
) -> tuple[PageFacts, list[Finding]]:
    obj = page.obj
    findings: list[Finding] = []
    try:
        rotation = int(obj.get("/Rotate", 0)) % 360
    except (TypeError, ValueError):
        rotation = 0
    size = _box_mm(obj)
    if size is None:
        findings.append(_error("page_box_invalid", "the page has no usable MediaBox", number))
        width = height = 0.0
    else:
        width, height = size
        if rotation in (90, 270):
            width, height = height, width
        findings.extend(_size_findings(number, width, height, profile))
    forms: list[pikepdf.Stream] = []
    images: list[pikepdf.Stream] = []
    has_text = fonts.check(number, obj, findings, forms, images)
    bombs.check(number, obj, forms, findings)
    bombs.check_images(number, images, findings)
    facts = PageFacts(number, round(width, 1), round(height, 1), rotation, has_text)
    return facts, findings


def _size_findings(
    number: int, width: float, height: float, profile: PreflightProfile
) -> list[Finding]:
    short, long = sorted((width, height))
    tolerance = profile.size_tolerance_mm
    fits = any(
        abs(short - PAGE_SIZE_MM[f][0]) <= tolerance and abs(long - PAGE_SIZE_MM[f][1]) <= tolerance
        for f in profile.page_formats
    )
    if not fits:
        wanted = " or ".join(
            f"{f.value} ({PAGE_SIZE_MM[f][0]:g} x {PAGE_SIZE_MM[f][1]:g} mm)"
            for f in profile.page_formats
        )
        message = (
            f"page {number} is {width:.1f} x {height:.1f} mm; "
            f"this service prints {wanted} ±{tolerance:g} mm"
        )
        return [_error("page_size_mismatch", message, number)]
    if width > height:
        # Page 1 carries the address for the window: laid sideways it cannot be read
        # there. Later pages are turned onto portrait paper by the print room.
        if number == 1:
            message = "page 1 is landscape; the first page must be portrait for the window"
            return [_error("page_orientation", message, number)]
        message = f"page {number} is landscape; it will be turned to print on portrait paper"
        return [Finding("page_orientation", Severity.WARNING, message, number)]
    return []


class _FontCheck:
    """Fonts a page uses, each dictionary judged once however many pages share it."""

    def __init__(self, profile: PreflightProfile) -> None:
        self.severity = Severity.ERROR if profile.require_embedded_fonts else Severity.WARNING
        self.verdicts: dict[tuple[int, int], bool] = {}  # font objgen -> embedded
        self.reported: set[str] = set()

    def check(
        self,
        number: int,
        page: Dictionary,
        findings: list[Finding],
        forms: list[pikepdf.Stream] | None = None,
        images: list[pikepdf.Stream] | None = None,
    ) -> bool:
        """Add a finding per font not embedded (once per font name); True if any font.
        The form and image XObjects the page draws are appended to `forms` and `images`."""
        any_font = False
        todo: list[tuple[object, int]] = [(page.get("/Resources"), 0)]
        seen_forms: set[tuple[int, int]] = set()
        while todo:
            resources, depth = todo.pop()
            if not isinstance(resources, Dictionary):
                continue
            font_dict = resources.get("/Font")
            if isinstance(font_dict, Dictionary):
                for _, font in font_dict.items():
                    if isinstance(font, Dictionary):
                        any_font = True
                        self._judge(number, font, findings)
            xobjects = resources.get("/XObject")
            if not isinstance(xobjects, Dictionary) or depth >= _MAX_FORM_DEPTH:
                continue
            for _, form in xobjects.items():
                if not isinstance(form, pikepdf.Stream):
                    continue
                subtype = form.get("/Subtype")
                if subtype == Name.Image and images is not None:
                    images.append(form)
                if subtype != Name.Form:
                    continue
                if form.objgen in seen_forms:
                    continue
                seen_forms.add(form.objgen)
                if forms is not None:
                    forms.append(form)
                todo.append((form.get("/Resources"), depth + 1))
        return any_font

    def _judge(self, number: int, font: Dictionary, findings: list[Finding]) -> None:
        key = font.objgen if font.is_indirect else None
        embedded = self.verdicts.get(key) if key else None
        if embedded is None:
            embedded = _is_embedded(font)
            if key:
                self.verdicts[key] = embedded
        if embedded:
            return
        name = str(font.get("/BaseFont", "/unnamed")).lstrip("/")
        if name in self.reported:
            return
        self.reported.add(name)
        if name in STANDARD_14_FONTS:
            message = (
                f"the standard font {name} (first used on page {number}) is not embedded; "
                "the printer's own version will be used"
            )
            findings.append(Finding("font_not_embedded", Severity.WARNING, message, number))
            return
        message = f"the font {name} (first used on page {number}) is not embedded"
        findings.append(Finding("font_not_embedded", self.severity, message, number))


# A content stream or form that decodes to more than this is taken for a decompression bomb
# (three layers of Flate turn 865 bytes into 4 GiB): no page of a letter comes near it, and
# PDFium, or the print room's RIP, would run out of memory drawing it.
MAX_DECODED_STREAM_BYTES = 128 * 1024 * 1024
_INFLATE_STEP = 1 << 20
_FLATE = frozenset({"/FlateDecode", "/Fl"})
# Deflate turns one byte into at most about 1,032 (258-byte matches coded in 2 bits).
_MAX_FLATE_RATIO = 1032
_MAX_VERDICTS = 10_000
# An image larger than this is refused: a renderer holds it whole (4 bytes a pixel in
# CMYK), and no letter needs it (a full A4 page at 1,200 dpi is 140 megapixels).
MAX_IMAGE_PIXELS = 250_000_000


class _BombCheck:
    """What would make a renderer run out of memory. The content streams and forms a page
    draws, each decoded once and only as far as the limit (a Flate bomb is found without
    ever holding more than a megabyte of it), and the images' declared sizes."""

    def __init__(self) -> None:
        self.verdicts: dict[tuple[int, int], bool] = {}  # form objgen -> a bomb
        self.found = False
        self.image_found = False

    def check(
        self, number: int, page: Dictionary, forms: list[pikepdf.Stream], findings: list[Finding]
    ) -> None:
        if self.found:  # one finding refuses the file
            return
        contents = page.get("/Contents")
        streams = list(contents) if isinstance(contents, Array) else [contents]
        bomb = any(
            isinstance(stream, pikepdf.Stream) and _decodes_past(stream, MAX_DECODED_STREAM_BYTES)
            for stream in streams
        ) or any(self._form_is_bomb(form) for form in forms)
        if bomb:
            self.found = True
            limit = MAX_DECODED_STREAM_BYTES // (1024 * 1024)
            message = (
                f"page {number} draws a stream that decodes to more than {limit} MB "
                "(a decompression bomb): the file is refused"
            )
            findings.append(_error("decompression_bomb", message))

    def check_images(
        self, number: int, images: list[pikepdf.Stream], findings: list[Finding]
    ) -> None:
        """An image of more than MAX_IMAGE_PIXELS refuses the file (reported once)."""
        if self.image_found:
            return
        for image in images:
            pixels = _pixels(image)
            if pixels > MAX_IMAGE_PIXELS:
                self.image_found = True
                message = (
                    f"page {number} draws an image of {pixels / 1e6:,.0f} megapixels; the "
                    f"limit is {MAX_IMAGE_PIXELS / 1e6:,.0f} (a full A4 page at 1,200 dpi is "
                    "140): the file is refused"
                )
                findings.append(_error("image_too_large", message))
                return

    def _form_is_bomb(self, form: pikepdf.Stream) -> bool:
        """Forms are often shared by many pages: each is judged once."""
        key = form.objgen
        bomb = self.verdicts.get(key)
        if bomb is None:
            bomb = _decodes_past(form, MAX_DECODED_STREAM_BYTES)
            if len(self.verdicts) < _MAX_VERDICTS:
                self.verdicts[key] = bomb
        return bomb


def _pixels(image: pikepdf.Stream) -> int:
    try:
        return max(int(image.get("/Width", 0)), 0) * max(int(image.get("/Height", 0)), 0)
    except (TypeError, ValueError):
        return 0


def _decodes_past(stream: pikepdf.Stream, limit: int) -> bool:
    """True when the stream's Flate layers decode to more than `limit` bytes. Streams with
    other filters are not judged (images state their size; the others are rare)."""
    filters = stream.get("/Filter")
    chain = [filters] if isinstance(filters, Name) else list(filters or ())
    if not chain or any(str(f) not in _FLATE for f in chain):
        return False
    length = stream.get("/Length")
    if isinstance(length, int) and length * _MAX_FLATE_RATIO ** len(chain) <= limit:
        return False  # too short to decode past the limit: nothing to decode
    try:
        data = stream.read_raw_bytes()
    except pikepdf.PdfError:
        return False
    return inflates_past(data, len(chain), limit)


def inflates_past(data: bytes, layers: int, limit: int) -> bool:
    """True when `layers` rounds of Flate turn `data` into more than `limit` bytes. Each
    layer hands on at most _INFLATE_STEP bytes at a time, so memory stays bounded; damaged
    data ends the count where a reader would stop."""
    decoders = [zlib.decompressobj() for _ in range(layers)]
    total = 0
    todo: list[tuple[int, bytes]] = [(0, data)]
    while todo:
        level, chunk = todo.pop()
        if level == layers:
            total += len(chunk)
            if total > limit:
                return True
            continue
        decoder = decoders[level]
        try:
            out = decoder.decompress(chunk, _INFLATE_STEP)
        except zlib.error:
            continue
        if decoder.unconsumed_tail:
            todo.append((level, decoder.unconsumed_tail))
        if out:
            todo.append((level + 1, out))  # taken first: the output moves on before more input
    return False


def _is_embedded(font: Dictionary) -> bool:
    """True when the glyphs travel with the file (Type 3 fonts are drawn by the PDF itself)."""
    if font.get("/Subtype") == Name.Type3:
        return True
    if font.get("/Subtype") == Name.Type0:
        descendants = font.get("/DescendantFonts")
        if not isinstance(descendants, Array) or len(descendants) == 0:
            return False
        descendant = descendants[0]
        if not isinstance(descendant, Dictionary):
            return False
        font = descendant
    descriptor = font.get("/FontDescriptor")
    return isinstance(descriptor, Dictionary) and any(k in descriptor for k in _FONT_FILES)


_FONT_NAME = re.compile(r"font (\S+) \(first used")


# Findings about the whole file that any range may find again: the first one is kept.
_ONCE = frozenset({"nesting_too_deep", "decompression_bomb", "image_too_large"})


def merge_reports(head: PreflightReport, parts: list[PreflightReport]) -> PreflightReport:
    """One report from a head and its page ranges: page facts in order, one `repaired`
    finding, and a font not embedded reported once, on the first page it appears."""
    merger = ReportMerger(head)
    for part in parts:
        merger.add(part)
    return merger.report()


class ReportMerger:
    """merge_reports one range at a time, in page order. With `keep_pages` False, each
    range's page facts are folded into runs as it comes in, so that the merger of a
    30,000-page file holds a few runs instead of a fact per page."""

    def __init__(self, head: PreflightReport, *, keep_pages: bool = True) -> None:
        self._head = head
        self._findings = list(head.findings)
        self._repaired = head.repaired
        self._has_repaired = any(f.code == "repaired" for f in self._findings)
        self._fonts_seen: set[str] = set()
        self._parts = 0
        self._page_total = 0
        self._pages: list[PageFacts] | None = [] if keep_pages else None
        self._runs: list[dict[str, Any]] = []

    def add(self, part: PreflightReport) -> None:
        """Merge the report of the next range."""
        self._parts += 1
        self._repaired = self._repaired or part.repaired
        findings = self._findings
        for finding in part.findings:
            if finding.code == "repaired":
                if not self._has_repaired:
                    findings.insert(0, finding)
                    self._has_repaired = True
                continue
            if finding.code == "font_not_embedded":
                match = _FONT_NAME.search(finding.message)
                name = match.group(1) if match else finding.message
                if name in self._fonts_seen:
                    continue
                self._fonts_seen.add(name)
            if finding.code in _ONCE and any(f.code == finding.code for f in findings):
                continue
            findings.append(finding)
        self._page_total += len(part.pages)
        if self._pages is not None:
            self._pages.extend(part.pages)
        else:
            _fold_runs(self._runs, part.pages)

    def report(self) -> PreflightReport:
        """The merged report of the head and every range added so far."""
        head = self._head
        return PreflightReport(
            # The head reads the tree's /Count; a tree that holds fewer pages says so here (a
            # kid that is not a page counts for none), as qpdf's own count of the pages would.
            page_count=min(head.page_count, self._page_total) if self._parts else head.page_count,
            size_bytes=head.size_bytes,
            pdf_version=head.pdf_version,
            repaired=self._repaired,
            findings=tuple(self._findings),
            pages=tuple(self._pages or ()),
            runs=None if self._pages is not None else tuple(_flat_runs(self._runs)),
        )
