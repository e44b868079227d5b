"""Pieces that leave Postroom through a hand-off channel (Peppol e-invoices, e-bank
invoices, documents to sign, Mastercard e-invoices): the kinds, the recipients' identifiers
and the signing rules they are checked by, and what a hand-off channel may report back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from postroom.domain.einvoice import cin_problem, gln_problem, luhn_valid
from postroom.domain.errors import ErrorCode, InvalidInput
from postroom.domain.states import PieceState


class HandOffKind(StrEnum):
    """What network a handed-off piece is meant for (the receiving side does the rest)."""

    EINVOICE = "einvoice"  # an e-invoice to a company (Peppol access point or an operator)
    EBANK = "ebank"  # an invoice to the recipient's internet bank
    SIGNING = "signing"  # a document signed by its signers (e-inbox or BankID)
    MASTERCARD = "mastercard"  # an invoice through Mastercard's e-invoicing (eFaktura)


class IdentifierScheme(StrEnum):
    """How a party of an e-invoice is identified (Ekopost's identifier type values)."""

    SE_REGNO = "SE.REGNO"  # a Swedish organisation number, 556838-4118
    SE_SSNNO = "SE.SSNNO"  # a Swedish personal identity number, YYMMDD-XXXX
    GS1_GLN = "GS1.GLN"  # a GS1 global location number, 13 digits


SSN_DIGITS = 10
CENTURIES = ("18", "19", "20")


def ssn_digits(value: str) -> str:
    """A personal identity number's ten digits (no separator, no century), for comparing."""
    digits = value.strip().replace("-", "").replace("+", "").replace(" ", "")
    if len(digits) == SSN_DIGITS + 2 and digits[:2] in CENTURIES:
        return digits[2:]
    return digits


def ssn_problem(value: str) -> str | None:
    """Why a Swedish personal identity number (personnummer, or a coordination number whose
    day is 61-91) is not one: YYMMDD-XXXX or YYYYMMDDXXXX, a real month and day, the last
    digit a Luhn check digit over the ten."""
    digits = ssn_digits(value)
    if len(digits) != SSN_DIGITS or not digits.isascii() or not digits.isdigit():
        return f"{SSN_DIGITS} or 12 digits"
    month, day = int(digits[2:4]), int(digits[4:6])
    if not 1 <= month <= 12 or not (1 <= day <= 31 or 61 <= day <= 91):
        return "a date that is none"
    if not luhn_valid(digits):
        return "a wrong check digit"
    return None


_PROBLEMS = {
    IdentifierScheme.SE_REGNO: (cin_problem, "an organisation number"),
    IdentifierScheme.SE_SSNNO: (ssn_problem, "a personal identity number"),
    IdentifierScheme.GS1_GLN: (gln_problem, "a global location number"),
}


def check_identifier(scheme: IdentifierScheme, value: str, *, what: str = "recipient") -> None:
    """InvalidInput invalid_identifier when `value` is not a valid identifier of `scheme`."""
    problem, name = _PROBLEMS[scheme]
    why = problem(value)
    if why is not None:
        raise InvalidInput(
            f"the {what} {value!r} is not {name} ({why})",
            code=ErrorCode.INVALID_IDENTIFIER,
            detail={"scheme": scheme.value, "value": value},
        )


@dataclass(frozen=True)
class Signer:
    """One party that signs a document: its personal identity number, where the link to
    sign is sent, and whether it is the document's issuer."""

    recipient: str
    email: str
    issuer: bool = False


def check_signers(signers: Sequence[Signer]) -> None:
    """A document to sign needs a signer (signer_missing), each with a valid personal
    identity number (missing_recipient, invalid_identifier), at most one issuer
    (invalid_handoff_address), and no signer that is the issuer again (signer_is_issuer:
    the issuer signs once, as the issuer)."""
    if not signers:
        raise InvalidInput("a document to sign needs a signer", code=ErrorCode.SIGNER_MISSING)
    for position, signer in enumerate(signers, start=1):
        if not signer.recipient.strip():
            raise InvalidInput(
                f"signer {position} has no recipient", code=ErrorCode.MISSING_RECIPIENT
            )
        check_identifier(IdentifierScheme.SE_SSNNO, signer.recipient, what=f"signer {position}")
    issuers = [s for s in signers if s.issuer]
    if len(issuers) > 1:
        raise InvalidInput(
            f"{len(issuers)} signers are the issuer; one at most can be",
            code=ErrorCode.INVALID_HANDOFF_ADDRESS,
        )
    if issuers:
        issuer = ssn_digits(issuers[0].recipient)
        again = [s for s in signers if not s.issuer and ssn_digits(s.recipient) == issuer]
        if again:
            raise InvalidInput(
                f"the issuer {issuers[0].recipient!r} is also a recipient among the signers",
                code=ErrorCode.SIGNER_IS_ISSUER,
            )


class HandOffReport(StrEnum):
    """What a hand-off channel reports about a piece it was given."""

    SENT = "sent"  # the receiving network took it
    DELIVERED = "delivered"  # it reached the recipient (signed, in the bank, at the buyer)
    FAILED = "failed"  # it will not reach the recipient; the reason says why


REPORTED_STATES: dict[HandOffReport, PieceState] = {
    HandOffReport.SENT: PieceState.SENT,
    HandOffReport.DELIVERED: PieceState.DELIVERED,
    HandOffReport.FAILED: PieceState.FAILED,
}
