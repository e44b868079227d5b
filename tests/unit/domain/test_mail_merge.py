"""The mail merge rules: where every recipient of a list is printed, and the quantity
limits of a service; and the column mappings that turn a row into a recipient."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from postroom.domain.address_lists import (
    CLICK2MAIL_STANDARD,
    POSTROOM,
    AddressList,
    RowStatus,
    corrections,
)
from postroom.domain.errors import ErrorCode, InvalidInput
from postroom.domain.mail_merge import check_quantity, merge_placement
from postroom.domain.model import AddressPlacement, Recipient

WINDOW, PAGE, PRINTED = (
    AddressPlacement.WINDOW,
    AddressPlacement.ADDRESS_PAGE,
    AddressPlacement.AS_PRINTED,
)


@pytest.mark.parametrize(
    ("chosen", "page_only", "blank", "placed"),
    [
        (None, False, True, WINDOW),  # a blank window takes each recipient
        (None, False, False, PAGE),  # a window with something in it: a page of its own
        (WINDOW, False, False, WINDOW),  # chosen: the check of the window refuses later
        (PAGE, False, True, PAGE),
        (None, True, True, PAGE),  # a window-less envelope or an address-page service
        (WINDOW, True, True, PAGE),
    ],
)
def test_merge_placement(
    chosen: AddressPlacement | None, page_only: bool, blank: bool, placed: AddressPlacement
) -> None:
    assert merge_placement(chosen, address_page_only=page_only, window_blank=blank) is placed


def test_as_printed_cannot_carry_a_list() -> None:
    with pytest.raises(InvalidInput) as refused:
        merge_placement(PRINTED, address_page_only=False, window_blank=True)
    assert refused.value.code is ErrorCode.OPTION_NOT_AVAILABLE


def test_quantity_limits() -> None:
    check_quantity(5, minimum=5, maximum=5, service="s")
    check_quantity(10**6, minimum=1, maximum=None, service="s")
    with pytest.raises(InvalidInput) as low:
        check_quantity(4, minimum=5, maximum=None, service="s")
    assert (low.value.code, low.value.detail) == (
        ErrorCode.QUANTITY_TOO_LOW,
        {"quantity": 4, "minimum": 5},
    )
    with pytest.raises(InvalidInput) as high:
        check_quantity(6, minimum=1, maximum=5, service="s")
    assert (high.value.code, high.value.detail) == (
        ErrorCode.QUANTITY_TOO_HIGH,
        {"quantity": 6, "maximum": 5},
    )


def test_click2mail_columns_make_a_us_recipient() -> None:
    row = {
        "First_name": " John ",
        "Last_name": "Smith",
        "Organization": "",
        "Address1": "100  Main St",
        "City": "Springfield",
        "State": "IL",
        "Zip": "62701",
        "Country_non-US": "",
    }
    assert CLICK2MAIL_STANDARD.recipient(row) == Recipient(
        ("John Smith",), ("100 Main St",), "62701", "Springfield", "US", "IL"
    )


def test_a_rows_country_wins_over_the_lists_default() -> None:
    row = {"name": "Anna", "street": "Storgatan 1", "city": "Stockholm", "country": "SE"}
    assert POSTROOM.recipient(row, default_country="US").country == "SE"
    assert POSTROOM.recipient({**row, "country": ""}, default_country="NO").country == "NO"


def test_corrections_name_what_the_country_changed() -> None:
    given = Recipient(("A",), ("B 1",), "11122", "Stockholm", "Sweden")
    kept = Recipient(("A",), ("B 1",), "111 22", "Stockholm", "SE")
    assert corrections(given, kept) == {
        "postal_code": "'11122' -> '111 22'",
        "country": "'Sweden' -> 'SE'",
    }
    assert corrections(kept, kept) == {}


def test_a_list_counts_its_rows() -> None:
    found = AddressList("acc", "l", "postroom", datetime(2026, 1, 1, tzinfo=UTC))
    for status in (RowStatus.VALID, RowStatus.CORRECTED, RowStatus.INVALID, RowStatus.VALID):
        found.count(status)
    assert (found.row_count, found.usable_count, found.invalid_count) == (4, 3, 1)
