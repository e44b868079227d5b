"""The order statuses' rules: who sets which status, and which moves the table allows."""

from __future__ import annotations

import pytest

from postroom.domain.errors import ErrorCode, IllegalTransition, InvalidInput
from postroom.domain.orders import (
    ORDER_TRANSITIONS,
    SETTERS,
    DeliveryService,
    OrderStatus,
    Party,
    Product,
    check_move,
)

S = OrderStatus
HUB, PROVIDER, CARRIER = (frozenset({p}) for p in (Party.HUB, Party.PROVIDER, Party.CARRIER))


def test_every_status_has_its_setters_and_its_moves() -> None:
    assert set(SETTERS) == set(OrderStatus) == set(ORDER_TRANSITIONS)
    assert len(OrderStatus) == 14


@pytest.mark.parametrize(
    ("parties", "statuses"),
    [
        (HUB, {S.AWAITING_PAYMENT, S.PAID, S.READY, S.UNKNOWN}),
        (PROVIDER, {S.PROCESSING, S.CANCELLED, S.EXPIRED, S.READY}),
        (
            CARRIER,
            {
                S.AWAITING_PICKUP,
                S.DELIVERING,
                S.DELIVERED,
                S.CONFIRMED,
                S.PROBLEM,
                S.RETURNING,
                S.RETURNED,
            },
        ),
    ],
    ids=["hub 1-2", "provider 3-6", "carrier 7-13"],
)
def test_each_party_sets_its_own_statuses_only(
    parties: frozenset[Party], statuses: set[OrderStatus]
) -> None:
    assert {s for s, setters in SETTERS.items() if setters & parties} == statuses


def test_a_provider_cannot_say_an_order_is_paid() -> None:
    with pytest.raises(IllegalTransition) as refused:
        check_move(S.UNKNOWN, S.PAID, PROVIDER)
    assert refused.value.code is ErrorCode.STATUS_NOT_YOURS


def test_a_move_out_of_the_table_raises() -> None:
    with pytest.raises(IllegalTransition) as refused:
        check_move(S.CANCELLED, S.READY, PROVIDER)
    assert refused.value.code is ErrorCode.ILLEGAL_TRANSITION
    with pytest.raises(IllegalTransition):
        check_move(S.UNKNOWN, S.DELIVERED, CARRIER)


def test_a_story_from_order_to_confirmed_delivery() -> None:
    steps = [
        (S.UNKNOWN, S.AWAITING_PAYMENT, HUB),
        (S.AWAITING_PAYMENT, S.PAID, HUB),
        (S.PAID, S.PROCESSING, PROVIDER),
        (S.PROCESSING, S.READY, PROVIDER),
        (S.READY, S.AWAITING_PICKUP, CARRIER),
        (S.AWAITING_PICKUP, S.DELIVERING, CARRIER),
        (S.DELIVERING, S.DELIVERED, CARRIER),
        (S.DELIVERED, S.CONFIRMED, CARRIER),
    ]
    assert all(check_move(a, b, who) for a, b, who in steps)


def test_a_repeated_status_changes_nothing() -> None:
    assert check_move(S.READY, S.READY, HUB) is False


def test_final_statuses_lead_nowhere() -> None:
    assert {s for s, targets in ORDER_TRANSITIONS.items() if not targets} == {
        S.CONFIRMED,
        S.RETURNED,
        S.CANCELLED,
        S.EXPIRED,
    }


PRODUCT = Product(price=1, quantity=1, length=1, width=1, height=1, weight=0.25)


def test_pickup_point_and_product_code_are_required_with_more_than_one() -> None:
    several = DeliveryService("a", "1", ("P1", "P2"), ("X", "Y"))
    with pytest.raises(InvalidInput) as refused:
        several.check_order(None, [PRODUCT])
    assert refused.value.code is ErrorCode.PICKUP_POINT_REQUIRED
    with pytest.raises(InvalidInput) as refused:
        several.check_order("P1", [PRODUCT])
    assert refused.value.code is ErrorCode.PRODUCT_CODE_REQUIRED
    with pytest.raises(InvalidInput) as refused:
        several.check_order("P3", [PRODUCT])
    assert refused.value.code is ErrorCode.UNKNOWN_PICKUP_POINT
    several.check_order("P2", [Product(**{**PRODUCT.__dict__, "code": "Y"})])


def test_one_pickup_point_and_product_need_no_code() -> None:
    DeliveryService("a", "1", ("P1",), ("X",)).check_order(None, [PRODUCT])
