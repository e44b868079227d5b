"""Legal PDFs written oddly (tokens indented by 40 spaces, long white-space runs, comments
between tokens, lines of spaces) are read as any other, within a time bound, by the
intake's own analysis: `Container.analyse`, its calls in sandboxed children, as the worker
runs it. A parser of our own once took 140 s on a page dictionary indented by 20 spaces
(ADR 0012); the bounds are generous, to catch a hang, not to measure speed."""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from postroom.bootstrap import Container, build_container
from postroom.config import Settings
from postroom.documents.analysis import AnalysisRequest, DocumentAnalysis
from postroom.documents.inspect import inspect_pdf
from postroom.documents.sandbox import run_limited
from postroom.documents.split import SplitKind, SplitRule
from postroom.domain.geometry import layout_for
from postroom.domain.model import Recipient
from tests.fixtures.pdfs.make_corpus import ODD_SEPARATORS, odd_pdf
from tests.support.letter_cases import FIXTURE_LETTERS

LAYOUT = "din5008_a"
# Fixture letters in plain ASCII (the files use Helvetica's standard encoding) whose lines
# fit the window at the generator's line pitch.
CASES = [case for case in FIXTURE_LETTERS if case.name in ("se_plain", "no_postboks")]
A4_RUN = {"width_mm": 210.0, "height_mm": 297.0, "rotation": 0, "has_text": True}


@pytest.fixture
def container(make_settings: Callable[..., Settings]) -> Iterator[Container]:
    """The application's container, allowed files of 10,000 pages (and 200 MB)."""
    c = build_container(
        make_settings(max_pages_per_document=20_000, max_upload_bytes=200 * 1024 * 1024)
    )
    # The children are warm in a running service: start the sandbox before any clock.
    run_limited(time.sleep, 0)
    yield c
    c.close()


def write(path: Path, letters: int, style: str, *, pages_per_letter: int = 1) -> None:
    zone = layout_for(LAYOUT).address_zone
    lines = [CASES[n % len(CASES)].lines for n in range(letters)]
    data = odd_pdf(
        lines, style, pages_per_letter=pages_per_letter, zone_mm=(zone.left_mm, zone.top_mm)
    )
    path.write_bytes(data)


def analyse(container: Container, path: Path) -> tuple[DocumentAnalysis, float]:
    """The intake's analysis of `path` (split where a window holds an address), timed."""
    # The first look, as at upload: it gives the analysis its page count.
    facts = inspect_pdf(io.BytesIO(path.read_bytes()), max_pages=20_000, max_bytes=1 << 30)
    request = AnalysisRequest(
        path=str(path),
        profile_name="postroom",
        layout_code=LAYOUT,
        rule=SplitRule(SplitKind.ADDRESS_CHANGE).to_dict(),
        default_country="SE",
        page_count=facts.page_count,
    )
    start = time.perf_counter()
    analysis = container.analyse(request)
    return analysis, time.perf_counter() - start


def recipients(letters: int) -> Sequence[Recipient]:
    return [CASES[n % len(CASES)].expected for n in range(letters)]


@pytest.mark.parametrize("style", sorted(ODD_SEPARATORS))
def test_a_one_page_letter_written_oddly_is_read_in_under_2_s(
    container: Container, tmp_path: Path, style: str
) -> None:
    path = tmp_path / f"{style}.pdf"
    write(path, 1, style)

    analysis, seconds = analyse(container, path)

    assert seconds < 2.0
    assert not analysis.rejected, analysis.report["findings"]
    assert analysis.report["page_count"] == 1
    assert analysis.report["page_runs"] == [{"first": 1, "last": 1, **A4_RUN}]
    assert {f["code"] for f in analysis.report["findings"]} == {"font_not_embedded"}
    [piece] = analysis.pieces
    assert piece.window_lines == CASES[0].lines
    assert piece.address is not None and piece.address.recipient == CASES[0].expected


@pytest.mark.slow
def test_10000_pages_indented_by_40_spaces_are_read_in_under_120_s(
    container: Container, tmp_path: Path
) -> None:
    letters, pages_per_letter = 5000, 2
    path = tmp_path / "indented.pdf"
    write(path, letters, "indent_40", pages_per_letter=pages_per_letter)

    analysis, seconds = analyse(container, path)

    assert seconds < 120.0
    assert not analysis.rejected, analysis.report["findings"]
    assert analysis.report["page_count"] == 10_000
    assert analysis.report["page_runs"] == [{"first": 1, "last": 10_000, **A4_RUN}]
    pieces = list(analysis.pieces)
    assert [(p.first_page, p.page_count) for p in pieces] == [
        (1 + n * pages_per_letter, pages_per_letter) for n in range(letters)
    ]
    # Each letter's pages go with its own recipient's address.
    got = [p.address.recipient if p.address else None for p in pieces]
    assert got == recipients(letters)
