"""Ekopost's address objects for what leaves through the hand-off channel (`einvoice`,
`ebank`, `einbox_signer`, `einvoice_mastercard`) and `lookup`: their shape and Ekopost's own
value words read here (127 for a word Ekopost does not list); the core checks the rest
(recipients and signers, identifiers, e-bank senders: services/handoff.HandOffRequest)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from postroom.dialects.ekopost.mapping import EkopostCode, EkopostError, _text
from postroom.domain.handoff import HandOffKind, IdentifierScheme, Signer
from postroom.services.handoff import HandOffRequest

# The address objects' `$type` -> the core's hand-off kind; `lookup` is answered apart.
HANDOFF_TYPES: dict[str, HandOffKind] = {
    "einvoice": HandOffKind.EINVOICE,
    "ebank": HandOffKind.EBANK,
    "einbox_signer": HandOffKind.SIGNING,
    "einvoice_mastercard": HandOffKind.MASTERCARD,
}
LOOKUP_TYPE = "lookup"

# The seed's "Format values", "Identifier values" and "Intermediator values" of `einvoice`.
EINVOICE_FORMATS = (
    "svefaktura-1.0",
    "svefaktura-2.0-invoice",
    "svefaktura-2.0-creditnote",
    "peppol-bis-billing-3.0",
)
IDENTIFIER_TYPES = {scheme.value.lower(): scheme for scheme in IdentifierScheme}
INTERMEDIATORS = ("peppol",)
# `ebank`'s reference types, and `einvoice_mastercard`'s payment and document types.
REFERENCE_TYPES = ("ocr", "message")
PAYMENT_TYPES = (
    "EFAKTURA",
    "EFAKTURA_AND_AVTALEGIRO",
    "EFAKTURA_AND_EXTERNAL_AVTALEGIRO",
    "AVTALEGIRO",
)
BRAND_NAME_NEEDED = frozenset(p for p in PAYMENT_TYPES if p.startswith("EFAKTURA"))
DOCUMENT_TYPES = {
    0: "INVOICE",
    1: "CREDIT_NOTE",
    2: "REMINDER",
    3: "COLLECTION_NOTICE",
    4: "DUNNING",
    5: "PAYMENT_REQUEST",
    6: "ENFORCEMENT_WARNING",
}


def _invalid(message: str) -> EkopostError:
    return EkopostError(EkopostCode.INVALID_DATA, message)


def _one_of(
    address: Mapping[str, Any], key: str, allowed: tuple[str, ...], *, required: bool
) -> str:
    value = _text(dict(address), key)
    if not value:
        if required:
            raise _invalid(f"address.{key} is required: one of {', '.join(allowed)}")
        return ""
    if value.lower() not in {a.lower() for a in allowed}:
        raise _invalid(f"address.{key} must be one of {', '.join(allowed)}")
    return next(a for a in allowed if a.lower() == value.lower())


def _identifier_type(address: Mapping[str, Any], key: str) -> IdentifierScheme:
    value = _text(dict(address), key).lower()
    if value not in IDENTIFIER_TYPES:
        names = ", ".join(s.value for s in IdentifierScheme)
        raise _invalid(f"address.{key} must be one of {names}")
    return IDENTIFIER_TYPES[value]


def _boolean(address: Mapping[str, Any], key: str) -> None:
    value = address.get(key)
    if value is not None and not isinstance(value, bool):
        raise _invalid(f"address.{key} must be true or false")


def _amount(address: Mapping[str, Any], key: str) -> None:
    value = address.get(key)
    if value is None or value == "":
        return
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _invalid(f"address.{key} must be an amount")
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise _invalid(f"address.{key} must be an amount, e.g. 1250.00") from None
    if not number.is_finite():
        raise _invalid(f"address.{key} must be an amount, e.g. 1250.00")


def _date(address: Mapping[str, Any], key: str) -> None:
    value = _text(dict(address), key)
    if not value:
        return
    try:
        (datetime if "T" in value else date).fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _invalid(f"address.{key} must be a date (2026-12-31)") from None


def _einvoice(address: Mapping[str, Any], references: dict[str, Any]) -> HandOffRequest:
    _one_of(address, "format", EINVOICE_FORMATS, required=True)
    _one_of(address, "intermediator", INTERMEDIATORS, required=False)
    recipient = _text(dict(address), "recipient")
    identifiers = []
    if recipient:
        identifiers.append(("recipient", _identifier_type(address, "recipient_type"), recipient))
    sender = _text(dict(address), "sender")
    if sender:
        identifiers.append(("sender", _identifier_type(address, "sender_type"), sender))
    return HandOffRequest(
        kind=HandOffKind.EINVOICE,
        recipient=recipient,
        address=address,
        references=references,
        identifiers=tuple(identifiers),
    )


def _ebank(address: Mapping[str, Any], references: dict[str, Any]) -> HandOffRequest:
    _one_of(address, "reference_type", REFERENCE_TYPES, required=False)
    giro = _text(dict(address), "giro_number")
    if giro and not (giro.isascii() and giro.isdigit()):
        raise _invalid("address.giro_number holds digits only (no dashes or spaces)")
    _boolean(address, "autogiro")
    _amount(address, "amount")
    _date(address, "invoice_date")
    _date(address, "due_date")
    return HandOffRequest(
        kind=HandOffKind.EBANK,
        recipient=_text(dict(address), "recipient"),
        address=address,
        references=references,
        ebank_sender=_text(dict(address), "issuer") or None,
    )


def _signers(address: Mapping[str, Any]) -> tuple[Signer, ...]:
    listed = address.get("signers")
    if listed is None:
        return ()
    if not isinstance(listed, list) or not all(isinstance(s, dict) for s in listed):
        raise _invalid("address.signers must be an array of signer objects")
    signers = []
    for position, signer in enumerate(listed, start=1):
        email = _text(signer, "email")
        if not email:
            raise EkopostError(EkopostCode.MISSING_EMAIL, f"signer {position} has no email")
        issuer = signer.get("issuer")
        if issuer is not None and not isinstance(issuer, bool):
            raise _invalid(f"address.signers[{position}].issuer must be true or false")
        signers.append(
            Signer(recipient=_text(signer, "recipient"), email=email, issuer=bool(issuer))
        )
    return tuple(signers)


def _signing(address: Mapping[str, Any], references: dict[str, Any]) -> HandOffRequest:
    signers = _signers(address)
    info_mail = _text(dict(address), "info_mail")
    return HandOffRequest(
        kind=HandOffKind.SIGNING,
        recipient=next((s.recipient for s in signers if not s.issuer), ""),
        address=address,
        references=references,
        signers=signers,
        emails=tuple(s.email for s in signers) + ((info_mail,) if info_mail else ()),
    )


def _mastercard(address: Mapping[str, Any], references: dict[str, Any]) -> HandOffRequest:
    payment = _one_of(address, "payment_type", PAYMENT_TYPES, required=True)
    document_type = address.get("document_type")
    if document_type is not None and (
        isinstance(document_type, bool) or document_type not in DOCUMENT_TYPES
    ):
        numbers = ", ".join(f"{k} ({v})" for k, v in DOCUMENT_TYPES.items())
        raise _invalid(f"address.document_type must be one of {numbers}")
    for key in ("amount", "minimum_amount"):
        _amount(address, key)
    _date(address, "due_date")
    _boolean(address, "atg_notification")
    shipment = _text(dict(address), "shipment_id")
    if shipment:
        try:
            UUID(shipment)
        except ValueError:
            raise _invalid("address.shipment_id must be a Guid") from None
    if payment in BRAND_NAME_NEEDED and not _text(dict(address), "brand_name"):
        raise _invalid(f"address.brand_name must be set when payment_type is {payment}")
    recipient = _text(dict(address), "efaktura_identifier") or _text(
        dict(address), "social_security_number"
    )
    return HandOffRequest(
        kind=HandOffKind.MASTERCARD, recipient=recipient, address=address, references=references
    )


def lookup_recipient(address: Mapping[str, Any]) -> str:
    """The personal identity number a `lookup` address object names ("" for none)."""
    return _text(dict(address), "recipient")


READERS = {
    HandOffKind.EINVOICE: _einvoice,
    HandOffKind.EBANK: _ebank,
    HandOffKind.SIGNING: _signing,
    HandOffKind.MASTERCARD: _mastercard,
}


def handoff_request(
    kind: str, address: Mapping[str, Any], references: dict[str, Any]
) -> HandOffRequest:
    """The core's hand-off request for an address object of a HANDOFF_TYPES `$type`."""
    return READERS[HANDOFF_TYPES[kind]](address, references)
