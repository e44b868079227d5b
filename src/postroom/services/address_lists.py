"""Use cases for address lists: create one from rows (JSON objects, a CSV file with a header
row, a vendor's addresses) through a named column mapping, each address checked as any
given address is, with a report per row; list, get, read rows, delete."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import BinaryIO

from lxml import etree

from postroom.addresses.validate import check_given_address
from postroom.domain.address_lists import (
    MAPPINGS,
    MAX_CELL,
    MAX_ROWS,
    AddressList,
    ColumnMapping,
    ListedAddress,
    RowStatus,
    corrections,
)
from postroom.domain.clock import Clock
from postroom.domain.errors import ErrorCode, InvalidInput, NotFound
from postroom.domain.model import Recipient
from postroom.services.ports import UnitOfWork

CHUNK = 1000  # rows checked and written together
BROKEN_ROW = "_row"  # the problems key of a row that is broken as a row (not an address field)

# A CSV row is a dict of its header's columns; None for a cell the row lacks.
Row = Mapping[str, str | None]


def mapping_named(name: str) -> ColumnMapping:
    """The named column mapping; InvalidInput unknown_mapping otherwise."""
    found = MAPPINGS.get(name)
    if found is None:
        raise InvalidInput(
            f"no column mapping {name!r}; known: {', '.join(sorted(MAPPINGS))}",
            code=ErrorCode.UNKNOWN_MAPPING,
            detail={"mapping": name},
        )
    return found


def check_row(
    number: int, row: Row, mapping: ColumnMapping, default_country: str, *, broken: str = ""
) -> ListedAddress:
    """One row checked: valid, corrected (what changed) or invalid (why, per field)."""
    given = {str(k): (v or "")[:MAX_CELL] for k, v in row.items() if k is not None}
    if broken:
        return ListedAddress(number, RowStatus.INVALID, given, None, {BROKEN_ROW: broken})
    raw = mapping.recipient({k: v or "" for k, v in given.items()}, default_country)
    try:
        checked = check_given_address(raw)
    except InvalidInput as refused:
        fields = (refused.detail or {}).get("fields") or {"address": refused.message}
        return ListedAddress(number, RowStatus.INVALID, given, None, dict(fields))
    changed = corrections(raw, checked)
    status = RowStatus.CORRECTED if changed else RowStatus.VALID
    return ListedAddress(number, status, given, checked, changed)


def create_address_list(
    *,
    uow: UnitOfWork,
    clock: Clock,
    account_id: str,
    name: str,
    rows: Iterable[tuple[Row, str]],
    mapping: str = "postroom",
    default_country: str = "",
) -> AddressList:
    """A list of every row, each checked through the named `mapping` (a row's country, else
    `default_country`, else the mapping's), written a chunk at a time in one transaction:
    any refusal (InvalidInput too_many_rows, invalid_csv, ...) leaves nothing stored.
    `rows` yields (row, why it is broken as a row or "")."""
    columns = mapping_named(mapping)
    with uow:
        address_list = AddressList(
            account_id=account_id, name=name, mapping=columns.name, created_at=clock.now()
        )
        uow.address_lists.add(address_list)
        chunk: list[ListedAddress] = []
        for number, (row, broken) in enumerate(rows, start=1):
            if number > MAX_ROWS:
                raise InvalidInput(
                    f"an address list holds at most {MAX_ROWS} addresses",
                    code=ErrorCode.TOO_MANY_ROWS,
                    detail={"max_rows": MAX_ROWS},
                )
            entry = check_row(number, row, columns, default_country, broken=broken)
            address_list.count(entry.status)
            chunk.append(entry)
            if len(chunk) == CHUNK:
                uow.address_lists.add_entries(address_list.id, chunk)
                chunk = []
        uow.address_lists.add_entries(address_list.id, chunk)
        uow.address_lists.save_counts(address_list)
        uow.commit()
    return address_list


def recipient_rows(recipients: Iterable[Recipient]) -> Iterator[tuple[Row, str]]:
    """Structured addresses (a JSON list) as rows of the native mapping."""
    for r in recipients:
        names = list(r.name_lines)
        streets = list(r.street_lines)
        row: dict[str, str | None] = {
            "name": names[0] if names else "",
            "name2": " ".join(names[1:]),
            "street": streets[0] if streets else "",
            "street2": streets[1] if len(streets) > 1 else "",
            "street3": " ".join(streets[2:]),
            "postal_code": r.postal_code,
            "city": r.city,
            "region": r.region,
            "country": r.country,
        }
        yield row, ""


def csv_rows(upload: BinaryIO, mapping: str) -> Iterator[tuple[Row, str]]:
    """The data rows of a CSV file (UTF-8, a header row naming the mapping's columns,
    comma or semicolon separated), each with why it is broken as a row ("" when it is
    not): a row with more or fewer cells than the header. InvalidInput invalid_csv for a
    file the csv module cannot read, csv_columns_missing for a header without the
    mapping's required columns."""
    columns = mapping_named(mapping)
    text = io.TextIOWrapper(upload, encoding="utf-8-sig", newline="")
    try:
        # The separator is the header's (Excel writes ";" where "," is the decimal comma).
        first = text.readline()
        try:
            dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(first, ",;\t")
        except csv.Error:
            dialect = csv.excel
        text.seek(0)
        reader = csv.DictReader(text, dialect=dialect, restkey=None, restval=None)
        header = [h.strip() for h in reader.fieldnames or []]
        missing = [c for c in columns.required if c not in header]
        if missing:
            raise InvalidInput(
                f"the CSV header lacks the {columns.name} mapping's columns "
                f"{', '.join(missing)} (it has {', '.join(header) or 'none'})",
                code=ErrorCode.CSV_COLUMNS_MISSING,
                detail={"missing": missing, "header": header[:50]},
            )
        reader.fieldnames = header
        for row in reader:
            yield row, _broken(row, len(header))
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"the CSV file is not UTF-8 text: {exc.reason} at byte {exc.start}",
            code=ErrorCode.INVALID_CSV,
        ) from exc
    except csv.Error as exc:
        raise InvalidInput(
            f"the CSV file cannot be read: {exc}", code=ErrorCode.INVALID_CSV
        ) from exc
    finally:
        text.detach()


def xml_rows(upload: BinaryIO, mapping: str, *, tag: str = "address") -> Iterator[tuple[Row, str]]:
    """The `<address>` elements of an XML file, read one at a time (lxml's iterparse: no
    entities, no DTD, no network), each a row of its children's texts by tag, through the
    named mapping's columns. InvalidInput invalid_xml for a file that is not well-formed."""
    mapping_named(mapping)
    events = etree.iterparse(
        upload,
        events=("end",),
        tag=tag,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=True,
    )
    try:
        for _, element in events:
            row: dict[str, str | None] = {
                str(child.tag): " ".join((child.text or "").split())
                for child in element
                if isinstance(child.tag, str)
            }
            # Forget the element and those read before it: the tree stays one address deep.
            element.clear()
            while element.getprevious() is not None:
                del element.getparent()[0]
            yield row, ""
    except etree.XMLSyntaxError as exc:
        raise InvalidInput(
            f"the XML file is not well-formed: {exc}", code=ErrorCode.INVALID_XML
        ) from exc


def _broken(row: Mapping[str | None, object], width: int) -> str:
    """Why a CSV row is broken as a row: cells beyond the header, or cells missing."""
    extra = row.get(None)
    if isinstance(extra, list) and extra:
        return f"the row has {width + len(extra)} cells; the header names {width}"
    lacking = sum(1 for k, v in row.items() if k is not None and v is None)
    if lacking:
        return f"the row has {width - lacking} cells; the header names {width}"
    return ""


def get_address_list(*, uow: UnitOfWork, account_id: str, list_id: str) -> AddressList:
    """One of the account's lists; NotFound otherwise."""
    with uow:
        found = uow.address_lists.get(account_id, list_id)
        if found is None:
            raise NotFound(f"no address list {list_id}")
        return found


def list_address_lists(
    *,
    uow: UnitOfWork,
    account_id: str,
    before: tuple[datetime, str] | None = None,
    limit: int = 50,
) -> list[AddressList]:
    """A page of the account's lists, newest first."""
    with uow:
        return uow.address_lists.of_account(account_id, before=before, limit=limit)


def list_rows(
    *,
    uow: UnitOfWork,
    account_id: str,
    list_id: str,
    statuses: Sequence[RowStatus] | None = None,
    after: int = 0,
    limit: int = 1000,
) -> tuple[AddressList, list[ListedAddress]]:
    """The list and a page of its rows after row `after`, of `statuses` when given."""
    with uow:
        found = uow.address_lists.get(account_id, list_id)
        if found is None:
            raise NotFound(f"no address list {list_id}")
        return found, uow.address_lists.entries(
            list_id, statuses=statuses, after=after, limit=limit
        )


def delete_address_list(*, uow: UnitOfWork, account_id: str, list_id: str) -> None:
    """Remove the list and its rows (pieces made from it keep their own recipients)."""
    with uow:
        if not uow.address_lists.remove(account_id, list_id):
            raise NotFound(f"no address list {list_id}")
        uow.commit()
