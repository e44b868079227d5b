"""Address lists for mail merge: named column mappings that turn a row (a CSV line, a JSON
object, a vendor's XML address) into a recipient, and the report kept per row."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from postroom.domain.model import Recipient, new_id

MAX_ROWS = 100_000  # most addresses one list holds
MAX_CELL = 200  # characters of one cell kept


class RowStatus(StrEnum):
    """What checking one row found."""

    VALID = "valid"  # taken as given
    CORRECTED = "corrected"  # taken in the country's form (what changed is said)
    INVALID = "invalid"  # left out of every mail merge (why is said)


@dataclass(frozen=True)
class ColumnMapping:
    """How a row's named columns make a recipient. Name lines are joined from groups of
    columns ("First_name Last_name"); a missing country is `default_country`."""

    name: str
    name_lines: tuple[tuple[str, ...], ...]
    street_lines: tuple[str, ...]
    postal_code: str
    city: str
    region: str
    country: str
    required: tuple[str, ...]  # the header must hold these
    default_country: str = ""

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column the mapping reads."""
        names = [c for group in self.name_lines for c in group]
        names += [*self.street_lines, self.postal_code, self.city, self.region, self.country]
        return tuple(names)

    def recipient(self, row: Mapping[str, str], default_country: str = "") -> Recipient:
        """The recipient the row names, unchecked (the country's rules judge it later)."""

        def cell(column: str) -> str:
            return " ".join((row.get(column) or "").split())

        names = (" ".join(filter(None, (cell(c) for c in group))) for group in self.name_lines)
        return Recipient(
            name_lines=tuple(n for n in names if n),
            street_lines=tuple(s for s in (cell(c) for c in self.street_lines) if s),
            postal_code=cell(self.postal_code),
            city=cell(self.city),
            country=cell(self.country) or default_country or self.default_country,
            region=cell(self.region),
        )


# The native mapping: one column per part of an address.
POSTROOM = ColumnMapping(
    name="postroom",
    name_lines=(("name",), ("name2",)),
    street_lines=("street", "street2", "street3"),
    postal_code="postal_code",
    city="city",
    region="region",
    country="country",
    required=("name", "street", "city"),
)

# Click2Mail's standard address mapping (its addressMappingId 1): the fields of an
# <address> in its addressLists call; a US address leaves Country_non-US empty.
CLICK2MAIL_STANDARD = ColumnMapping(
    name="click2mail_standard",
    name_lines=(("First_name", "Last_name"), ("Organization",)),
    street_lines=("Address1", "Address2", "Address3"),
    postal_code="Zip",
    city="City",
    region="State",
    country="Country_non-US",
    required=("Address1", "City"),
    default_country="US",
)

MAPPINGS: dict[str, ColumnMapping] = {m.name: m for m in (POSTROOM, CLICK2MAIL_STANDARD)}


def corrections(given: Recipient, checked: Recipient) -> dict[str, str]:
    """Field -> "given -> kept" for each part the country's form changed (spacing aside)."""
    found: dict[str, str] = {}
    pairs = {
        "postal_code": (given.postal_code, checked.postal_code),
        "country": (given.country, checked.country),
        "region": (given.region, checked.region),
        "city": (given.city, checked.city),
    }
    for name, (before, after) in pairs.items():
        if " ".join(before.split()) != after:
            found[name] = f"{before!r} -> {after!r}"
    return found


@dataclass(frozen=True)
class ListedAddress:
    """One row of a list and what checking it found."""

    row: int  # 1-based, data rows only (a CSV's header is not counted)
    status: RowStatus
    given: dict[str, str]  # the row as sent (cells cut to MAX_CELL)
    recipient: Recipient | None  # the checked recipient; None when invalid
    problems: dict[str, str] = field(default_factory=dict)  # field -> why (or what changed)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of the report."""
        return {
            "row": self.row,
            "status": self.status.value,
            "given": dict(self.given),
            "recipient": self.recipient.to_dict() if self.recipient else None,
            "problems": dict(self.problems),
        }


@dataclass(eq=False)
class AddressList:
    """A named list of addresses of one account, with the counts of its report."""

    account_id: str
    name: str
    mapping: str
    created_at: datetime
    row_count: int = 0
    valid_count: int = 0
    corrected_count: int = 0
    invalid_count: int = 0
    id: str = field(default_factory=new_id)

    @property
    def usable_count(self) -> int:
        """Rows a mail merge makes a piece of: valid and corrected ones."""
        return self.valid_count + self.corrected_count

    def count(self, status: RowStatus) -> None:
        """Add one row of `status` to the counts."""
        self.row_count += 1
        if status is RowStatus.VALID:
            self.valid_count += 1
        elif status is RowStatus.CORRECTED:
            self.corrected_count += 1
        else:
            self.invalid_count += 1
