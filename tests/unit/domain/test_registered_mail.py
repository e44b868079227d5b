"""Registered mail's address limits (domain/registered_mail.py)."""

from __future__ import annotations

import pytest

from postroom.domain.errors import ErrorCode, InvalidInput
from postroom.domain.model import Postage, Recipient
from postroom.domain.registered_mail import check_registered_address


def _to(name: str = "Anna Svensson", postal_code: str = "111 22") -> Recipient:
    return Recipient((name,), ("Storgatan 1",), postal_code, "Stockholm", "SE")


def test_an_address_within_the_limits_passes() -> None:
    check_registered_address(_to("A" * 35, "11122"), Postage.REGISTERED)


@pytest.mark.parametrize(
    ("recipient", "code"),
    [
        (_to(name="A" * 36), ErrorCode.REGISTERED_LINE_TOO_LONG),
        (_to(postal_code="1112"), ErrorCode.REGISTERED_POSTAL_CODE),
        (_to(postal_code="111 2A"), ErrorCode.REGISTERED_POSTAL_CODE),
    ],
)
def test_an_address_breaking_them_is_refused(recipient: Recipient, code: ErrorCode) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_registered_address(recipient, Postage.REGISTERED)
    assert refused.value.code is code


def test_other_postage_and_a_window_address_to_come_pass() -> None:
    check_registered_address(_to(name="A" * 80), Postage.ECONOMY)
    check_registered_address(None, Postage.REGISTERED)
