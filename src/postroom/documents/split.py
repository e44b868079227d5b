"""Cutting a multi-letter file into pieces, as page ranges: no page is copied."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from postroom.domain.errors import ErrorCode


class SplitKind(StrEnum):
    """How the letters in a file are found."""

    SINGLE = "single"  # the whole file is one letter
    EVERY_N = "every_n"  # a new letter every N pages
    ADDRESS_CHANGE = "address_change"  # a new letter where the window holds an address
    MARKER = "marker"  # a new letter on each page that carries the marker text
    RANGES = "ranges"  # the caller gives the page ranges


@dataclass(frozen=True)
class SplitRule:
    """A split rule with its parameter."""

    kind: SplitKind = SplitKind.SINGLE
    every: int = 0
    marker: str = ""
    ranges: tuple[tuple[int, int], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The JSON form stored with the document."""
        return {
            "kind": self.kind.value,
            "every": self.every,
            "marker": self.marker,
            "ranges": [list(r) for r in self.ranges],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> SplitRule:
        """Inverse of to_dict (None: the whole file is one letter)."""
        if not data:
            return cls()
        return cls(
            kind=SplitKind(data["kind"]),
            every=int(data.get("every") or 0),
            marker=str(data.get("marker") or ""),
            ranges=tuple((int(a), int(b)) for a, b in data.get("ranges") or ()),
        )

    @property
    def reads_every_window(self) -> bool:
        """True when every page's window must be read to find where letters start."""
        return self.kind is SplitKind.ADDRESS_CHANGE

    @property
    def reads_page_text(self) -> bool:
        """True when every page's text must be searched for the marker."""
        return self.kind is SplitKind.MARKER


class SplitError(ValueError):
    """The rule cannot cut this file (ranges out of bounds, N that does not divide...)."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def check_rule(rule: SplitRule) -> None:
    """Refuse a rule that can never work, before any file is read."""
    if rule.kind is SplitKind.EVERY_N and rule.every < 1:
        raise SplitError(ErrorCode.SPLIT_RULE_INVALID, "every_n needs `every` of at least 1 page")
    if rule.kind is SplitKind.MARKER and not rule.marker.strip():
        raise SplitError(ErrorCode.SPLIT_RULE_INVALID, "marker needs a non-empty `marker` text")
    if rule.kind is SplitKind.RANGES:
        if not rule.ranges:
            raise SplitError(
                ErrorCode.SPLIT_RULE_INVALID, "ranges needs at least one [first, last]"
            )
        previous_last = 0
        for first, last in rule.ranges:
            if first < 1 or last < first:
                raise SplitError(
                    ErrorCode.SPLIT_RULE_INVALID, f"[{first}, {last}] is not a page range"
                )
            if first <= previous_last:
                raise SplitError(
                    ErrorCode.SPLIT_RULE_INVALID,
                    "ranges must be in page order and must not overlap",
                )
            previous_last = last


def starts(rule: SplitRule, page_count: int, *, flagged: set[int]) -> list[tuple[int, int]]:
    """The pieces as (first page, page count), 1-based.

    `flagged` holds the pages where a letter starts for the address and marker rules (the
    caller reads windows or text to find them); page 1 always starts a piece so that no
    page is left out (its window may hold no address: that piece is then not eligible)."""
    return list(iter_starts(rule, page_count, flagged=sorted(flagged)))


def iter_starts(
    rule: SplitRule, page_count: int, *, flagged: Iterable[int]
) -> Iterator[tuple[int, int]]:
    """`starts` one piece at a time, with `flagged` in ascending page order and read once, so
    that the pieces of a large file need not all be held. A rule that cannot cut the file
    raises SplitError here, before any piece is taken."""
    check_rule_fits(rule, page_count)
    return _cut(rule, page_count, flagged)


def check_rule_fits(rule: SplitRule, page_count: int) -> None:
    """Refuse a rule that cannot cut a file of `page_count` pages (known at upload, so the
    caller hears it in the answer to its upload)."""
    check_rule(rule)
    if rule.kind is SplitKind.EVERY_N and page_count % rule.every:
        raise SplitError(
            ErrorCode.SPLIT_PAGES_LEFT_OVER,
            f"{page_count} pages do not split into letters of {rule.every} pages",
        )
    if rule.kind is SplitKind.RANGES and rule.ranges[-1][1] > page_count:
        raise SplitError(
            ErrorCode.SPLIT_RANGE_OUTSIDE_DOCUMENT,
            f"a range ends at page {rule.ranges[-1][1]}; the file has {page_count} pages",
        )


def _cut(rule: SplitRule, page_count: int, flagged: Iterable[int]) -> Iterator[tuple[int, int]]:
    if rule.kind is SplitKind.SINGLE:
        yield (1, page_count)
    elif rule.kind is SplitKind.EVERY_N:
        yield from ((first, rule.every) for first in range(1, page_count + 1, rule.every))
    elif rule.kind is SplitKind.RANGES:
        yield from ((first, last - first + 1) for first, last in rule.ranges)
    else:
        first = 1
        for page in flagged:
            if first < page <= page_count:
                yield (first, page - first)
                first = page
        yield (first, page_count + 1 - first)
