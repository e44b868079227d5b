"""Ekopost's reachable checks: the reachability registry and the e-invoice compliance check."""

from __future__ import annotations

from typing import Any

from postroom.dialects.ekopost.auth import EkopostPrincipal
from postroom.dialects.ekopost.mapping import EkopostCode, EkopostError
from postroom.dialects.ekopost.routes.common import new_router
from postroom.dialects.ekopost.schemas import EinvoiceReadyIn, EinvoiceReadyOut
from postroom.domain.einvoice import EinvoiceParties
from postroom.domain.reachability import ReachKind
from postroom.http.deps import ContainerDep
from postroom.services import einvoice, reachability

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
