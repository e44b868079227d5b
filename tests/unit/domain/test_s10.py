"""S10 identifiers: the standard's own worked example and round trips."""

from __future__ import annotations

import pytest

from postroom.domain import s10


def test_the_standards_example() -> None:
    # The example usually quoted for S10: EE 12345678 5 US (weighted sum 204, 204 mod 11 = 6,
    # 11 - 6 = 5); and the two special cases.
    assert s10.check_digit("12345678") == 5
    assert s10.identifier(12345678, "us", service="EE") == "EE123456785US"
    assert s10.identifier(12345678, "se") == "RR123456785SE"


@pytest.mark.parametrize("number", [0, 1, 7, 12345678, 99999999, 10**8 + 5])
def test_identifiers_are_valid(number: int) -> None:
    value = s10.identifier(number, "NO")
    assert s10.is_valid(value)
    assert len(value) == 13


def test_a_wrong_digit_is_caught() -> None:
    value = s10.identifier(12345678, "SE")
    assert not s10.is_valid(value[:10] + "4" + value[11:])
    with pytest.raises(ValueError):
        s10.check_digit("1234")
