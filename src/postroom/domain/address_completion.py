"""When a postal address given with a piece is complete, and what an incomplete one becomes:
the recipient is then completed from the document, for an extra cost (Ekopost: "If address
is of type postal and the postal address not is complete an extra cost is added")."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# The parts a complete postal address has (its country may be left to the default).
COMPLETE_PARTS = ("name", "street", "postal_code", "city")


@dataclass(frozen=True)
class GivenAddress:
    """A postal address as a sender gave it, each part possibly empty."""

    names: tuple[str, ...]
    streets: tuple[str, ...]
    postal_code: str
    city: str
    country: str

    def missing(self) -> tuple[str, ...]:
        """The parts of COMPLETE_PARTS it lacks, in that order."""
        present = {
            "name": bool(self.names),
            "street": bool(self.streets),
            "postal_code": bool(self.postal_code),
            "city": bool(self.city),
        }
        return tuple(part for part in COMPLETE_PARTS if not present[part])

    @property
    def empty(self) -> bool:
        """Nothing given: the address is the document's, at no extra cost."""
        return len(self.missing()) == len(COMPLETE_PARTS)

    @property
    def complete(self) -> bool:
        """Every part given: the address is the recipient."""
        return not self.missing()


def missing_text(missing: Sequence[str]) -> str:
    """`name, city` for a warning or a message."""
    return ", ".join(missing)
