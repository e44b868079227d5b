"""/v1/address-lists: lists of recipients for mail merge, from JSON or a CSV file, each row
checked for its country with a report (valid, corrected, invalid and why)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import datetime
from typing import IO, Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from starlette.concurrency import run_in_threadpool

from postroom.api.cursors import decode_time_cursor, encode_time_cursor
from postroom.api.json_stream import JsonSyntax, ObjectReader
from postroom.api.schemas import OptionsIn, RecipientOut, inlined
from postroom.domain.address_lists import MAPPINGS, MAX_ROWS, AddressList, ListedAddress, RowStatus
from postroom.domain.errors import ErrorCode, InvalidInput
from postroom.domain.model import Recipient
from postroom.http.deps import ContainerDep, PrincipalDep
from postroom.services import address_lists, mail_merge

router = APIRouter(prefix="/address-lists", tags=["address lists"])

INLINE_ROWS = 1000  # rows not valid shown in a create answer; more through /rows
Cell = Annotated[str, StringConstraints(max_length=200)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Country = Annotated[str, StringConstraints(strip_whitespace=True, max_length=60)]


class AddressRowIn(BaseModel):
    """One address of a list. Nothing is required here: each row is judged by its
    country's rules and reported, so one bad row does not refuse the list."""

    model_config = ConfigDict(extra="forbid")

    name_lines: list[Cell] = Field(default_factory=list, max_length=4)
    street_lines: list[Cell] = Field(default_factory=list, max_length=4)
    postal_code: Cell = ""
    city: Cell = ""
    region: Cell = ""
    country: Country = ""

    def to_domain(self) -> Recipient:
        return Recipient(
            tuple(self.name_lines),
            tuple(self.street_lines),
            self.postal_code,
            self.city,
            self.country,
            self.region,
        )


class AddressListIn(BaseModel):
    """A new list from structured addresses."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    default_country: Country = Field(
        default="", description="The country of rows that name none (code or name)"
    )
    addresses: list[AddressRowIn] = Field(max_length=MAX_ROWS)


class RowOut(BaseModel):
    """One row of the report."""

    row: int = Field(description="1-based; a CSV file's header row is not counted")
    status: Literal["valid", "corrected", "invalid"]
    given: dict[str, str] = Field(description="The row as sent")
    recipient: RecipientOut | None = Field(description="As kept; null when invalid")
    problems: dict[str, str] = Field(
        description="Invalid: field -> why (`_row` for a CSV row with the wrong number of "
        "cells). Corrected: field -> what changed"
    )

    @classmethod
    def of(cls, entry: ListedAddress) -> RowOut:
        return cls(
            row=entry.row,
            status=entry.status.value,
            given=entry.given,
            recipient=RecipientOut.of(entry.recipient) if entry.recipient else None,
            problems=entry.problems,
        )


class AddressListOut(BaseModel):
    """A list and its report's counts."""

    id: str
    name: str
    mapping: str
    created_at: datetime
    rows: int
    valid: int
    corrected: int
    invalid: int

    @classmethod
    def of(cls, found: AddressList) -> AddressListOut:
        return cls(
            id=found.id,
            name=found.name,
            mapping=found.mapping,
            created_at=found.created_at,
            rows=found.row_count,
            valid=found.valid_count,
            corrected=found.corrected_count,
            invalid=found.invalid_count,
        )


class AddressListReport(AddressListOut):
    """A new list with its rows that are not taken as given (the first INLINE_ROWS)."""

    report: list[RowOut]


class AddressListPage(BaseModel):
    data: list[AddressListOut]
    next_cursor: str | None


class RowPage(BaseModel):
    data: list[RowOut]
    next_after: int | None = Field(description="Give it as `after` for the next page")


def _report(c: ContainerDep, account_id: str, found: AddressList) -> AddressListReport:
    _, rows = address_lists.list_rows(
        uow=c.uow(),
        account_id=account_id,
        list_id=found.id,
        statuses=(RowStatus.CORRECTED, RowStatus.INVALID),
        limit=INLINE_ROWS,
    )
    return AddressListReport(
        **AddressListOut.of(found).model_dump(), report=[RowOut.of(r) for r in rows]
    )


class AddressListHead(BaseModel):
    """AddressListIn's members but its addresses (which are read one at a time)."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    default_country: Country = ""


MAX_ERRORS = 100  # validation errors reported at most (the rest are alike)


def _list_body_schema() -> dict[str, Any]:
    schema = AddressListIn.model_json_schema()
    return {
        "required": True,
        "content": {"application/json": {"schema": inlined(schema, schema.get("$defs", {}))}},
    }


@router.post(
    "",
    status_code=201,
    response_model=AddressListReport,
    summary="Create a list",
    openapi_extra={"requestBody": _list_body_schema()},
)
async def create_list(
    request: Request, c: ContainerDep, principal: PrincipalDep
) -> AddressListReport:
    """Check every address for its country and keep the list with a report per row."""
    # The body (an AddressListIn) goes to a spooled file, on disk past 1 MB, and is read
    # back an address at a time: twice, to check it all before anything is stored.
    with tempfile.SpooledTemporaryFile(max_size=1 << 20) as body:
        async for chunk in request.stream():
            body.write(chunk)
        return await run_in_threadpool(_create_from_json, body, c, principal.account_id)


def _create_from_json(body: IO[bytes], c: ContainerDep, account_id: str) -> AddressListReport:
    head = _checked_json(body)
    found = address_lists.create_address_list(
        uow=c.uow(),
        clock=c.clock,
        account_id=account_id,
        name=head.name,
        rows=address_lists.recipient_rows(
            AddressRowIn.model_validate(a).to_domain() for a in _json_addresses(body)
        ),
        default_country=head.default_country,
    )
    return _report(c, account_id, found)


def _checked_json(body: IO[bytes]) -> AddressListHead:
    """Pass one: every member and address validated (as FastAPI would validate an
    AddressListIn: RequestValidationError), each address dropped once checked."""
    errors: list[dict[str, Any]] = []
    members: dict[str, Any] = {}
    rows = 0
    reader = ObjectReader(body)
    try:
        for member in reader.members():
            if member != "addresses":
                members[member] = reader.value()
                continue
            if rows:
                errors.append(_error("value_error", "addresses is given twice", ("addresses",)))
            for rows, address in enumerate(reader.elements(), start=1):
                try:
                    AddressRowIn.model_validate(address)
                except ValidationError as exc:
                    if len(errors) < MAX_ERRORS:
                        errors += [{**e, "loc": ("body", "addresses", rows - 1, *e["loc"])}
                                   for e in exc.errors()]  # fmt: skip
            rows = rows or -1  # an empty array is given, with no row
    except JsonSyntax as exc:
        raise RequestValidationError(
            [
                {
                    "type": "json_invalid",
                    "loc": ("body", exc.position),
                    "msg": "JSON decode error",
                    "input": {},
                    "ctx": {"error": str(exc)},
                }
            ]
        ) from None
    if rows == 0:
        errors.append({"type": "missing", "loc": ("body", "addresses"), "msg": "Field required",
                       "input": members})  # fmt: skip
    elif rows > MAX_ROWS:
        errors.append(_error("too_long", f"List should have at most {MAX_ROWS} items after "
                             f"validation, not {rows}", ("addresses",)))  # fmt: skip
    try:
        head = AddressListHead.model_validate(members)
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors()] + errors
    if errors:
        raise RequestValidationError(errors)
    return head


def _error(kind: str, message: str, loc: tuple[str, ...]) -> dict[str, Any]:
    return {"type": kind, "loc": ("body", *loc), "msg": message, "input": None}


def _json_addresses(body: IO[bytes]) -> Iterator[Any]:
    """Pass two: the addresses, one at a time (the body was found valid by pass one)."""
    reader = ObjectReader(body)
    for member in reader.members():
        if member == "addresses":
            yield from reader.elements()
        else:
            reader.value()


@router.post(
    "/csv", status_code=201, response_model=AddressListReport, summary="Create a list from CSV"
)
def create_list_from_csv(
    c: ContainerDep,
    principal: PrincipalDep,
    file: Annotated[UploadFile, File(description="UTF-8 CSV with a header row")],
    name: Annotated[str, Form(min_length=1, max_length=200)],
    mapping: Annotated[
        str,
        Form(
            max_length=50,
            description="Which columns hold what: "
            + "; ".join(
                f"{m.name}: {', '.join(c for c in m.columns if c)}" for m in MAPPINGS.values()
            ),
        ),
    ] = "postroom",
    default_country: Annotated[str, Form(max_length=60)] = "",
) -> AddressListReport:
    """Read the file with its header row through the named column mapping; rows with the
    wrong number of cells and addresses their country refuses are reported invalid."""
    found = address_lists.create_address_list(
        uow=c.uow(),
        clock=c.clock,
        account_id=principal.account_id,
        name=name,
        rows=address_lists.csv_rows(file.file, mapping),
        mapping=mapping,
        default_country=default_country,
    )
    return _report(c, principal.account_id, found)


@router.post(
    "/xml", status_code=201, response_model=AddressListReport, summary="Create a list from XML"
)
def create_list_from_xml(
    c: ContainerDep,
    principal: PrincipalDep,
    file: Annotated[
        UploadFile,
        File(description="XML whose <address> elements hold one element per column"),
    ],
    name: Annotated[str, Form(min_length=1, max_length=200)],
    mapping: Annotated[str, Form(max_length=50, description="As for CSV")] = "postroom",
    default_country: Annotated[str, Form(max_length=60)] = "",
) -> AddressListReport:
    """Read every `<address>` (wherever it is in the file) as a row: its child elements are
    the mapping's columns (`<name>`, `<street>`, ... or `<First_name>`, `<Address1>`, ...)."""
    found = address_lists.create_address_list(
        uow=c.uow(),
        clock=c.clock,
        account_id=principal.account_id,
        name=name,
        rows=address_lists.xml_rows(file.file, mapping),
        mapping=mapping,
        default_country=default_country,
    )
    return _report(c, principal.account_id, found)


@router.get("", response_model=AddressListPage, summary="List address lists")
def list_lists(
    c: ContainerDep,
    principal: PrincipalDep,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AddressListPage:
    """The account's lists, newest first."""
    before = decode_time_cursor(cursor) if cursor else None
    found = address_lists.list_address_lists(
        uow=c.uow(), account_id=principal.account_id, before=before, limit=limit + 1
    )
    page = found[:limit]
    more = len(found) > limit
    return AddressListPage(
        data=[AddressListOut.of(f) for f in page],
        next_cursor=encode_time_cursor(page[-1].created_at, page[-1].id) if more else None,
    )


@router.get("/{list_id}", response_model=AddressListOut, summary="Get an address list")
def get_list(list_id: str, c: ContainerDep, principal: PrincipalDep) -> AddressListOut:
    """The list's name, mapping and counts."""
    return AddressListOut.of(
        address_lists.get_address_list(
            uow=c.uow(), account_id=principal.account_id, list_id=list_id
        )
    )


@router.get("/{list_id}/rows", response_model=RowPage, summary="Read a list's rows")
def list_rows(
    list_id: str,
    c: ContainerDep,
    principal: PrincipalDep,
    status: Annotated[list[Literal["valid", "corrected", "invalid"]] | None, Query()] = None,
    after: Annotated[int, Query(ge=0, le=MAX_ROWS)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> RowPage:
    """The rows after row `after`, in order; only those of `status` when given."""
    _, rows = address_lists.list_rows(
        uow=c.uow(),
        account_id=principal.account_id,
        list_id=list_id,
        statuses=[RowStatus(s) for s in status] if status else None,
        after=after,
        limit=limit,
    )
    return RowPage(
        data=[RowOut.of(r) for r in rows],
        next_after=rows[-1].row if len(rows) == limit else None,
    )


@router.delete("/{list_id}", status_code=204, summary="Delete an address list")
def delete_list(list_id: str, c: ContainerDep, principal: PrincipalDep) -> Response:
    """Remove the list and its rows; batches made from it keep their pieces."""
    address_lists.delete_address_list(uow=c.uow(), account_id=principal.account_id, list_id=list_id)
    return Response(status_code=204)


class MergeIn(BaseModel):
    """One document merged with this list."""

    model_config = ConfigDict(extra="forbid")

    document_id: Annotated[str, StringConstraints(max_length=36)]
    service: Annotated[str, StringConstraints(max_length=100)] = Field(
        default="letter_standard", description="Service id or code"
    )
    name: Annotated[str, StringConstraints(max_length=200)] = ""
    options: OptionsIn = Field(default_factory=OptionsIn)


class MergeOut(BaseModel):
    """The batch the merge opened: close it (POST /v1/batches/{id}/close) to order it."""

    batch_id: str
    service: str
    address_placement: str
    pieces: int = Field(description="One per valid or corrected row")
    eligible: int
    left_out: int = Field(description="Invalid rows: no piece")


@router.post(
    "/{list_id}/batches",
    status_code=201,
    response_model=MergeOut,
    summary="Merge a document with the list",
)
def merge(
    list_id: str, c: ContainerDep, principal: PrincipalDep, body: MergeIn | None = None
) -> MergeOut:
    """Open a batch of one piece per usable row, each printing the whole document (stored
    once), the recipient in the window or on an address page (`options.address_placement`;
    left out: the window when the document leaves it blank). The service's quantity limits
    are checked here and again at the close, before anything is charged."""
    address_lists.get_address_list(uow=c.uow(), account_id=principal.account_id, list_id=list_id)
    if body is None:
        raise InvalidInput("send the document_id to merge", code=ErrorCode.VALIDATION_ERROR)
    merged = mail_merge.merge_batch(
        uow=c.uow(),
        blobs=c.blobs,
        clock=c.clock,
        analyse=c.analyse,
        account_id=principal.account_id,
        document_id=body.document_id,
        list_id=list_id,
        service_ref=body.service,
        options=body.options.to_domain(),
        name=body.name,
    )
    return MergeOut(
        batch_id=merged.batch.id,
        service=merged.service.code,
        address_placement=merged.placement.value,
        pieces=merged.pieces,
        eligible=merged.eligible,
        left_out=merged.left_out,
    )
