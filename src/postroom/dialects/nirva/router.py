"""Nirva's routes: read the request, call a core service, write the answer in Nirva's form."""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import FileResponse, JSONResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from postroom.dialects.base import dialect_route
from postroom.dialects.nirva.auth import NirvaPrincipal
from postroom.dialects.nirva.errors import translate
from postroom.dialects.nirva.mapping import (
    DELIVERY_ORDER,
    DELIVERY_STATES,
    DIALECT,
    ELIGIBILITY_REASONS,
    FILE_PART,
    METADATA_KIND,
    PACK_GROUP_STATES,
    PARAMETERS_PART,
    POSTAL_ADDRESS_RECIPIENT,
    PROOF_NAMES,
    RAW_VALUE_TYPE,
    SERVICE_FILE_PART,
    TRACKING,
    DeliveryStatus,
    JobStatus,
    NirvaCode,
    NirvaError,
    PackGroupStatus,
    option_values,
)
from postroom.dialects.nirva.schemas import (
    AuthenticateIn,
    DeliveryCommandIn,
    JobParameters,
    PackGroupEditIn,
    epoch_ms,
    option_out,
    option_type_out,
    service_out,
)
from postroom.domain.catalog import Option, Service
from postroom.domain.errors import ContentRemoved, DomainError, ErrorCode
from postroom.domain.model import Batch, Document, MailPiece, new_id
from postroom.domain.states import DocumentState, PieceState
from postroom.http.deps import ContainerDep
from postroom.services import accounts, box_jobs, catalog
from postroom.services.box_jobs import BoxFile

router = APIRouter(tags=["nirva"], route_class=dialect_route(translate))

JobPath = Annotated[str, Path(alias="jobId", max_length=100)]
JobQuery = Annotated[str, Query(alias="jobId", max_length=100)]
PackGroupPath = Annotated[str, Path(alias="packGroupId", max_length=100)]
ShipmentPath = Annotated[str, Path(alias="shipmentId", max_length=100)]
TrackingNamePath = Annotated[str, Path(alias="trackingName", max_length=50)]

MAX_FILES = 200  # file parts one job takes
MAX_FIELDS = 400


def _ok(result: Any) -> JSONResponse:
    return JSONResponse({"result": result})


# --- authentication -------------------------------------------------------------------


@router.post("/authentication/authenticate", summary="Log in and get a token")
def authenticate(body: AuthenticateIn, c: ContainerDep) -> JSONResponse:
    """A session token for X-Auth-Token; with withProfileDetail, the user's services."""
    session, token = accounts.login(
        uow=c.uow(),
        clock=c.clock,
        username=body.login,
        password=body.password,
        ttl=c.session_ttl(),
    )
    result: dict[str, Any] = {
        "token": token,
        "login": body.login,
        "expiresAt": epoch_ms(session.expires_at),
    }
    if body.withProfileDetail:
        account_id = session.account_id
        services = catalog.list_services(uow=c.uow(), account_id=account_id)
        options = list(catalog.list_options(uow=c.uow(), account_id=account_id))
        types = list(catalog.list_option_types(uow=c.uow(), account_id=account_id))
        result["services"] = [service_out(s, options, types) for s in services]
    return _ok(result)


@router.post("/authentication/logout", summary="End the token's session")
def logout(request: Request, c: ContainerDep, principal: NirvaPrincipal) -> JSONResponse:
    """The token answers 401 from now on."""
    token = request.headers.get("x-auth-token", "").strip()
    accounts.logout(uow=c.uow(), clock=c.clock, token=token)
    return _ok({"loggedOut": True})


# --- options --------------------------------------------------------------------------


@router.get("/options/type", summary="Option types")
def option_types(c: ContainerDep, principal: NirvaPrincipal) -> JSONResponse:
    """Every option type of the caller's environment (ids differ between sandbox and live)."""
    found = catalog.list_option_types(uow=c.uow(), account_id=principal.account_id)
    return _ok([option_type_out(t) for t in found])


@router.post("/options/type", summary="Option types (the seed's example calls it with POST)")
def option_types_by_post(c: ContainerDep, principal: NirvaPrincipal) -> JSONResponse:
    """As GET options/type."""
    return option_types(c, principal)


@router.get("/options", summary="Options by type id")
def options(c: ContainerDep, principal: NirvaPrincipal) -> JSONResponse:
    """Every option of the caller's environment, keyed by its option type's id."""
    types = {
        t.code: t.id
        for t in catalog.list_option_types(uow=c.uow(), account_id=principal.account_id)
    }
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for o in catalog.list_options(uow=c.uow(), account_id=principal.account_id):
        grouped[types.get(o.type_code, o.type_code)].append(option_out(o))
    return _ok(dict(grouped))


@router.post("/options", summary="Options by type id (the seed's example calls it with POST)")
def options_by_post(c: ContainerDep, principal: NirvaPrincipal) -> JSONResponse:
    """As GET options."""
    return options(c, principal)


# --- jobs -----------------------------------------------------------------------------


def _parameters(raw: Any) -> JobParameters:
    try:
        return JobParameters.model_validate_json(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'parameters'}: {e['msg']}"
            for e in exc.errors()
        )
        raise NirvaError(NirvaCode.INVALID_PARAMETERS, f"parameters: {problems}") from exc


def _address_lines(requirements: dict[str, Any] | None) -> list[str] | None:
    if not requirements:
        return None
    unknown = sorted(set(requirements) - {POSTAL_ADDRESS_RECIPIENT})
    if unknown:
        raise NirvaError(
            NirvaCode.INVALID_PARAMETERS,
            f"pack requirement {', '.join(unknown)} is not supported; "
            f"only {POSTAL_ADDRESS_RECIPIENT} is",
        )
    value = requirements[POSTAL_ADDRESS_RECIPIENT]
    return str(value.value).splitlines()


@router.post("/jobs", summary="Create a job from files in the service's boxes")
async def create_job(request: Request, c: ContainerDep, principal: NirvaPrincipal) -> JSONResponse:
    """Multipart: `parameters` (JSON), `file_main<BoxID>_<n>` files and
    `serviceFile__file_<BoxID>_<n>` service file ids."""
    form = await request.form(max_files=MAX_FILES, max_fields=MAX_FIELDS)
    parameters: JobParameters | None = None
    files: list[BoxFile] = []
    configured: dict[str, str] = {}
    for name, value in form.multi_items():
        if name == PARAMETERS_PART:
            raw = await value.read() if isinstance(value, UploadFile) else value
            parameters = _parameters(raw)
        elif (part := FILE_PART.fullmatch(name)) and isinstance(value, UploadFile):
            index = int(part["index"])
            files.append(BoxFile(part["box"], index, value.filename or name, value.file))
        elif (part := SERVICE_FILE_PART.fullmatch(name)) and isinstance(value, str):
            configured[part["box"]] = value.strip()
        else:
            raise NirvaError(
                NirvaCode.INVALID_PARAMETERS,
                f"unexpected part {name[:100]!r}: send parameters, file_main<BoxID>_<n> "
                "files and serviceFile__file_<BoxID>_<n> ids",
            )
    if parameters is None:
        raise NirvaError(NirvaCode.INVALID_PARAMETERS, "the `parameters` part is missing")
    return await run_in_threadpool(
        _create_job, c, principal.account_id, parameters, files, configured
    )


def _create_job(
    c: ContainerDep,
    account_id: str,
    parameters: JobParameters,
    files: list[BoxFile],
    configured: dict[str, str],
) -> JSONResponse:
    intake = box_jobs.submit_job(
        uow=c.uow(),
        blobs=c.blobs,
        clock=c.clock,
        limits=c.limits,
        analyse=c.analyse,
        account_id=account_id,
        name=parameters.jobName,
        service_ref=parameters.serviceId,
        files=files,
        configured=configured,
        address_lines=_address_lines(parameters.packRequirements),
        dialect=DIALECT,
        fields={"autocreateDeliveryCommand": parameters.autocreateDeliveryCommand},
    )
    counts = _counts(intake.pieces)  # as cut, before any delivery
    extra: dict[str, Any] = {}
    if parameters.autocreateDeliveryCommand and counts.get(PackGroupStatus.ELIGIBLE):
        service = box_jobs.job_service(uow=c.uow(), account_id=account_id, batch_id=intake.batch.id)
        try:
            delivery_id = _command(c, account_id, intake.batch.id, service, None, {}, [], None)
            extra["deliveryIds"] = [delivery_id]
        except DomainError as exc:  # the job stands; its groups wait for a command
            extra["autocreateError"] = {"errorCode": str(exc.code), "message": exc.message}
    batch, pieces, documents = box_jobs.job_pieces(
        uow=c.uow(), account_id=account_id, batch_id=intake.batch.id
    )
    out = _job_out(batch, pieces, documents)
    out["packGroupCountPerStates"] = counts or out["packGroupCountPerStates"]
    return _ok({**out, **extra})


def _in_file_order(pieces: list[MailPiece]) -> list[MailPiece]:
    """A job's pieces as its files were sent: by box, file index, then page."""

    def key(piece: MailPiece) -> tuple[str, int, int]:
        own = piece.dialect_fields.get(DIALECT) or {}
        return (str(own.get("box", "")), int(own.get("fileIndex", 0)), piece.first_page)

    return sorted(pieces, key=key)


def _group_status(piece: MailPiece) -> PackGroupStatus:
    if piece.state is PieceState.OPENED:
        return PackGroupStatus.ELIGIBLE if piece.eligible else PackGroupStatus.NOT_ELIGIBLE
    return PACK_GROUP_STATES[piece.state]


def _counts(pieces: list[MailPiece]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for piece in pieces:
        counts[_group_status(piece).value] += 1
    return dict(counts)


def _job_out(batch: Batch, pieces: list[MailPiece], documents: list[Document]) -> dict[str, Any]:
    rejected = [d for d in documents if d.state is DocumentState.REJECTED]
    out: dict[str, Any] = {
        "jobId": batch.id,
        "jobName": batch.name,
        "serviceId": batch.service_id,
        "status": (JobStatus.PROCESSING_ERROR if rejected else JobStatus.PACK_GROUP_CREATED).value,
        "creationDate": epoch_ms(batch.created_at),
        "packGroupCountPerStates": _counts(pieces),
    }
    if rejected:
        out["errors"] = [
            {"fileName": d.filename, "code": f.get("code"), "message": f.get("message")}
            for d in rejected
            for f in (d.report or {}).get("findings", [])
            if f.get("severity", "error") == "error"
        ]
    return out


@router.get("/jobs/{jobId}", summary="A job's status")
def get_job(job_id: JobPath, c: ContainerDep, principal: NirvaPrincipal) -> JSONResponse:
    """The job's status and how many of its pack groups are in each state."""
    batch, pieces, documents = box_jobs.job_pieces(
        uow=c.uow(), account_id=principal.account_id, batch_id=job_id
    )
    return _ok(_job_out(batch, pieces, documents))


def _reasons(piece: MailPiece) -> list[dict[str, Any]]:
    return [
        {
            "code": ELIGIBILITY_REASONS.get(str(f.get("code")), str(f.get("code", "")).upper()),
            "coreCode": f.get("code"),
            "severity": str(f.get("severity", "error")).upper(),
            "message": f.get("message", ""),
        }
        for f in piece.findings
    ]


def _group_out(piece: MailPiece, service: Service) -> dict[str, Any]:
    own = piece.dialect_fields.get(DIALECT) or {}
    address = "\n".join(box_jobs.address_text(piece, service))
    return {
        "id": piece.id,
        "jobId": piece.batch_id,
        "status": _group_status(piece).value,
        "eligibility": {"eligible": bool(piece.eligible), "reasons": _reasons(piece)},
        "rawValues": {POSTAL_ADDRESS_RECIPIENT: {"@type": RAW_VALUE_TYPE, "value": address}},
        "addressSource": piece.address_source,
        "documentId": piece.document_id,
        "firstPage": piece.first_page,
        "pageCount": piece.page_count,
        "deliveryId": own.get("deliveryId"),
        "boxName": own.get("box"),
        "options": option_values(piece.options) if piece.state is not PieceState.OPENED else {},
        "fileIndex": own.get("fileIndex"),
    }


@router.get("/jobs/{jobId}/packGroups", summary="A job's pack groups")
def get_pack_groups(job_id: JobPath, c: ContainerDep, principal: NirvaPrincipal) -> JSONResponse:
    """Each pack group's status, eligibility with its reasons, and RAW values."""
    service = box_jobs.job_service(uow=c.uow(), account_id=principal.account_id, batch_id=job_id)
    _, pieces, _ = box_jobs.job_pieces(
        uow=c.uow(), account_id=principal.account_id, batch_id=job_id
    )
    return _ok([_group_out(p, service) for p in _in_file_order(pieces)])


@router.post("/packGroups/{packGroupId}/edit", summary="Change a pack group's RAW values")
def edit_pack_group(
    pack_group_id: PackGroupPath, body: PackGroupEditIn, c: ContainerDep, principal: NirvaPrincipal
) -> JSONResponse:
    """Change the recipient address (POSTAL_ADDRESS_RECIPIENT) and judge the group again."""
    box_jobs.piece_of_job(uow=c.uow(), account_id=principal.account_id, piece_id=pack_group_id)
    lines = _address_lines(body.rawValues)
    if lines is None:
        raise NirvaError(
            NirvaCode.INVALID_PARAMETERS, f"rawValues must hold {POSTAL_ADDRESS_RECIPIENT}"
        )
    piece = box_jobs.correct_address(
        uow=c.uow(),
        clock=c.clock,
        account_id=principal.account_id,
        piece_id=pack_group_id,
        address_lines=lines,
    )
    _, service = box_jobs.piece_of_job(
        uow=c.uow(), account_id=principal.account_id, piece_id=piece.id
    )
    return _ok(_group_out(piece, service))


# --- deliveries -----------------------------------------------------------------------


def _label(service: Service) -> str:
    return str(service.output.get("label") or service.channel)


def _output_files(service: Service) -> list[str]:
    return [str(f) for f in service.output.get("files") or ["MAIN"]]


def _chosen_options(
    service: Service, sent: dict[str, dict[str, list[str]]], known: list[Option]
) -> tuple[dict[str, str], list[str]]:
    """serviceChannelOptions as the core's {option type: option id}, and the ids sent."""
    label = _label(service)
    by_id = {o.id: o for o in known}
    chosen: dict[str, str] = {}
    ids: list[str] = []
    for channel, files in sent.items():
        if channel != label:
            if channel == service.channel:
                raise NirvaError(
                    NirvaCode.CHANNEL_NAME_NOT_LABEL,
                    f"{channel!r} is the channel's name; key serviceChannelOptions by the "
                    f"channel's label {label!r} (properties.channels.label)",
                )
            raise NirvaError(
                NirvaCode.UNKNOWN_CHANNEL_LABEL,
                f"the service has no channel labelled {channel[:100]!r}; its channel is {label!r}",
            )
        for file_name, values in files.items():
            if file_name not in _output_files(service):
                raise NirvaError(
                    NirvaCode.UNKNOWN_OUTPUT_FILE,
                    f"the channel has no output file {file_name[:100]!r}; "
                    f"it has {', '.join(_output_files(service))}",
                )
            for value in values:
                option = by_id.get(value)
                if option is None:
                    raise NirvaError(
                        NirvaCode.UNKNOWN_OPTION_VALUE,
                        f"{value[:100]!r} is no option id of this environment: option ids differ "
                        "between sandbox and live accounts; read them from GET options",
                    )
                if option.type_code in chosen:
                    raise NirvaError(
                        NirvaCode.INVALID_PARAMETERS,
                        f"two {option.type_code} options were sent; send one value per type",
                    )
                chosen[option.type_code] = option.id
                ids.append(option.id)
    return chosen, ids


def _command(
    c: ContainerDep,
    account_id: str,
    job_id: str,
    service: Service,
    pack_group_ids: list[str] | None,
    chosen: dict[str, str],
    ids: list[str],
    body: DeliveryCommandIn | None,
) -> str:
    delivery_id = new_id()
    post_at = body.post_at() if body is not None else None
    fields = {
        "deliveryId": delivery_id,
        "channelLabel": _label(service),
        "outputFileName": "MAIN",
        "options": ids,
        "expectedPostDate": epoch_ms(post_at),
    }
    box_jobs.deliver(
        uow=c.uow(),
        clock=c.clock,
        prices=c.prices,
        account_id=account_id,
        batch_id=job_id,
        piece_ids=pack_group_ids,
        options=chosen,
        post_at=post_at,
        dialect=DIALECT,
        fields=fields,
    )
    return delivery_id


@router.post("/deliveries/CheckOptions", summary="The options each pack group may take")
def check_options(c: ContainerDep, principal: NirvaPrincipal, job_id: JobQuery) -> JSONResponse:
    """{"selectableOptions": {packId: {channelLabel: {outputFileName: {type id: [ids]}}}}}"""
    account_id = principal.account_id
    service = box_jobs.job_service(uow=c.uow(), account_id=account_id, batch_id=job_id)
    _, pieces, _ = box_jobs.job_pieces(uow=c.uow(), account_id=account_id, batch_id=job_id)
    types = {t.code: t.id for t in catalog.list_option_types(uow=c.uow(), account_id=account_id)}
    offered = catalog.offered_options(service)
    selectable: dict[str, list[str]] = defaultdict(list)
    for o in catalog.list_options(uow=c.uow(), account_id=account_id):
        if o.type_code in offered and o.code not in offered[o.type_code]:
            continue
        selectable[types.get(o.type_code, o.type_code)].append(o.id)
    per_file = {name: dict(selectable) for name in _output_files(service)}
    result = {
        p.id: {_label(service): per_file}
        for p in pieces
        if p.state is PieceState.OPENED and p.eligible
    }
    return _ok({"selectableOptions": result})


@router.post("/deliveries/commands", summary="Create a delivery with chosen options")
def create_delivery(
    body: DeliveryCommandIn, c: ContainerDep, principal: NirvaPrincipal
) -> JSONResponse:
    """Deliver the job's eligible pack groups (or those named) with the options overridden."""
    account_id = principal.account_id
    service = box_jobs.job_service(uow=c.uow(), account_id=account_id, batch_id=body.jobId)
    known = list(catalog.list_options(uow=c.uow(), account_id=account_id))
    chosen, ids = _chosen_options(service, body.serviceChannelOptions or {}, known)
    delivery_id = _command(c, account_id, body.jobId, service, body.packGroupIds, chosen, ids, body)
    deliveries = _deliveries(c, account_id, body.jobId)
    return _ok(next(d for d in deliveries if d["id"] == delivery_id))


def _metadata(tracked: box_jobs.PieceTracking, shipment_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if tracked.shipment is not None:
        found.append(
            {
                "metadataKind": METADATA_KIND,
                "metadataType": "SHORT_VALUE",
                "name": TRACKING,
                "value": tracked.shipment.reference,
            }
        )
    for proof in tracked.proofs:
        found.append(
            {
                "metadataKind": METADATA_KIND,
                "metadataType": "FILE",
                "name": proof.kind.value,
                "value": f"shipments/{shipment_id}/trackingFile/{proof.kind.value}",
                "mediaType": proof.media_type,
            }
        )
    return found


def _deliveries(c: ContainerDep, account_id: str, job_id: str) -> list[dict[str, Any]]:
    _, pieces, _ = box_jobs.job_pieces(uow=c.uow(), account_id=account_id, batch_id=job_id)
    grouped: dict[str, list[MailPiece]] = defaultdict(list)
    for piece in _in_file_order(pieces):
        delivery_id = (piece.dialect_fields.get(DIALECT) or {}).get("deliveryId")
        if delivery_id:
            grouped[str(delivery_id)].append(piece)
    tracked = box_jobs.tracking_of_pieces(
        uow=c.uow(), account_id=account_id, piece_ids=[p.id for g in grouped.values() for p in g]
    )
    out = []
    for delivery_id, members in grouped.items():
        fields = members[0].dialect_fields.get(DIALECT) or {}
        states = {DELIVERY_STATES[p.state] for p in members}
        status = next(s for s in DELIVERY_ORDER if s in states)
        delivery: dict[str, Any] = {
            "id": delivery_id,
            "jobId": job_id,
            "status": status.value,
            "channelLabel": fields.get("channelLabel"),
            "outputFileName": fields.get("outputFileName"),
            "options": fields.get("options", []),
            "expectedPostDate": fields.get("expectedPostDate"),
            "packGroupIds": [p.id for p in members],
            "shipments": [],
        }
        if status is DeliveryStatus.OUTPUTTED:
            delivery["shipments"] = [
                {
                    "id": p.id,
                    "packGroupId": p.id,
                    "status": (
                        tracked[p.id].shipment.status.value.upper()  # type: ignore[union-attr]
                        if tracked[p.id].shipment is not None
                        else PACK_GROUP_STATES[p.state].value
                    ),
                    "metadata": _metadata(tracked[p.id], p.id),
                }
                for p in members
            ]
        out.append(delivery)
    return out


@router.get("/deliveries", summary="A job's deliveries")
def list_deliveries(c: ContainerDep, principal: NirvaPrincipal, job_id: JobQuery) -> JSONResponse:
    """Each delivery of the job: READY, then OUTPUTTED with its shipments and their metadata."""
    return _ok(_deliveries(c, principal.account_id, job_id))


# --- tracking -------------------------------------------------------------------------


@router.get("/shipments/{shipmentId}/trackingFile/{trackingName}", summary="A proof file")
def tracking_file(
    shipment_id: ShipmentPath,
    tracking_name: TrackingNamePath,
    c: ContainerDep,
    principal: NirvaPrincipal,
) -> FileResponse:
    """The proof named CERTIF, ACKN, FAIL_PROOF or TRACKING_DETAIL, once issued."""
    account_id = principal.account_id
    box_jobs.piece_of_job(uow=c.uow(), account_id=account_id, piece_id=shipment_id)
    kind = PROOF_NAMES.get(tracking_name)
    if kind is None:
        raise NirvaError(
            NirvaCode.NOT_FOUND,
            f"no tracking file {tracking_name[:50]!r}; the names are {', '.join(PROOF_NAMES)}",
        )
    tracked = box_jobs.tracking_of_pieces(
        uow=c.uow(), account_id=account_id, piece_ids=[shipment_id]
    )
    proof = next((p for p in tracked[shipment_id].proofs if p.kind is kind), None)
    if proof is None:
        raise NirvaError(
            NirvaCode.NOT_FOUND, f"shipment {shipment_id} has no {kind.value} file yet"
        )
    if proof.redacted_at is not None or not c.blobs.exists(proof.blob_sha256):
        raise ContentRemoved(
            f"the {kind.value} file was removed by the retention rules",
            code=ErrorCode.CONTENT_REMOVED,
        )
    suffix = "json" if proof.media_type == "application/json" else "pdf"
    return FileResponse(
        c.blobs.path(proof.blob_sha256),
        media_type=proof.media_type,
        filename=f"{kind.value.lower()}-{shipment_id}.{suffix}",
    )
