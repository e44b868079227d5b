"""Preflight, split and window reading of one document, in sandboxed children.

The work is cut so that several children can share one large file. A file of up to
PREFLIGHT_CHUNK_PAGES pages is checked whole by `preflight_part`, then `scan_part` reads the
windows (and markers) of a range of its pages. A larger file gets `preflight_head` (the
whole-file checks) and then `check_range` per page range: qpdf opens the file without
walking its page tree, resolves only the range's pages, checks them and copies those whose
windows are read into small PDFs for PDFium (ADR 0012). The caller takes the ranges'
results as they come and spools them to a temporary file, so that it does not hold them
all either. `assemble` — plain Python, no PDF — turns the results into
pieces. Every function here takes and returns plain, picklable values so it can cross a
process border."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium

from postroom.addresses.parse import ParsedAddress, parse_address
from postroom.documents.preflight import (
    PreflightReport,
    ReportMerger,
    preflight,
    preflight_range,
)
from postroom.documents.profiles import PreflightProfile, get_profile
from postroom.documents.sanitize import strip_active_content
from postroom.documents.split import SplitError, SplitRule, iter_starts, starts
from postroom.documents.spool import Spool
from postroom.documents.zones import read_zone_lines, text_outside_zone, zone_is_blank
from postroom.domain.findings import Finding, Severity
from postroom.domain.geometry import EnvelopeLayout, layout_for, return_line_zone

# Preflight findings for content that is removed from what is printed.
ACTIVE_CONTENT_CODES = frozenset(
    {
        "active_content_javascript",
        "active_content_launch",
        "active_content_action",
        "embedded_file",
        "xfa_form",
    }
)
# Pages one child scans at a time in a file of up to PREFLIGHT_CHUNK_PAGES pages: large
# enough that a call's overhead does not count, small enough that two children share it.
CHUNK_PAGES = 1500
# Files with more pages are checked and read in ranges of RANGE_PAGES pages, each by one
# call in a child that reads only its range: one qpdf instance caches every object it
# parses, and PDFium every page dictionary it walks past on the way to a page, so any pass
# over the whole of a large file made memory grow with it (5 KB a page).
PREFLIGHT_CHUNK_PAGES = 3000
RANGE_PAGES = 1500
# Each range opens the whole file with qpdf, which reads its whole cross-reference table
# (about 1.5 ms of CPU per 1,000 pages): a larger file gets larger ranges, at most this
# many, so that opening it stays a small share of the work.
MAX_RANGES = 40
# Pages copied into one PDF for PDFium within a range.
PAGES_PER_COPY = 500
# The address-space limit (RLIMIT_AS) of a child that reads a file, sized from its page
# count (ADR 0012): every range child opens the whole file with qpdf, which keeps an entry
# for each of its objects, and the ranges grow with the file past 60,000 pages. Measured
# (docs/benchmarks.md) on a file of 2 objects a page: 80 MB of address space at 3,000
# pages, 95 MB at 30,000 and 122 MB at 90,000, i.e. 0.45 MB per 1,000 pages. The base
# leaves room for the child's own ~70 MB and for a page whose content decodes to just under
# the 128 MB bomb limit, drawn by PDFium; the allowance per page is about four times the
# slope measured, for files with more objects a page.
CHILD_MEMORY_BASE_BYTES = 384 * 1024 * 1024
CHILD_MEMORY_PER_PAGE_BYTES = 2 * 1024
# Range calls queued beyond those running: keeps every child busy while the caller spools a
# result, and bounds the results that wait for their turn in the caller to this plus the
# number of children.
RANGES_AHEAD = 1


@dataclass(frozen=True)
class AnalysisRequest:
    """What the sandboxed analysis needs: plain values only, so it crosses a process border."""

    path: str
    profile_name: str
    layout_code: str = ""  # "" means the profile's default layout
    rule: dict[str, Any] | None = None  # SplitRule.to_dict(); None: one piece
    read_window: bool = True
    # Also tell whether anything at all is drawn in the window zone and its clear margin (a
    # letter whose address Postroom may print there); only with read_window.
    inspect_window: bool = False
    # Also tell whether the place of the sender's return line is blank (a letter whose
    # account has a return address); only with inspect_window.
    inspect_return_line: bool = False
    default_country: str = ""  # "" means the profile's default country
    stripped_path: str = ""  # where to write a copy without active content, if any is found
    page_count: int = 0  # from the first look; 0 when unknown
    # The operator's limits for one file (settings), which the API applied at upload; 0
    # leaves the profile's. A worker that judged by the profile alone would reject a campaign
    # file its API had accepted.
    max_pages: int = 0
    max_bytes: int = 0

    @property
    def split_rule(self) -> SplitRule:
        return SplitRule.from_dict(self.rule)

    def layout(self) -> EnvelopeLayout:
        return layout_for(self.layout_code or get_profile(self.profile_name).default_layout)

    def country(self) -> str:
        return self.default_country or get_profile(self.profile_name).default_country

    def child_memory_bytes(self, *, cap: int) -> int:
        """The memory limit of a child working on this file (see child_memory_bytes)."""
        return child_memory_bytes(self.page_count, cap=cap)


@dataclass(frozen=True)
class PreflightPart:
    """The preflight report, whether the file is refused as a whole, and its page count."""

    report: dict[str, Any]
    rejected: bool
    page_count: int
    stripped: bool


@dataclass(frozen=True, slots=True)
class PageScan:
    """What one page's window holds, for a page that starts (or may start) a piece."""

    page: int
    starts_piece: bool  # the address or marker rule says a letter starts here
    lines: tuple[str, ...]
    address: ParsedAddress | None
    findings: tuple[Finding, ...]  # empty window, something printed in the clear zone
    window_blank: bool | None = None  # nothing drawn in the clear zone; None: not looked at
    # Nothing drawn where the return line goes (geometry.return_line_zone); None: not
    # looked at (not asked, the window is not blank, or the layout has no room for one).
    return_line_blank: bool | None = None


@dataclass(frozen=True)
class RangePart:
    """The page checks of one range of a large file and what the windows of its pages hold."""

    report: PreflightReport
    scans: tuple[PageScan, ...]
    by_count_held: bool  # False: found again without trusting the page tree's counts


@dataclass(frozen=True)
class PieceScan:
    """One piece found in the document, with what its first page's window holds."""

    first_page: int
    page_count: int
    window_lines: tuple[str, ...]
    address: ParsedAddress | None  # None when the window was not read (address given)
    findings: tuple[Finding, ...]  # page problems in its range, clear zone, empty window
    window_blank: bool | None = None  # see PageScan
    return_line_blank: bool | None = None  # see PageScan


@dataclass(frozen=True)
class DocumentAnalysis:
    """The preflight report, whether the file is refused as a whole, and its pieces."""

    report: dict[str, Any]
    rejected: bool
    # A tuple, or for a file read in ranges a Spool: read it in order, a chunk at a time.
    pieces: Sequence[PieceScan]
    stripped: bool = False  # True when request.stripped_path holds the copy to print


def _profile(request: AnalysisRequest) -> PreflightProfile:
    profile = get_profile(request.profile_name)
    return replace(
        profile,
        max_pages=request.max_pages or profile.max_pages,
        max_bytes=request.max_bytes or profile.max_bytes,
    )


def _finish(request: AnalysisRequest, report: PreflightReport) -> PreflightPart:
    """Judge the report and write a copy without active content when it has some."""
    stripped = _strips(request, report)
    if stripped:
        strip_active_content(Path(request.path), Path(request.stripped_path))
    return PreflightPart(report.to_dict(), _rejects(report), report.page_count, stripped)


def _rejects(report: PreflightReport) -> bool:
    return any(f.severity is Severity.ERROR and f.page is None for f in report.findings)


def _strips(request: AnalysisRequest, report: PreflightReport) -> bool:
    """True when the file is accepted and a copy without its active content is wanted."""
    return (
        bool(request.stripped_path)
        and not _rejects(report)
        and any(f.code in ACTIVE_CONTENT_CODES for f in report.findings)
    )


def preflight_part(request: AnalysisRequest) -> PreflightPart:
    """Check the whole file in this process (files up to PREFLIGHT_CHUNK_PAGES pages)."""
    return _finish(request, preflight(Path(request.path), profile=_profile(request)))


def preflight_head(request: AnalysisRequest) -> PreflightReport:
    """The whole-file checks of a large file (limits, document-level content), no page."""
    return preflight(Path(request.path), profile=_profile(request), part=(0, 0))


def check_range(
    request: AnalysisRequest,
    first: int,
    last: int,
    pages: Sequence[int],
    by_count: bool,
) -> RangePart:
    """Preflight pages first..last of a large file and read the windows of `pages` among
    them, from copies of those pages (see preflight.preflight_range)."""
    keep = pages if isinstance(pages, range) else frozenset(pages)
    checked = preflight_range(
        Path(request.path),
        profile=_profile(request),
        first=first,
        last=last,
        keep=keep,
        by_count=by_count,
        pages_per_file=PAGES_PER_COPY,
    )
    scans: list[PageScan] = []
    if any(f.code == "decompression_bomb" for f in checked.report.findings):
        # The file is refused; PDFium would run out of memory drawing the bomb.
        return RangePart(checked.report, (), checked.by_count_held)
    for numbers, data in checked.files:
        pdf = pdfium.PdfDocument(data)
        try:
            scans.extend(_scan(request, pdf, list(enumerate(numbers))))
        finally:
            pdf.close()
    return RangePart(checked.report, tuple(scans), checked.by_count_held)


def finish_preflight(request: AnalysisRequest, report: PreflightReport) -> PreflightPart:
    """Judge a merged report (and strip active content) in a child: stripping parses PDFs."""
    return _finish(request, report)


def pages_to_scan(request: AnalysisRequest, page_count: int) -> Sequence[int]:
    """The pages whose window (or text) must be read: all of them for the address and
    marker rules (as a range, which stays small however large the file), else only where
    pieces start (none when the address is given)."""
    rule = request.split_rule
    if rule.reads_every_window or rule.reads_page_text:
        return range(1, page_count + 1)
    if not request.read_window:
        return []
    return [first for first, _ in starts(rule, page_count, flagged=set())]


def scan_part(request: AnalysisRequest, pages: Sequence[int]) -> list[PageScan]:
    """Read the windows of `pages`; keep those that start a piece (and always page 1)."""
    pdf = pdfium.PdfDocument(request.path)
    try:
        return _scan(request, pdf, [(number - 1, number) for number in pages])
    finally:
        pdf.close()


def _scan(
    request: AnalysisRequest, pdf: pdfium.PdfDocument, pages: Sequence[tuple[int, int]]
) -> list[PageScan]:
    """Read the windows of `pages`, each as (index in `pdf`, page number in the file)."""
    rule = request.split_rule
    layout = request.layout()
    country = request.country()
    every = rule.reads_every_window or rule.reads_page_text
    found: list[PageScan] = []
    for index, number in pages:
        page = pdf[index]
        textpage = page.get_textpage()
        try:
            marked = rule.reads_page_text and rule.marker in textpage.get_text_range()
            if rule.reads_page_text and not marked and number != 1:
                continue
            lines = tuple(read_zone_lines(page, layout.address_zone, textpage=textpage))
            # An empty window is reported once, as window_has_no_text below, not again
            # as the parser's address_missing.
            address = (
                parse_address(lines, default_country=country)
                if lines
                else ParsedAddress(recipient=None, findings=(), lines=())
            )
            # A letter starts where the window holds a complete address; continuation
            # pages have body text or nothing there, which does not parse as one.
            flagged = marked or (rule.reads_every_window and address.recipient is not None)
            if every and not flagged and number != 1:
                continue
            findings = _window_findings(page, textpage, layout, lines, number)
            blank = None
            return_blank = None
            if request.inspect_window and layout.window:
                blank = not lines and zone_is_blank(page, layout.clear_zone)
                return_zone = return_line_zone(layout)
                if blank and request.inspect_return_line and return_zone is not None:
                    return_blank = zone_is_blank(page, return_zone)
            found.append(PageScan(number, flagged, lines, address, findings, blank, return_blank))
        finally:
            textpage.close()
            page.close()
    return found


def assemble(
    request: AnalysisRequest, part: PreflightPart, scans: Iterable[PageScan]
) -> DocumentAnalysis:
    """Cut the file into pieces from the scans; each piece keeps its pages' findings."""
    ordered = sorted(scans, key=lambda scan: scan.page)
    return _assembled(request, part, ordered, spooled=False)


def _assembled(
    request: AnalysisRequest,
    part: PreflightPart,
    scans: Iterable[PageScan],
    *,
    spooled: bool,
) -> DocumentAnalysis:
    """assemble with the scans in page order (read twice, side by side: where pieces start,
    and what their first pages hold); the pieces in a Spool if `spooled`, else a tuple."""
    if part.rejected:
        return DocumentAnalysis(part.report, True, (), part.stripped)
    flagged = (scan.page for scan in scans if scan.starts_piece)
    try:
        ranges = iter_starts(request.split_rule, part.page_count, flagged=flagged)
    except SplitError as exc:
        finding = Finding(exc.code, Severity.ERROR, exc.message)
        findings = [*part.report.get("findings", []), finding.to_dict()]
        report = {**part.report, "accepted": False, "findings": findings}
        return DocumentAnalysis(report, True, (), part.stripped)
    page_findings: dict[int, list[Finding]] = {}
    for raw in part.report.get("findings", []):
        finding = Finding.from_dict(raw)
        if finding.page is not None:
            page_findings.setdefault(finding.page, []).append(finding)
    pieces = _pieces(ranges, page_findings, scans if request.read_window else ())
    if not spooled:
        return DocumentAnalysis(part.report, False, tuple(pieces), part.stripped)
    spool: Spool[PieceScan] = Spool()
    spool.extend(pieces)
    return DocumentAnalysis(part.report, False, spool, part.stripped)


def _pieces(
    ranges: Iterable[tuple[int, int]],
    page_findings: dict[int, list[Finding]],
    scans: Iterable[PageScan],
) -> Iterator[PieceScan]:
    """The pieces of `ranges`, each with the scan of its first page: both lists are in page
    order, so the scans are read once, side by side with the ranges."""
    upcoming = iter(scans)
    scan = next(upcoming, None)
    for first, count in ranges:
        while scan is not None and scan.page < first:
            scan = next(upcoming, None)
        mine = scan if scan is not None and scan.page == first else None
        findings = [f for p in range(first, first + count) for f in page_findings.get(p, ())]
        if mine is not None:
            findings.extend(mine.findings)
        yield PieceScan(
            first_page=first,
            page_count=count,
            window_lines=mine.lines if mine else (),
            address=mine.address if mine else None,
            findings=tuple(findings),
            window_blank=mine.window_blank if mine else None,
            return_line_blank=mine.return_line_blank if mine else None,
        )


def analyse_document(request: AnalysisRequest) -> DocumentAnalysis:
    """The whole analysis in this process (small files, tests)."""
    part = preflight_part(request)
    if part.rejected:
        return assemble(request, part, ())
    return assemble(request, part, scan_part(request, pages_to_scan(request, part.page_count)))


Runner = Callable[..., Any]  # runs a function of this module in a sandboxed child
# check_range on every call (first, last, pages, by_count), the results yielded in order:
# by this process's children (the default), or shared with other processes
# (services/shared_ranges.py). Takes the request, this process's runner, the calls and how
# many children this process may use.
RangeReader = Callable[
    [AnalysisRequest, Runner, Sequence[tuple[int, int, Sequence[int], bool]], int],
    Iterator[RangePart],
]
# Told, as a large file's ranges are checked in page order, how many of its pages are done:
# once a range (RANGE_PAGES pages or more), never once a page.
Progress = Callable[[int], None]


def read_ranges_here(
    request: AnalysisRequest,
    run: Runner,
    calls: Sequence[tuple[int, int, Sequence[int], bool]],
    workers: int,
) -> Iterator[RangePart]:
    """check_range on every call in this process's children, in order as they come."""
    return _in_order(run, check_range, request, calls, workers=workers)


def child_memory_bytes(page_count: int, *, cap: int) -> int:
    """The memory limit of a child reading (part of) a file of `page_count` pages: a base
    plus an allowance per page, at most `cap`; `cap` when the count is not known (0)."""
    if page_count <= 0:
        return cap
    return min(cap, CHILD_MEMORY_BASE_BYTES + CHILD_MEMORY_PER_PAGE_BYTES * page_count)


def analyse_in_children(
    request: AnalysisRequest,
    run: Runner,
    *,
    workers: int,
    chunk_pages: int = CHUNK_PAGES,
    read_ranges: RangeReader = read_ranges_here,
    on_progress: Progress | None = None,
) -> DocumentAnalysis:
    """The analysis with its work spread over `workers` children in parallel: a file of up to
    PREFLIGHT_CHUNK_PAGES pages is preflighted whole, then its windows read in chunks; a
    larger one is checked and read in page ranges (a head, then `check_range` calls).

    Every call is `run(func, request, *args)`, with the file's page count in
    `request.page_count` once known (0 before), so that `run` can size the child's memory
    from it (`child_memory_bytes`). A large file's ranges are read by `read_ranges`: here,
    or shared with other worker processes.

    `on_progress` hears of a large file's ranges as they are done, in page order (a file
    checked whole in one call has no step between nothing and everything to report)."""
    if not 0 < request.page_count <= PREFLIGHT_CHUNK_PAGES:
        head: PreflightReport = run(preflight_head, request)
        if not head.accepted:
            return assemble(request, _finish(request, head), ())
        request = replace(request, page_count=head.page_count)
        if head.page_count > PREFLIGHT_CHUNK_PAGES:
            return _analyse_in_ranges(
                request, run, head, workers=workers, read=read_ranges, on_progress=on_progress
            )
    part: PreflightPart = run(preflight_part, request)
    if part.rejected:
        return assemble(request, part, ())
    try:
        pages = pages_to_scan(request, part.page_count)
    except SplitError:
        return assemble(request, part, ())  # assemble reports the rule's error
    chunks = [(pages[i : i + chunk_pages],) for i in range(0, len(pages), chunk_pages)]
    results = _in_order(run, scan_part, request, chunks, workers=workers)
    return assemble(request, part, [scan for result in results for scan in result])


def _analyse_in_ranges(
    request: AnalysisRequest,
    run: Runner,
    head: PreflightReport,
    *,
    workers: int,
    read: RangeReader,
    on_progress: Progress | None,
) -> DocumentAnalysis:
    """Preflight and window reading of a large file, range by range, in parallel children.

    Each range's result is taken as it comes: its report merged (page facts folded into
    runs), its scans spooled. The caller thus holds a few ranges' results at a time, never
    the whole file's; the pieces are spooled too."""
    scans: Spool[PageScan] = Spool()
    try:
        ranges = _ranges(request, head.page_count)
        calls = [(*r, True) for r in ranges]
        merged = _merged(head, calls, read(request, run, calls, workers), scans, on_progress)
        if merged is None:
            # A wrong /Count somewhere: every range is found again, reading each kid before
            # it (rare, so here, not shared; the progress told starts again from the first
            # range).
            scans.close()
            scans = Spool()
            calls = [(*r, False) for r in ranges]
            parts = read_ranges_here(request, run, calls, workers)
            merged = _merged(head, calls, parts, scans, on_progress)
        # (Found without the shortcut, the ranges always hold.)
        finished = _judge(request, run, merged or head)
        return _assembled(request, finished, scans, spooled=True)
    finally:
        scans.close()


def _ranges(request: AnalysisRequest, page_count: int) -> list[tuple[int, int, Sequence[int]]]:
    """The page ranges of a large file, each with the pages whose windows are read there."""
    pages: Sequence[int]
    try:
        pages = pages_to_scan(request, page_count)
    except SplitError:
        pages = []  # assemble reports the rule's error
    size = max(RANGE_PAGES, -(-page_count // MAX_RANGES))
    ranges = []
    for first in range(1, page_count + 1, size):
        last = min(first + size - 1, page_count)
        ranges.append((first, last, pages[bisect_left(pages, first) : bisect_right(pages, last)]))
    return ranges


def _merged(
    head: PreflightReport,
    calls: Sequence[tuple[int, int, Sequence[int], bool]],
    parts: Iterable[RangePart],
    scans: Spool[PageScan],
    on_progress: Progress | None,
) -> PreflightReport | None:
    """The ranges' results merged into one report, their scans appended to `scans`; None
    when a range found the page tree's counts wrong. `on_progress` is told each range's
    last page as the ranges are done, in order."""
    merger = ReportMerger(head, keep_pages=False)
    held = True
    for (_, last, _, _), part in zip(calls, parts, strict=True):
        # Every range is still read to the end, as before ranges were taken as they came.
        held = held and part.by_count_held
        if held:
            merger.add(part.report)
            scans.extend(part.scans)
        if on_progress is not None:
            on_progress(last)
    return merger.report() if held else None


def _judge(request: AnalysisRequest, run: Runner, report: PreflightReport) -> PreflightPart:
    """_finish in a child when active content must be stripped (that parses the file),
    else here."""
    if _strips(request, report):
        stripped: PreflightPart = run(finish_preflight, request, report)
        return stripped
    return _finish(request, report)


def _in_order(
    run: Runner,
    func: Callable[..., Any],
    request: AnalysisRequest,
    calls: Sequence[tuple[Any, ...]],
    *,
    workers: int,
) -> Iterator[Any]:
    """func(request, *args) for each call's args on up to `workers` children, yielded in
    order as they come. A call is queued only when an earlier result has been taken, so at
    most workers + RANGES_AHEAD results wait here however many calls there are."""
    if len(calls) <= 1 or workers <= 1:
        for args in calls:
            yield run(func, request, *args)
        return
    todo = iter(calls)
    waiting: deque[Future[Any]] = deque()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        try:
            for args in todo:
                waiting.append(pool.submit(run, func, request, *args))
                if len(waiting) >= workers + RANGES_AHEAD:
                    break
            while waiting:
                result = waiting.popleft().result()
                following = next(todo, None)
                if following is not None:
                    waiting.append(pool.submit(run, func, request, *following))
                yield result
        finally:
            for future in waiting:
                future.cancel()


def _window_findings(
    page: pdfium.PdfPage,
    textpage: pdfium.PdfTextPage,
    layout: EnvelopeLayout,
    lines: tuple[str, ...],
    number: int,
) -> tuple[Finding, ...]:
    """A window with no text (a scan?) and anything printed in the clear zone around it."""
    findings = []
    if not lines:
        findings.append(
            Finding(
                "window_has_no_text",
                Severity.ERROR,
                "no text in the address window (an image-only scan?): the address cannot be "
                "read; send it with the letter or use a PDF with real text",
                page=number,
            )
        )
    if layout.window:
        stray = text_outside_zone(page, layout.clear_zone, layout.address_zone, textpage=textpage)
        if stray:
            findings.append(
                Finding(
                    "clear_zone_not_clear",
                    Severity.ERROR,
                    "something else is printed around the address window and would show "
                    f"through it: {' / '.join(stray)[:120]}",
                    page=number,
                )
            )
    return tuple(findings)
