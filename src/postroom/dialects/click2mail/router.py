"""Click2Mail's routes under /molpro: documents, addressLists, jobs (create, submit,
status) and credit. Each reads the request (forms, multipart or XML), calls a core service
and answers XML; ids are the dialect's integer keys of core objects."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from typing import IO, Annotated, Any, TypeVar

from fastapi import APIRouter, File, Form, Request, UploadFile
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from postroom.dialects.base import dialect_route
from postroom.dialects.click2mail import mapping as m
from postroom.dialects.click2mail.auth import Click2MailPrincipal
from postroom.dialects.click2mail.errors import Click2MailError, translate
from postroom.dialects.click2mail.schemas import (
    MAX_XML_BYTES,
    XML_TYPE,
    XmlRefused,
    read_list_head,
    read_list_rows,
    xml_answer,
)
from postroom.domain.address_lists import RowStatus
from postroom.domain.errors import DomainError, ErrorCode, NotFound
from postroom.domain.model import PieceOptions, Recipient
from postroom.domain.states import BatchState, PieceState
from postroom.http.deps import ContainerDep
from postroom.services import address_lists, dialect_keys, intake, mail_merge, order
from postroom.services.retry import retrying

router = APIRouter(tags=["click2mail"], route_class=dialect_route(translate))

T = TypeVar("T")
Param = Annotated[str | None, Form()]
XML_BODY = {"content": {XML_TYPE: {"schema": {"type": "string"}}}}
XML_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {"content": {XML_TYPE: {}}},
    201: {"content": {XML_TYPE: {}}},
}


def _refuse(answer: m.Answer, root: str, detail: str = "") -> Click2MailError:
    return Click2MailError(answer, root, detail)


@contextmanager
def _core(root: str, table: dict[ErrorCode, m.Answer]) -> Iterator[None]:
    """Core refusals in the seed's rows of `table` (others: 400, code 9, the core's words)."""
    try:
        yield
    except DomainError as exc:
        found = m.answer_for(table, exc.code, exc.detail)
        if found is not None:
            raise _refuse(found, root, exc.message) from exc
        if isinstance(exc, NotFound):
            raise
        raise _refuse(m.Answer(400, m.ReturnCode.REFUSED, exc.message), root) from exc


def _key(c: ContainerDep, account_id: str, kind: str, value: str) -> tuple[str, dict[str, Any]]:
    """The core id (and the dialect's fields) of the caller's object `value`; NotFound
    otherwise, worded the same whoever owns it."""
    number = m.key_of_id(value)
    found = None
    if number is not None:
        found = dialect_keys.find(
            uow=c.uow(), dialect=m.DIALECT, kind=kind, account_id=account_id, number=number
        )
    if found is None:
        raise NotFound(f"no {kind.replace('_', ' ')} {value}")
    return found


def _new_key(
    c: ContainerDep, account_id: str, kind: str, core_id: str, fields: dict[str, Any]
) -> int:
    number = dialect_keys.key_of(
        uow=c.uow(),
        dialect=m.DIALECT,
        kind=kind,
        account_id=account_id,
        core_id=core_id,
        fields=fields,
    )
    return number + m.ID_BASE


# Documents ---------------------------------------------------------------------------


@router.post(
    "/documents",
    status_code=201,
    response_class=Response,
    responses=XML_ANSWER,
    summary="Upload a document",
)
def create_document(
    c: ContainerDep,
    principal: Click2MailPrincipal,
    documentName: Param = None,  # noqa: N803 - the vendor's parameter names
    documentClass: Param = None,  # noqa: N803
    documentFormat: Param = None,  # noqa: N803
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Multipart: documentName, documentClass, documentFormat (PDF) and file; 201 with the
    document's id. Its preflight runs in the worker."""
    root = "document"
    if not documentName or not documentClass or not documentFormat or file is None:
        raise _refuse(m.MISSING_PARAMETER, root)
    if documentClass not in m.DOCUMENT_CLASSES or documentFormat.upper() != "PDF":
        raise _refuse(m.NOT_AUTHORIZED, root, "documentClass Letter 8.5 x 11, documentFormat PDF")
    with _core(root, {}):
        document = intake.upload_document(
            uow=c.uow(),
            blobs=c.blobs,
            clock=c.clock,
            limits=c.limits,
            account_id=principal.account_id,
            upload=file.file,
            filename=file.filename or f"{documentName}.pdf",
            profile=m.PROFILE,
        )
    fields = {"name": documentName, "class": documentClass, "format": documentFormat}
    number = _new_key(c, principal.account_id, m.DOCUMENT, document.id, fields)
    return xml_answer(root, {"id": number, "status": 0, "description": "Success"}, status=201)


@router.get(
    "/documents/{document_id}",
    response_class=Response,
    responses=XML_ANSWER,
    summary="A document",
)
def get_document(document_id: str, c: ContainerDep, principal: Click2MailPrincipal) -> Response:
    """The document's name, class, format, pages and check state."""
    core_id, fields = _key(c, principal.account_id, m.DOCUMENT, document_id)
    document = intake.get_document(
        uow=c.uow(), account_id=principal.account_id, document_id=core_id
    )
    return xml_answer(
        "document",
        {
            "id": document_id,
            "documentName": fields.get("name", ""),
            "documentClass": fields.get("class", ""),
            "documentFormat": fields.get("format", ""),
            "pages": document.page_count,
            "status": 0,
            "description": document.state.value,
        },
    )


# Address lists -------------------------------------------------------------------------


@router.post(
    "/addressLists",
    status_code=201,
    response_class=Response,
    responses=XML_ANSWER,
    openapi_extra={"requestBody": XML_BODY},
    summary="Create an address list",
)
async def create_address_list(
    request: Request, c: ContainerDep, principal: Click2MailPrincipal
) -> Response:
    """XML `<addressList>` with addressListName, addressMappingId (1: the standard mapping)
    and `<addresses><address>` of First_name, Last_name, Organization, Address1-3, City,
    State, Zip, Country_non-US; each address checked for its country."""
    # The body goes to a spooled file (on disk past 1 MB), not into memory, and is read
    # back one address at a time.
    with tempfile.SpooledTemporaryFile(max_size=1 << 20) as body:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_XML_BYTES:
                raise _refuse(m.BAD_REQUEST, "addressList", "the addressList is too large")
            body.write(chunk)
        # Parsing, checking and storing take seconds for a long list: off the event loop.
        return await run_in_threadpool(_make_address_list, body, c, principal.account_id)


def _make_address_list(body: IO[bytes], c: ContainerDep, account_id: str) -> Response:
    root = "addressList"
    try:
        tag, head, has_addresses = read_list_head(body)
    except XmlRefused as exc:
        raise _refuse(m.BAD_REQUEST, root, str(exc)) from exc
    name = head.get("addressListName", "")
    mapping_id = head.get("addressMappingId", "")
    if tag != root or not name or not mapping_id or not has_addresses:
        raise _refuse(m.MISSING_PARAMETER, root, "addressListName, addressMappingId, addresses")
    if m.number_of(mapping_id) != m.ADDRESS_MAPPING_ID:
        raise _refuse(m.NOT_AUTHORIZED, root, "addressMappingId 1 (standard) is offered")
    rows = ((row, "") for row in read_list_rows(body))
    with _core(root, {}):
        made = address_lists.create_address_list(
            uow=c.uow(),
            clock=c.clock,
            account_id=account_id,
            name=name[:200],
            rows=rows,
            mapping=m.ADDRESS_MAPPING,
        )
    number = _new_key(c, account_id, m.ADDRESS_LIST, made.id, {"mapping": mapping_id})
    return xml_answer(root, _list_fields(number, made), status=201)


def _list_fields(number: int | str, made: Any) -> dict[str, Any]:
    return {
        "id": number,
        "name": made.name,
        "status": 0,
        "description": "Created",
        "count": made.row_count,
        "valid": made.usable_count,
        "corrected": made.corrected_count,
        "invalid": made.invalid_count,
    }


@router.get(
    "/addressLists/{address_list_id}",
    response_class=Response,
    responses=XML_ANSWER,
    summary="An address list",
)
def get_address_list(
    address_list_id: str, c: ContainerDep, principal: Click2MailPrincipal
) -> Response:
    """The list's counts and its invalid addresses (row and why), up to 1,000."""
    core_id, _ = _key(c, principal.account_id, m.ADDRESS_LIST, address_list_id)
    found, invalid = address_lists.list_rows(
        uow=c.uow(),
        account_id=principal.account_id,
        list_id=core_id,
        statuses=[RowStatus.INVALID],
        limit=1000,
    )
    fields = _list_fields(address_list_id, found)
    fields["invalidAddresses"] = [
        {
            "address": {
                "row": r.row,
                "problem": "; ".join(f"{k}: {v}" for k, v in r.problems.items()),
            }
        }
        for r in invalid
    ]
    return xml_answer("addressList", fields)


# Jobs ----------------------------------------------------------------------------------


def _status_url(request: Request, number: int | str) -> str:
    return str(request.url_for("click2mail_job", job_id=str(number)))


@router.post(
    "/jobs", status_code=201, response_class=Response, responses=XML_ANSWER, summary="Create a job"
)
def create_job(
    request: Request,
    c: ContainerDep,
    principal: Click2MailPrincipal,
    documentClass: Param = None,  # noqa: N803 - the vendor's parameter names
    layout: Param = None,
    productionTime: Param = None,  # noqa: N803
    envelope: Param = None,
    color: Param = None,
    paperType: Param = None,  # noqa: N803
    printOption: Param = None,  # noqa: N803
    documentId: Param = None,  # noqa: N803
    addressId: Param = None,  # noqa: N803
    mailingDate: Param = None,  # noqa: N803
    projectId: Param = None,  # noqa: N803
    endorsement: Param = None,
    enclosure: Param = None,
    rtnName: Param = None,  # noqa: N803
    rtnOrganization: Param = None,  # noqa: N803
    rtnaddress1: Param = None,
    rtnaddress2: Param = None,
    rtnCity: Param = None,  # noqa: N803
    rtnState: Param = None,  # noqa: N803
    rtnZip: Param = None,  # noqa: N803
) -> Response:
    """The seed's nine parameters (and mailingDate, the rtn* return address): 201 and the
    job's id, status 0 Created and statusUrl; the seed's return codes otherwise."""
    root = "job"
    params = {
        name: (value or "").strip()
        for name, value in {
            "documentClass": documentClass, "layout": layout,
            "productionTime": productionTime, "envelope": envelope, "color": color,
            "paperType": paperType, "printOption": printOption, "documentId": documentId,
            "addressId": addressId, "rtnName": rtnName, "rtnOrganization": rtnOrganization,
            "rtnaddress1": rtnaddress1, "rtnaddress2": rtnaddress2, "rtnCity": rtnCity,
            "rtnState": rtnState, "rtnZip": rtnZip,
        }.items()
    }  # fmt: skip
    missing = [name for name in m.REQUIRED if not params[name]]
    # An envelope "if this is an enveloped product ...; otherwise provide no value": every
    # product offered is enveloped, so it is required too.
    if missing:
        raise _refuse(m.MISSING_PARAMETER, root, ", ".join(missing))
    product = m.product_of(params)
    if product is None:
        raise _refuse(m.NOT_AUTHORIZED, root, _offered())
    if endorsement:
        raise _refuse(m.ENDORSEMENT, root, "Postroom prints no endorsement with this product")
    if enclosure:
        raise _refuse(m.ENCLOSURE, root)
    requested = _mailing_date(mailingDate, root)
    given_return = m.return_parts(params)
    if given_return is False:
        raise _refuse(m.RETURN_NAME_REQUIRED, root)
    if projectId and projectId.strip():
        raise _refuse(m.NO_PROJECT, root, "jobs go into the default project")
    document = _found_or(c, principal.account_id, m.DOCUMENT, params["documentId"], root,
                         m.DOCUMENT_NOT_FOUND)  # fmt: skip
    address_list = _found_or(c, principal.account_id, m.ADDRESS_LIST, params["addressId"], root,
                             m.LIST_NOT_FOUND)  # fmt: skip
    with _core(root, m.JOB_CORE_ERRORS):
        merged = _merge(c, principal.account_id, product, document, address_list, requested,
                        given_return if isinstance(given_return, Recipient) else None)  # fmt: skip
    fields = {"product": product.options, "documentId": params["documentId"],
              "addressId": params["addressId"]}  # fmt: skip
    number = _new_key(c, principal.account_id, m.JOB, merged.batch.id, fields)
    return xml_answer(
        root,
        {
            "id": number,
            "status": int(m.ReturnCode.SUCCESS),
            "description": "Created",
            "statusUrl": _status_url(request, number),
        },
        status=201,
    )


def _offered() -> str:
    return (
        f"documentClass {', '.join(m.DOCUMENT_CLASSES)}; layout {' | '.join(m.LAYOUTS)}; "
        f"productionTime {' | '.join(m.PRODUCTION_TIMES)}; envelope "
        f"{' | '.join(m.ENVELOPES)}; color {' | '.join(m.COLORS)}; paperType "
        f"{' | '.join(m.PAPER_TYPES)}; printOption {' | '.join(m.PRINT_OPTIONS)}"
    )


def _mailing_date(value: str | None, root: str) -> date | None:
    if value is None or not value.strip():
        return None
    parsed = m.mailing_date(value)
    if parsed is None:
        raise _refuse(m.DATE_UNPARSED, root)
    return parsed


def _found_or(
    c: ContainerDep, account_id: str, kind: str, value: str, root: str, answer: m.Answer
) -> str:
    try:
        return _key(c, account_id, kind, value)[0]
    except NotFound as exc:
        raise _refuse(answer, root) from exc


def _merge(
    c: ContainerDep,
    account_id: str,
    product: m.Product,
    document_id: str,
    list_id: str,
    requested: date | None,
    return_address: Recipient | None,
) -> mail_merge.MergedBatch:
    try:
        return mail_merge.merge_batch(
            uow=c.uow(),
            blobs=c.blobs,
            clock=c.clock,
            analyse=c.analyse,
            account_id=account_id,
            document_id=document_id,
            list_id=list_id,
            service_ref=product.service,
            options=replace(
                PieceOptions(),
                plex=product.plex,
                color=product.color,
                paper=product.options["paper"].lower(),
                envelope=product.options["envelope"],
                address_placement=product.placement,
            ),
            name="Click2Mail job",
            requested_output_date=requested,
            return_address=return_address,
        )
    except NotFound as exc:
        # The key is the caller's, the object is gone (removed through /v1 since).
        gone = (exc.detail or {}).get("object") if isinstance(exc.detail, dict) else None
        if gone in m.GONE:
            raise _refuse(m.GONE[gone], "job", exc.message) from exc
        raise


@router.post(
    "/jobs/{job_id}/submit",
    response_class=Response,
    responses=XML_ANSWER,
    summary="Submit a job",
)
def submit_job(
    job_id: str,
    request: Request,
    c: ContainerDep,
    principal: Click2MailPrincipal,
    billingType: Param = None,  # noqa: N803 - the vendor's parameter name
) -> Response:
    """billingType "User Credit": the job's pieces are priced and charged to the account's
    credit, and go to production."""
    root = "job"
    core_id, fields = _key(c, principal.account_id, m.JOB, job_id)
    if not billingType or not billingType.strip():
        raise _refuse(m.MISSING_PARAMETER, root, "billingType")
    if billingType.strip() != m.BILLING_TYPE:
        raise _refuse(m.NOT_AUTHORIZED, root, f"billingType {m.BILLING_TYPE} is offered")
    batch, _ = mail_merge.batch_progress(
        uow=c.uow(), account_id=principal.account_id, batch_id=core_id
    )
    with _core(root, m.SUBMIT_CORE_ERRORS):
        closed = retrying(
            lambda: order.close_batch(
                uow=c.uow(),
                clock=c.clock,
                prices=c.prices,
                account_id=principal.account_id,
                batch_id=core_id,
                service_ref=batch.service_id or "",
                options=fields.get("product", {}),
                piece_options=True,
            )
        )
    return xml_answer(
        root,
        {
            "id": job_id,
            "status": int(m.ReturnCode.SUCCESS),
            "description": "Success",
            "statusUrl": _status_url(request, job_id),
            "cost": f"{closed.total_minor / 100:.2f}",
            "currency": closed.currency,
            "pieces": closed.accepted,
        },
    )


@router.get(
    "/jobs/{job_id}",
    name="click2mail_job",
    response_class=Response,
    responses=XML_ANSWER,
    summary="A job's status",
)
def get_job(
    job_id: str, request: Request, c: ContainerDep, principal: Click2MailPrincipal
) -> Response:
    """The job's status word (from its batch) and its pieces by state."""
    core_id, _ = _key(c, principal.account_id, m.JOB, job_id)
    batch, counts = mail_merge.batch_progress(
        uow=c.uow(), account_id=principal.account_id, batch_id=core_id
    )
    status = m.JOB_STATUS[batch.state]
    if batch.state is BatchState.CLOSED and counts.get(PieceState.ALLOCATED):
        status = m.JOB_STATUS[BatchState.TRANSFERRED]
    return xml_answer(
        "job",
        {
            "id": job_id,
            "status": int(m.ReturnCode.SUCCESS),
            "description": status,
            "statusUrl": _status_url(request, job_id),
            "jobStatus": status,
            "pieces": {state.value: count for state, count in sorted(counts.items())},
        },
    )


@router.get("/credit", response_class=Response, responses=XML_ANSWER, summary="Credit")
def credit(c: ContainerDep, principal: Click2MailPrincipal) -> Response:
    """The account's credit, in its currency's major unit."""
    balance = order.account_balance(
        uow=c.uow(),
        clock=c.clock,
        account_id=principal.account_id,
        service_ref=next(iter(m.DOCUMENT_CLASSES.values())),
    )
    return xml_answer(
        "credit",
        {
            "status": 0,
            "description": "Success",
            "balance": f"{balance.credit_minor / 100:.2f}",
            "currency": balance.currency,
        },
    )
