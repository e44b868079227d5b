"""Which address placement a letter goes with, and which it is refused at the door."""

from __future__ import annotations

import pytest

from postroom.domain.errors import ErrorCode
from postroom.domain.model import AddressPlacement
from postroom.domain.placement import placement_problem, resolve_placement

WINDOW, PAGE, PRINTED = (
    AddressPlacement.WINDOW,
    AddressPlacement.ADDRESS_PAGE,
    AddressPlacement.AS_PRINTED,
)


@pytest.mark.parametrize(
    ("chosen", "given", "page_only", "blank", "expected"),
    [
        # Left to Postroom: a given recipient goes into a blank window...
        (None, True, False, True, WINDOW),
        # ...and a window that holds anything is taken as printed (and must match).
        (None, True, False, False, PRINTED),
        (None, True, False, None, PRINTED),  # not looked at: never print over it blindly
        # Without a recipient the window is read: the document carries the address.
        (None, False, False, True, PRINTED),
        (None, False, False, False, PRINTED),
        # The sender's choice holds...
        (WINDOW, True, False, False, WINDOW),  # and is then refused: window_zone_not_blank
        (PRINTED, True, False, True, PRINTED),  # and is then refused: window_address_mismatch
        (PAGE, True, False, True, PAGE),
        (PAGE, False, False, False, PAGE),  # the address read from the window, on a page
        # ...except where the service or envelope prints an address page anyway.
        (None, True, True, True, PAGE),
        (None, False, True, None, PAGE),
    ],
)
def test_the_placement_a_letter_goes_with(
    chosen: AddressPlacement | None,
    given: bool,
    page_only: bool,
    blank: bool | None,
    expected: AddressPlacement,
) -> None:
    placement = resolve_placement(
        chosen, recipient_given=given, address_page_only=page_only, window_blank=blank
    )
    assert placement is expected


def test_window_without_a_recipient_is_refused_at_the_door() -> None:
    problem = placement_problem(WINDOW, recipient_given=False, address_page_only=False)
    assert problem is not None and problem[0] is ErrorCode.MISSING_RECIPIENT


@pytest.mark.parametrize("chosen", [WINDOW, PRINTED])
def test_a_service_that_prints_an_address_page_takes_no_other_placement(
    chosen: AddressPlacement,
) -> None:
    problem = placement_problem(chosen, recipient_given=True, address_page_only=True)
    assert problem is not None and problem[0] is ErrorCode.OPTION_NOT_AVAILABLE


@pytest.mark.parametrize(
    ("chosen", "given", "page_only"),
    [
        (None, False, False),
        (None, True, True),
        (WINDOW, True, False),
        (PRINTED, False, False),
        (PAGE, False, True),
        (PAGE, True, False),
    ],
)
def test_the_other_choices_are_left_to_the_check(
    chosen: AddressPlacement | None, given: bool, page_only: bool
) -> None:
    assert placement_problem(chosen, recipient_given=given, address_page_only=page_only) is None
