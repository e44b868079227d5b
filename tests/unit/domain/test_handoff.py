"""The rules hand-off pieces are checked by: identifiers of each scheme, and signers."""

from __future__ import annotations

import pytest

from postroom.domain.errors import ErrorCode, InvalidInput
from postroom.domain.handoff import (
    IdentifierScheme,
    Signer,
    check_identifier,
    check_signers,
    ssn_problem,
)
from postroom.domain.states import PIECE_TRANSITIONS, PieceState


@pytest.mark.parametrize("number", ["811218-9876", "198112189876", "8112189876", "121212-1212"])
def test_a_personal_identity_number_with_its_check_digit_is_one(number: str) -> None:
    assert ssn_problem(number) is None


@pytest.mark.parametrize(
    ("number", "why"),
    [
        ("811218-9877", "a wrong check digit"),
        ("811318-9876", "a date that is none"),
        ("81121898", "10 or 12 digits"),
        ("811218-98X6", "10 or 12 digits"),
        ("178112189876", "10 or 12 digits"),  # no such century
    ],
)
def test_a_personal_identity_number_that_is_none_says_why(number: str, why: str) -> None:
    assert ssn_problem(number) == why


def test_a_coordination_number_has_its_day_plus_sixty() -> None:
    assert ssn_problem("701063-2391") is None


@pytest.mark.parametrize(
    ("scheme", "value"),
    [
        (IdentifierScheme.SE_REGNO, "556838-4119"),
        (IdentifierScheme.SE_SSNNO, "811218-9877"),
        (IdentifierScheme.GS1_GLN, "7350053850018"),
    ],
)
def test_an_identifier_failing_its_schemes_check_is_invalid_identifier(
    scheme: IdentifierScheme, value: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        check_identifier(scheme, value)
    assert raised.value.code is ErrorCode.INVALID_IDENTIFIER
    assert value in raised.value.message


def test_identifiers_of_each_scheme_pass() -> None:
    check_identifier(IdentifierScheme.SE_REGNO, "556838-4118")
    check_identifier(IdentifierScheme.SE_SSNNO, "19811218-9876")
    check_identifier(IdentifierScheme.GS1_GLN, "7350053850019")


ANNA = Signer(recipient="811218-9876", email="anna@example.se", issuer=True)
BO = Signer(recipient="121212-1212", email="bo@example.se")


def test_signers_with_one_issuer_pass() -> None:
    check_signers([ANNA, BO])
    check_signers([BO])


@pytest.mark.parametrize(
    ("signers", "code"),
    [
        ([], ErrorCode.SIGNER_MISSING),
        ([ANNA, Signer(recipient="", email="x@example.se")], ErrorCode.MISSING_RECIPIENT),
        ([ANNA, Signer(recipient="811218-9877", email="x@example.se")],
         ErrorCode.INVALID_IDENTIFIER),
        ([ANNA, Signer(recipient="121212-1212", email="b@example.se", issuer=True)],
         ErrorCode.INVALID_HANDOFF_ADDRESS),
        # The issuer again as a recipient, written another way.
        ([ANNA, Signer(recipient="19811218 9876", email="a2@example.se")],
         ErrorCode.SIGNER_IS_ISSUER),
    ],
)  # fmt: skip
def test_signers_are_refused_with_the_rule_they_break(
    signers: list[Signer], code: ErrorCode
) -> None:
    with pytest.raises(InvalidInput) as raised:
        check_signers(signers)
    assert raised.value.code is code


def test_a_handed_off_piece_follows_its_channels_report() -> None:
    after = PIECE_TRANSITIONS[PieceState.TRANSFERRED]
    assert {PieceState.SENT, PieceState.DELIVERED, PieceState.FAILED} <= after
