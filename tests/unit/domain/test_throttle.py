"""The waits after failed logins: free at first, then doubling, capped."""

from __future__ import annotations

from datetime import timedelta

from postroom.domain.throttle import FREE_FAILURES, LONGEST_WAIT, wait_after


def test_a_few_failures_cost_nothing_then_each_doubles_the_wait() -> None:
    waits = [wait_after(n).total_seconds() for n in range(1, FREE_FAILURES + 6)]
    assert waits == [0] * FREE_FAILURES + [1, 2, 4, 8, 16]


def test_the_wait_stops_growing_at_fifteen_minutes() -> None:
    assert wait_after(FREE_FAILURES + 30) == LONGEST_WAIT == timedelta(minutes=15)
