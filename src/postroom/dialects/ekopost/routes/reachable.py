"""Ekopost's reachable checks: the reachability registry, the e-invoice compliance check, the
Peppol lookup (the account's participant registry) and the e-bank list (its FUI numbers)."""

from __future__ import annotations

from typing import Any

from postroom.dialects.ekopost.auth import EkopostPrincipal
from postroom.dialects.ekopost.mapping import EkopostCode, EkopostError
from postroom.dialects.ekopost.routes.common import new_router
from postroom.dialects.ekopost.schemas import (
    EbankListIn,
    EinvoiceReadyIn,
    EinvoiceReadyOut,
    PeppolLookupIn,
    directory_answer,
)
from postroom.domain.einvoice import EinvoiceParties
from postroom.domain.reachability import ReachKind
from postroom.http.deps import ContainerDep
from postroom.services import einvoice, peppol, reachability

router = new_router()

# Ekopost's reachable/{type} path words -> the core registry's kinds.
REACH_KINDS = {
    "einbox": ReachKind.EINBOX,
    "ebank": ReachKind.EBANK,
    "einvoice": ReachKind.EINVOICE,
    "mastercard": ReachKind.MASTERCARD,
}
# The fields of a Mastercard check that identify the recipient, in the order tried.
MASTERCARD_KEYS = ("recipient", "ssn", "email", "phone_number")


def _asked(kind: str, body: dict[str, Any]) -> tuple[list[str], bool]:
    """The recipients asked about and whether the call named several (`recipients`)."""
    several = body.get("recipients")
    if several is not None:
        if not isinstance(several, list) or not all(isinstance(r, str) for r in several):
            raise EkopostError(EkopostCode.INVALID_DATA, "recipients must be an array of strings")
        found = [r for r in several if r.strip()]
        if not found:
            raise EkopostError(EkopostCode.MISSING_RECIPIENT, "recipients is empty")
        return found, True
    keys = MASTERCARD_KEYS if kind == "mastercard" else ("recipient",)
    for key in keys:
        value = body.get(key)
        if isinstance(value, str | int) and str(value).strip():
            return [str(value)], False
    raise EkopostError(EkopostCode.MISSING_RECIPIENT, f"give {' or '.join(keys)}")


@router.post(
    "/reachable/einvoiceready",
    response_model=EinvoiceReadyOut,
    summary="Check Einvoice Complience",
)
def check_einvoice_ready(
    body: EinvoiceReadyIn, c: ContainerDep, principal: EkopostPrincipal
) -> EinvoiceReadyOut:
    """Whether the e-invoice set-up from the sender to the receiver is complete (core
    services/einvoice.check_compliance): 200 with the four parameters echoed, `Success`,
    and the missing steps in `ErrorMessage` (empty on success)."""
    answer = einvoice.check_compliance(
        uow=c.uow(),
        account_id=principal.account_id,
        parties=EinvoiceParties(
            sender_cin=body.SenderCin,
            sender_gln=body.SenderGln,
            receiver_cin=body.ReceiverCin,
            receiver_gln=body.ReceiverGln,
        ),
    )
    return EinvoiceReadyOut(
        ReceiverCin=body.ReceiverCin,
        SenderCin=body.SenderCin,
        ReceiverGln=body.ReceiverGln,
        SenderGln=body.SenderGln,
        Success=answer.success,
        ErrorMessage=answer.error_message,
    )


@router.post("/reachable/peppol", summary="Peppol lookup")
def peppol_lookup(
    body: PeppolLookupIn, c: ContainerDep, principal: EkopostPrincipal
) -> dict[str, Any]:
    """The account's Peppol participants the search string finds (by name, organisation or
    VAT number: services/peppol.search), in the Peppol Directory's JSON search answer: 200
    with its `matches` (none is an empty list, as the directory answers); 119 without
    `Recipient`."""
    query = (body.Recipient or body.recipient).strip()
    if not query:
        raise EkopostError(EkopostCode.MISSING_RECIPIENT, "give Recipient: a name or number")
    found = peppol.search(uow=c.uow(), account_id=principal.account_id, query=query)
    return directory_answer(query, found, c.clock.now())


@router.post("/reachable/ebanklist", summary="Check ebank list status")
def ebank_list(body: EbankListIn, c: ContainerDep, principal: EkopostPrincipal) -> dict[str, Any]:
    """The receivers of one of the account's e-bank senders (`sender`, its FUI number):
    200 `{"recipient": [...]}`; 124 when the account has no such sender, 125 when it has no
    receivers; 127 without `sender`."""
    fui = body.sender.strip()
    if not fui:
        raise EkopostError(EkopostCode.INVALID_DATA, "give sender: the FUI number")
    receivers = reachability.ebank_receivers(uow=c.uow(), account_id=principal.account_id, fui=fui)
    return {"recipient": receivers}


@router.post("/reachable/{kind}", summary="Check reachable status")
def check_reachable(
    kind: str, body: dict[str, Any], c: ContainerDep, principal: EkopostPrincipal
) -> dict[str, Any]:
    """200 echoing the recipient (or the reachable ones of `recipients`) when the account's
    reachability registry knows it; 404 when not."""
    chosen = REACH_KINDS.get(kind.strip().lower())
    if chosen is None:
        raise EkopostError(
            EkopostCode.INVALID_DATA, f"type must be one of {', '.join(REACH_KINDS)}"
        )
    asked, several = _asked(kind.strip().lower(), body)
    found = reachability.reachable(
        uow=c.uow(), account_id=principal.account_id, kind=chosen, recipients=asked
    )
    if not found:
        raise EkopostError(EkopostCode.NOT_REACHABLE, "the recipient is not reachable", status=404)
    if several:
        return {"recipients": found}
    if chosen is ReachKind.MASTERCARD:
        return {"response": "reachable", "recipient": found[0]}
    return {"recipient": found[0]}
