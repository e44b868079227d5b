"""Split rules cut a file into (first page, page count) pieces, also one piece at a time."""

from __future__ import annotations

import pytest

from postroom.documents.split import SplitError, SplitKind, SplitRule, iter_starts, starts


@pytest.mark.parametrize(
    ("rule", "flagged", "expected"),
    [
        (SplitRule(), set(), [(1, 10)]),
        (SplitRule(SplitKind.EVERY_N, every=5), set(), [(1, 5), (6, 5)]),
        (SplitRule(SplitKind.RANGES, ranges=((2, 3), (7, 10))), set(), [(2, 2), (7, 4)]),
        # Page 1 always starts a piece; pages outside the file are ignored.
        (SplitRule(SplitKind.ADDRESS_CHANGE), {4, 8, 11}, [(1, 3), (4, 4), (8, 3)]),
        (SplitRule(SplitKind.MARKER, marker="NEW"), {1, 2, 10}, [(1, 1), (2, 8), (10, 1)]),
    ],
)
def test_one_piece_at_a_time_gives_what_the_list_gives(
    rule: SplitRule, flagged: set[int], expected: list[tuple[int, int]]
) -> None:
    assert starts(rule, 10, flagged=flagged) == expected
    # The flagged pages are read once, in order, as they come from a spool.
    assert list(iter_starts(rule, 10, flagged=iter(sorted(flagged)))) == expected


def test_a_rule_that_cannot_cut_the_file_fails_before_any_piece() -> None:
    with pytest.raises(SplitError) as left_over:
        iter_starts(SplitRule(SplitKind.EVERY_N, every=3), 10, flagged=())
    assert left_over.value.code == "split_pages_left_over"
    with pytest.raises(SplitError) as outside:
        iter_starts(SplitRule(SplitKind.RANGES, ranges=((1, 11),)), 10, flagged=())
    assert outside.value.code == "split_range_outside_document"
