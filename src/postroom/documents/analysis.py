"""One pass over a document in the sandbox: preflight, split into pieces, read each window.

Everything here runs in a child process with time and memory limits (documents.sandbox):
it takes a path and plain values and returns plain dataclasses."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium

from postroom.addresses.parse import ParsedAddress, parse_address
from postroom.documents.preflight import preflight
from postroom.documents.profiles import get_profile
from postroom.documents.sanitize import strip_active_content
from postroom.documents.split import SplitError, SplitRule, starts
from postroom.documents.zones import read_zone_lines, text_outside_zone
from postroom.domain.findings import Finding, Severity
from postroom.domain.geometry import EnvelopeLayout, layout_for

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


@dataclass(frozen=True)
class PieceScan:
    """One piece found in the document, with what its first page's window holds."""

    first_page: int
    page_count: int
    window_lines: tuple[str, ...]
    address: ParsedAddress | None  # None when the window was not read (address given)
    findings: tuple[Finding, ...]  # page problems in its range, clear zone, empty window


@dataclass(frozen=True)
class DocumentAnalysis:
    """The preflight report, whether the file is refused as a whole, and its pieces."""

    report: dict[str, Any]
    rejected: bool
    pieces: tuple[PieceScan, ...]
    stripped: bool = False  # True when request.stripped_path holds the copy to print


@dataclass(frozen=True)
class AnalysisRequest:
    """What the sandboxed analysis needs: plain values only, so it crosses a process border."""

    path: str
    profile_name: str
    layout_code: str = ""  # "" means the profile's default layout
    rule: dict[str, Any] | None = None  # SplitRule.to_dict(); None: one piece
    read_window: bool = True
    default_country: str = ""  # "" means the profile's default country
    stripped_path: str = ""  # where to write a copy without active content, if any is found


def analyse_document(request: AnalysisRequest) -> DocumentAnalysis:
    """Preflight the file, cut it by its rule, and read the window of every piece's first page."""
    path = request.path
    profile = get_profile(request.profile_name)
    layout_code = request.layout_code
    rule = request.rule
    read_window = request.read_window
    default_country = request.default_country or profile.default_country
    report = preflight(Path(path), profile=profile)
    report_dict = report.to_dict()
    document_errors = [
        f for f in report.findings if f.severity is Severity.ERROR and f.page is None
    ]
    if document_errors:
        return DocumentAnalysis(report=report_dict, rejected=True, pieces=())
    stripped = bool(request.stripped_path) and any(
        f.code in ACTIVE_CONTENT_CODES for f in report.findings
    )
    if stripped:
        strip_active_content(Path(path), Path(request.stripped_path))
    layout = layout_for(layout_code or profile.default_layout)
    split_rule = SplitRule.from_dict(rule)
    page_findings: dict[int, list[Finding]] = {}
    for finding in report.findings:
        if finding.page is not None:
            page_findings.setdefault(finding.page, []).append(finding)

    pdf = pdfium.PdfDocument(path)
    try:
        flagged, windows = _flag_starts(pdf, split_rule, layout, default_country)
        try:
            ranges = starts(split_rule, len(pdf), flagged=flagged)
        except SplitError as exc:
            finding = Finding(exc.code, Severity.ERROR, exc.message)
            report_dict["findings"] = [*report_dict.get("findings", []), finding.to_dict()]
            return DocumentAnalysis(report=report_dict, rejected=True, pieces=())
        pieces = []
        for first, count in ranges:
            findings = [f for p in range(first, first + count) for f in page_findings.get(p, ())]
            lines: tuple[str, ...] = ()
            address = None
            if read_window:
                lines, address = windows.get(first) or _read_window(
                    pdf[first - 1], layout, default_country
                )
                findings.extend(_window_findings(pdf[first - 1], layout, lines, first))
            pieces.append(PieceScan(first, count, lines, address, tuple(findings)))
    finally:
        pdf.close()
    return DocumentAnalysis(
        report=report_dict, rejected=False, pieces=tuple(pieces), stripped=stripped
    )


def _read_window(
    page: pdfium.PdfPage, layout: EnvelopeLayout, default_country: str
) -> tuple[tuple[str, ...], ParsedAddress]:
    lines = tuple(read_zone_lines(page, layout.address_zone))
    return lines, parse_address(lines, default_country=default_country)


def _flag_starts(
    pdf: pdfium.PdfDocument, rule: SplitRule, layout: EnvelopeLayout, default_country: str
) -> tuple[set[int], dict[int, tuple[tuple[str, ...], ParsedAddress]]]:
    """Pages where a letter starts (address and marker rules), and the windows read."""
    flagged: set[int] = set()
    windows: dict[int, tuple[tuple[str, ...], ParsedAddress]] = {}
    if not (rule.reads_every_window or rule.reads_page_text):
        return flagged, windows
    for index in range(len(pdf)):
        page = pdf[index]
        if rule.reads_every_window:
            lines, address = _read_window(page, layout, default_country)
            # A letter starts where the window holds a complete address; continuation pages
            # have body text or nothing there, which does not parse as one.
            if address.recipient is not None:
                flagged.add(index + 1)
                windows[index + 1] = (lines, address)
        else:
            text = page.get_textpage().get_text_range()
            if rule.marker in text:
                flagged.add(index + 1)
    return flagged, windows


def _window_findings(
    page: pdfium.PdfPage, layout: EnvelopeLayout, lines: tuple[str, ...], number: int
) -> list[Finding]:
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
        stray = text_outside_zone(page, layout.clear_zone, layout.address_zone)
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
    return findings
