"""Nirva's routes: read the request, call a core service, write the answer in Nirva's form."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import FileResponse, JSONResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from postroom.dialects.base import dialect_route
from postroom.dialects.nirva import views
from postroom.dialects.nirva.auth import NirvaPrincipal
from postroom.dialects.nirva.errors import translate
from postroom.dialects.nirva.mapping import (
    DIALECT,
    FILE_PART,
    PARAMETERS_PART,
    POSTAL_ADDRESS_RECIPIENT,
    PROOF_NAMES,
    SERVICE_FILE_PART,
    NirvaCode,
    NirvaError,
    channel_label,
    channel_options,
    output_files,
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
from postroom.domain.catalog import Service
from postroom.domain.errors import ContentRemoved, ErrorCode
from postroom.domain.model import new_id
from postroom.domain.states import PieceState
from postroom.http.deps import ContainerDep
from postroom.services import accounts, box_jobs, catalog, job_groups
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
    delivery_id = new_id()
    deliver = None
    if parameters.autocreateDeliveryCommand:
        # The delivery is made with the job, in its transaction (box_jobs.JobDelivery): a
        # failure leaves no job behind, so the client's retry does not make a second one.
        service = catalog.get_service(uow=c.uow(), account_id=account_id, ref=parameters.serviceId)
        deliver = box_jobs.JobDelivery(
            prices=c.prices, note=(DIALECT, _delivery_fields(delivery_id, service, [], None))
        )
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
        deliver=deliver,
    )
    counts = views.cut_counts(intake.cut)  # as cut, before any delivery
    extra: dict[str, Any] = {}
    if intake.delivered is not None:
        extra["deliveryIds"] = [delivery_id]
    elif intake.refused is not None:  # the job stands; its groups wait for a command
        extra["autocreateError"] = {
            "errorCode": str(intake.refused.code),
            "message": intake.refused.message,
        }
    batch, pieces, documents = job_groups.job_pieces(
        uow=c.uow(), account_id=account_id, batch_id=intake.batch.id
    )
    out = views.job_out(batch, pieces, documents)
    out["packGroupCountPerStates"] = counts or out["packGroupCountPerStates"]
    return _ok({**out, **extra})


@router.get("/jobs/{jobId}", summary="A job's status")
def get_job(job_id: JobPath, c: ContainerDep, principal: NirvaPrincipal) -> JSONResponse:
    """The job's status and how many of its pack groups are in each state."""
    batch, pieces, documents = job_groups.job_pieces(
        uow=c.uow(), account_id=principal.account_id, batch_id=job_id
    )
    return _ok(views.job_out(batch, pieces, documents))


@router.get("/jobs/{jobId}/packGroups", summary="A job's pack groups")
def get_pack_groups(job_id: JobPath, c: ContainerDep, principal: NirvaPrincipal) -> JSONResponse:
    """Each pack group's status, eligibility with its reasons, and RAW values."""
    service = job_groups.job_service(uow=c.uow(), account_id=principal.account_id, batch_id=job_id)
    _, pieces, _ = job_groups.job_pieces(
        uow=c.uow(), account_id=principal.account_id, batch_id=job_id
    )
    return _ok([views.group_out(p, service) for p in views.in_file_order(pieces)])


@router.post("/packGroups/{packGroupId}/edit", summary="Change a pack group's RAW values")
def edit_pack_group(
    pack_group_id: PackGroupPath, body: PackGroupEditIn, c: ContainerDep, principal: NirvaPrincipal
) -> JSONResponse:
    """Change the recipient address (POSTAL_ADDRESS_RECIPIENT) and judge the group again."""
    job_groups.piece_of_job(uow=c.uow(), account_id=principal.account_id, piece_id=pack_group_id)
    lines = _address_lines(body.rawValues)
    if lines is None:
        raise NirvaError(
            NirvaCode.INVALID_PARAMETERS, f"rawValues must hold {POSTAL_ADDRESS_RECIPIENT}"
        )
    piece = job_groups.correct_address(
        uow=c.uow(),
        clock=c.clock,
        account_id=principal.account_id,
        piece_id=pack_group_id,
        address_lines=lines,
    )
    _, service = job_groups.piece_of_job(
        uow=c.uow(), account_id=principal.account_id, piece_id=piece.id
    )
    return _ok(views.group_out(piece, service))


# --- deliveries -----------------------------------------------------------------------


def _delivery_fields(
    delivery_id: str, service: Service, ids: list[str], post_at: datetime | None
) -> dict[str, Any]:
    """What each piece of a delivery keeps in its dialect_fields["nirva"]."""
    return {
        "deliveryId": delivery_id,
        "channelLabel": channel_label(service),
        "outputFileName": "MAIN",
        "options": ids,
        "expectedPostDate": epoch_ms(post_at),
    }


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
    fields = _delivery_fields(delivery_id, service, ids, post_at)
    job_groups.deliver(
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
    service = job_groups.job_service(uow=c.uow(), account_id=account_id, batch_id=job_id)
    _, pieces, _ = job_groups.job_pieces(uow=c.uow(), account_id=account_id, batch_id=job_id)
    types = {t.code: t.id for t in catalog.list_option_types(uow=c.uow(), account_id=account_id)}
    offered = catalog.offered_options(service)
    selectable: dict[str, list[str]] = defaultdict(list)
    for o in catalog.list_options(uow=c.uow(), account_id=account_id):
        if o.type_code in offered and o.code not in offered[o.type_code]:
            continue
        selectable[types.get(o.type_code, o.type_code)].append(o.id)
    per_file = {name: dict(selectable) for name in output_files(service)}
    result = {
        p.id: {channel_label(service): per_file}
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
    service = job_groups.job_service(uow=c.uow(), account_id=account_id, batch_id=body.jobId)
    known = list(catalog.list_options(uow=c.uow(), account_id=account_id))
    chosen, ids = channel_options(service, body.serviceChannelOptions or {}, known)
    delivery_id = _command(c, account_id, body.jobId, service, body.packGroupIds, chosen, ids, body)
    deliveries = _deliveries(c, account_id, body.jobId)
    return _ok(next(d for d in deliveries if d["id"] == delivery_id))


def _deliveries(c: ContainerDep, account_id: str, job_id: str) -> list[dict[str, Any]]:
    _, pieces, _ = job_groups.job_pieces(uow=c.uow(), account_id=account_id, batch_id=job_id)
    grouped = views.deliveries_of(pieces)
    tracked = job_groups.tracking_of_pieces(
        uow=c.uow(), account_id=account_id, piece_ids=[p.id for g in grouped.values() for p in g]
    )
    return [views.delivery_out(job_id, d, members, tracked) for d, members in grouped.items()]


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
    job_groups.piece_of_job(uow=c.uow(), account_id=account_id, piece_id=shipment_id)
    kind = PROOF_NAMES.get(tracking_name)
    if kind is None:
        raise NirvaError(
            NirvaCode.NOT_FOUND,
            f"no tracking file {tracking_name[:50]!r}; the names are {', '.join(PROOF_NAMES)}",
        )
    tracked = job_groups.tracking_of_pieces(
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
