"""Mail merge rules: where each recipient of a list is printed, and how many pieces one
order of a service may hold."""

from __future__ import annotations

from postroom.domain.errors import ErrorCode, InvalidInput
from postroom.domain.model import AddressPlacement


def merge_placement(
    chosen: AddressPlacement | None, *, address_page_only: bool, window_blank: bool | None
) -> AddressPlacement:
    """Where every piece of a merge gets its recipient: an address page where the service or
    envelope prints one, else the sender's choice; without one, the window when the
    document leaves it blank and an address page otherwise. `as_printed` cannot be: one
    document cannot carry every recipient of a list (InvalidInput option_not_available)."""
    if chosen is AddressPlacement.AS_PRINTED:
        raise InvalidInput(
            "a mail merge prints each recipient of the list: choose address_placement window "
            "or address_page",
            code=ErrorCode.OPTION_NOT_AVAILABLE,
            detail={"address_placement": chosen.value},
        )
    if address_page_only:
        return AddressPlacement.ADDRESS_PAGE
    if chosen is not None:
        return chosen
    return AddressPlacement.WINDOW if window_blank else AddressPlacement.ADDRESS_PAGE


def check_quantity(quantity: int, *, minimum: int, maximum: int | None, service: str) -> None:
    """InvalidInput quantity_too_low / quantity_too_high when an order of `quantity` pieces
    is outside the service's limits (detail: quantity, minimum or maximum)."""
    if quantity < minimum:
        raise InvalidInput(
            f"the service {service} takes at least {minimum} pieces an order; this one has "
            f"{quantity}",
            code=ErrorCode.QUANTITY_TOO_LOW,
            detail={"quantity": quantity, "minimum": minimum},
        )
    if maximum is not None and quantity > maximum:
        raise InvalidInput(
            f"the service {service} takes at most {maximum} pieces an order; this one has "
            f"{quantity}",
            code=ErrorCode.QUANTITY_TOO_HIGH,
            detail={"quantity": quantity, "maximum": maximum},
        )
