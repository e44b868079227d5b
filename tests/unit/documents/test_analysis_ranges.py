"""A large file, checked and read range by range in children, gives the analysis that one
pass over the whole file gives: the same pieces, addresses, page numbers and findings."""

from __future__ import annotations

import io
import re
import threading
import weakref
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pikepdf
import pytest

from postroom.documents import analysis
from postroom.documents.analysis import (
    AnalysisRequest,
    DocumentAnalysis,
    analyse_document,
    analyse_in_children,
)
from postroom.documents.split import SplitKind, SplitRule
from postroom.documents.spool import Spool
from postroom.domain.geometry import layout_for
from tests.support.letters import FIXTURE_LETTERS, font_covers, make_letter

LAYOUT = "din5008_a"
LETTERS = 7
PAGES_PER_LETTER = 3


@pytest.fixture(autouse=True)
def small_ranges(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ranges of 5 pages copied out 2 at a time, so that a 21-page file takes the large path."""
    monkeypatch.setattr(analysis, "PREFLIGHT_CHUNK_PAGES", 5)
    monkeypatch.setattr(analysis, "RANGE_PAGES", 5)
    monkeypatch.setattr(analysis, "PAGES_PER_COPY", 2)


def letter_pages(out: pikepdf.Pdf) -> list[pikepdf.Object]:
    """LETTERS three-page letters to different Swedish-default addresses, as pages of `out`."""
    zone = layout_for(LAYOUT).address_zone
    cases = [
        case
        for case in FIXTURE_LETTERS
        if layout_for(case.layout).address_zone == zone
        and case.default_country == "SE"
        and font_covers(" ".join(case.lines))
    ][:LETTERS]
    assert len(cases) == LETTERS
    pages = []
    for case in cases:
        letter = make_letter(case.lines, layout_for(LAYOUT), pages=PAGES_PER_LETTER)
        with pikepdf.open(io.BytesIO(letter)) as source:
            pages += [out.copy_foreign(page.obj) for page in source.pages]
    return pages


def campaign(path: Path, *, hide_a_subtree: bool = False) -> None:
    """The letters in one flat /Kids array; or with pages 7 and 8 in a subtree and an empty
    subtree after them, the root's /Count still equal to its number of kids."""
    with pikepdf.new() as out:
        root = out.Root.Pages
        pages = letter_pages(out)
        kids: list[Any] = list(pages)
        if hide_a_subtree:
            node = pikepdf.Dictionary(Type=pikepdf.Name.Pages, Kids=pages[6:8], Count=2)
            node = out.make_indirect(node)
            for page in pages[6:8]:
                page.Parent = node
            empty = pikepdf.Dictionary(Type=pikepdf.Name.Pages, Kids=[], Count=0, Parent=root)
            kids = [*pages[:6], node, out.make_indirect(empty), *pages[8:]]
            node.Parent = root
        for kid in kids:
            if "/Parent" not in kid:
                kid.Parent = root
        root.Kids = pikepdf.Array(kids)
        root.Count = len(kids)
        out.save(path)


def in_process() -> tuple[Callable[..., Any], list[tuple[str, tuple[Any, ...]]]]:
    """A runner that calls in this process and records each call."""
    calls: list[tuple[str, tuple[Any, ...]]] = []

    def run(func: Callable[..., Any], *args: Any) -> Any:
        calls.append((func.__name__, args[1:]))
        return func(*args)

    return run, calls


def request_for(path: Path, rule: SplitRule) -> AnalysisRequest:
    return AnalysisRequest(
        path=str(path),
        profile_name="postroom",
        layout_code=LAYOUT,
        rule=rule.to_dict(),
        default_country="SE",
    )


def addresses(result: DocumentAnalysis) -> list[tuple[int, int, Any]]:
    return [
        (p.first_page, p.page_count, p.address.recipient if p.address else None)
        for p in result.pieces
    ]


@pytest.mark.parametrize(
    "rule",
    [SplitRule(SplitKind.ADDRESS_CHANGE), SplitRule(SplitKind.EVERY_N, every=PAGES_PER_LETTER)],
    ids=["address_change", "every_3"],
)
def test_ranges_give_what_one_pass_gives(tmp_path: Path, rule: SplitRule) -> None:
    path = tmp_path / "campaign.pdf"
    campaign(path)
    request = request_for(path, rule)
    run, calls = in_process()

    in_ranges = analyse_in_children(request, run, workers=1)

    assert in_ranges == analyse_document(request)
    assert len(in_ranges.pieces) == LETTERS
    assert all(p.address and p.address.recipient for p in in_ranges.pieces)
    assert "finish_preflight" not in [name for name, _ in calls]  # nothing to strip
    ranges = [args for name, args in calls if name == "check_range"]
    assert [(first, last, by_count) for first, last, _, by_count in ranges] == [
        (1, 5, True),
        (6, 10, True),
        (11, 15, True),
        (16, 20, True),
        (21, 21, True),
    ]
    if rule.kind is SplitKind.EVERY_N:  # only the windows of first pages are read
        assert [list(pages) for _, _, pages, _ in ranges] == [[1, 4], [7, 10], [13], [16, 19], []]


def test_progress_is_told_once_a_range_in_page_order(tmp_path: Path) -> None:
    path = tmp_path / "campaign.pdf"
    campaign(path)
    request = request_for(path, SplitRule(SplitKind.ADDRESS_CHANGE))
    run, calls = in_process()
    told: list[tuple[int, int]] = []  # (pages checked, ranges checked by then)

    def on_progress(pages: int) -> None:
        told.append((pages, [name for name, _ in calls].count("check_range")))

    analyse_in_children(request, run, workers=2, on_progress=on_progress)

    # Each range's last page once that range is done (two children read ahead, so a range
    # may be told after the next one started), never a page at a time.
    assert [pages for pages, _ in told] == [5, 10, 15, 20, 21]
    assert all(started >= n for n, (_, started) in enumerate(told, start=1))


def test_a_file_checked_whole_tells_no_progress(tmp_path: Path) -> None:
    path = tmp_path / "small.pdf"
    lines = ["Anna Svensson", "Storgatan 1", "111 22 Stockholm"]
    path.write_bytes(make_letter(lines, layout_for(LAYOUT), pages=PAGES_PER_LETTER))
    told: list[int] = []

    run, _ = in_process()
    result = analyse_in_children(
        request_for(path, SplitRule(SplitKind.SINGLE)), run, workers=1, on_progress=told.append
    )

    assert len(result.pieces) == 1 and told == []


def test_counts_that_do_not_hold_find_every_range_again(tmp_path: Path) -> None:
    path = tmp_path / "hidden.pdf"
    campaign(path, hide_a_subtree=True)
    request = request_for(path, SplitRule(SplitKind.ADDRESS_CHANGE))
    run, calls = in_process()

    in_ranges = analyse_in_children(request, run, workers=1)

    whole = analyse_document(request)
    assert addresses(in_ranges) == addresses(whole)
    assert [(p.first_page, p.page_count) for p in in_ranges.pieces] == [
        (n, PAGES_PER_LETTER) for n in range(1, LETTERS * PAGES_PER_LETTER, PAGES_PER_LETTER)
    ]
    assert in_ranges.report["page_runs"] == whole.report["page_runs"]
    by_count = [args[3] for name, args in calls if name == "check_range"]
    assert by_count == [True] * 5 + [False] * 5


def test_active_content_is_stripped_in_a_child_and_only_then(tmp_path: Path) -> None:
    path = tmp_path / "scripted.pdf"
    campaign(path)
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        script = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))
        pdf.Root.OpenAction = pdf.make_indirect(script)
        pdf.save(path)
    stripped = tmp_path / "stripped.pdf"
    request = replace(
        request_for(path, SplitRule(SplitKind.ADDRESS_CHANGE)), stripped_path=str(stripped)
    )
    run, calls = in_process()

    result = analyse_in_children(request, run, workers=1)

    assert result.stripped and stripped.exists()
    assert "active_content_javascript" in {f["code"] for f in result.report["findings"]}
    assert [name for name, _ in calls].count("finish_preflight") == 1
    assert len(result.pieces) == LETTERS
    with pikepdf.open(stripped) as copy:
        assert "/OpenAction" not in copy.Root


def test_the_caller_holds_a_few_ranges_results_and_spools_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 21 pages in ranges of 2 pages: 11 ranges, read by 2 children at once.
    monkeypatch.setattr(analysis, "RANGE_PAGES", 2)
    path = tmp_path / "campaign.pdf"
    campaign(path)
    request = request_for(path, SplitRule(SplitKind.ADDRESS_CHANGE))
    lock = threading.Lock()
    alive = [0]
    most_alive = [0]
    calls = [0]

    def released() -> None:
        with lock:
            alive[0] -= 1

    def run(func: Callable[..., Any], *args: Any) -> Any:
        result = func(*args)
        if func is analysis.check_range:
            # A result is alive from the moment a child hands it over until the caller lets
            # it go; the old code kept every range's result until the end.
            weakref.finalize(result, released)
            with lock:
                calls[0] += 1
                alive[0] += 1
                most_alive[0] = max(most_alive[0], alive[0])
        return result

    result = analyse_in_children(request, run, workers=2)

    assert calls[0] == 11
    assert most_alive[0] <= 2 + analysis.RANGES_AHEAD + 1
    assert alive[0] == 0
    assert isinstance(result.pieces, Spool)
    assert addresses(result) == addresses(analyse_document(request))
    assert [(p.first_page, p.page_count) for p in result.pieces] == [
        (n, PAGES_PER_LETTER) for n in range(1, LETTERS * PAGES_PER_LETTER, PAGES_PER_LETTER)
    ]


def test_a_damaged_file_is_repaired_by_qpdf_in_every_range(tmp_path: Path) -> None:
    path = tmp_path / "damaged.pdf"
    campaign(path)
    # Every offset in the cross-reference table one byte off: qpdf repairs it.
    data = path.read_bytes()
    table = data.rindex(b"\nxref\n")
    entries = re.sub(
        rb"(\d{10}) 00000 n",
        lambda m: b"%010d 00000 n" % (int(m[1]) + 1),
        data[table:],
    )
    path.write_bytes(data[:table] + entries)
    request = request_for(path, SplitRule(SplitKind.ADDRESS_CHANGE))
    run, calls = in_process()

    in_ranges = analyse_in_children(request, run, workers=1)

    ranges = [args for name, args in calls if name == "check_range"]
    assert len(ranges) == 5
    assert addresses(in_ranges) == addresses(analyse_document(request))
    assert [(p.first_page, p.page_count) for p in in_ranges.pieces] == [
        (n, PAGES_PER_LETTER) for n in range(1, LETTERS * PAGES_PER_LETTER, PAGES_PER_LETTER)
    ]
    assert "repaired" in {f["code"] for f in in_ranges.report["findings"]}


def test_every_call_after_the_head_carries_the_page_count_its_memory_is_sized_from(
    tmp_path: Path,
) -> None:
    path = tmp_path / "campaign.pdf"
    campaign(path)
    request = request_for(path, SplitRule(SplitKind.ADDRESS_CHANGE))  # page count unknown
    seen: list[tuple[str, int]] = []

    def run(func: Callable[..., Any], first: AnalysisRequest, *args: Any) -> Any:
        seen.append((func.__name__, first.page_count))
        return func(first, *args)

    result = analyse_in_children(request, run, workers=1)

    assert len(result.pieces) == LETTERS
    assert seen == [("preflight_head", 0)] + [("check_range", LETTERS * PAGES_PER_LETTER)] * 5
    cap = 1024**3
    assert request.child_memory_bytes(cap=cap) == cap  # unknown: the operator's limit
    assert replace(request, page_count=21).child_memory_bytes(cap=cap) == (
        analysis.CHILD_MEMORY_BASE_BYTES + 21 * analysis.CHILD_MEMORY_PER_PAGE_BYTES
    )


def test_a_larger_file_gives_its_children_more_memory_up_to_the_operators_limit() -> None:
    cap = 1024**3
    limits = [analysis.child_memory_bytes(pages, cap=cap) for pages in (3000, 90_000, 300_000)]
    assert limits == sorted(limits) and len(set(limits)) == 3
    assert all(limit < cap for limit in limits)
    assert analysis.child_memory_bytes(10_000_000, cap=cap) == cap
    assert analysis.child_memory_bytes(3000, cap=256 * 1024**2) == 256 * 1024**2
