"""Nirva's answers built from the core's objects: jobs, pack groups, deliveries and their
shipments with tracking metadata (every success is {"result": ...}, see router._ok)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from postroom.dialects.nirva.mapping import (
    DELIVERY_ORDER,
    DELIVERY_STATES,
    DIALECT,
    ELIGIBILITY_REASONS,
    METADATA_KIND,
    PACK_GROUP_STATES,
    POSTAL_ADDRESS_RECIPIENT,
    RAW_VALUE_TYPE,
    TRACKING,
    DeliveryStatus,
    JobStatus,
    PackGroupStatus,
    option_values,
)
from postroom.dialects.nirva.schemas import epoch_ms
from postroom.domain.catalog import Service
from postroom.domain.model import Batch, Document, MailPiece
from postroom.domain.states import DocumentState, PieceState
from postroom.services import job_groups


def in_file_order(pieces: list[MailPiece]) -> list[MailPiece]:
    """A job's pieces as its files were sent: by box, file index, then page."""

    def key(piece: MailPiece) -> tuple[str, int, int]:
        own = piece.dialect_fields.get(DIALECT) or {}
        return (str(own.get("box", "")), int(own.get("fileIndex", 0)), piece.first_page)

    return sorted(pieces, key=key)


def group_status(piece: MailPiece) -> PackGroupStatus:
    if piece.state is PieceState.OPENED:
        return PackGroupStatus.ELIGIBLE if piece.eligible else PackGroupStatus.NOT_ELIGIBLE
    return PACK_GROUP_STATES[piece.state]


def counts(pieces: list[MailPiece]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for piece in pieces:
        counts[group_status(piece).value] += 1
    return dict(counts)


def cut_counts(cut: dict[str, bool]) -> dict[str, int]:
    """A job's groups as cut (piece id -> eligible), before any delivery."""
    found = {
        PackGroupStatus.ELIGIBLE.value: sum(cut.values()),
        PackGroupStatus.NOT_ELIGIBLE.value: len(cut) - sum(cut.values()),
    }
    return {status: n for status, n in found.items() if n}


def job_out(batch: Batch, pieces: list[MailPiece], documents: list[Document]) -> dict[str, Any]:
    rejected = [d for d in documents if d.state is DocumentState.REJECTED]
    out: dict[str, Any] = {
        "jobId": batch.id,
        "jobName": batch.name,
        "serviceId": batch.service_id,
        "status": (JobStatus.PROCESSING_ERROR if rejected else JobStatus.PACK_GROUP_CREATED).value,
        "creationDate": epoch_ms(batch.created_at),
        "packGroupCountPerStates": counts(pieces),
    }
    if rejected:
        out["errors"] = [
            {"fileName": d.filename, "code": f.get("code"), "message": f.get("message")}
            for d in rejected
            for f in (d.report or {}).get("findings", [])
            if f.get("severity", "error") == "error"
        ]
    return out


def reasons(piece: MailPiece) -> list[dict[str, Any]]:
    return [
        {
            "code": ELIGIBILITY_REASONS.get(str(f.get("code")), str(f.get("code", "")).upper()),
            "coreCode": f.get("code"),
            "severity": str(f.get("severity", "error")).upper(),
            "message": f.get("message", ""),
        }
        for f in piece.findings
    ]


def group_out(piece: MailPiece, service: Service) -> dict[str, Any]:
    own = piece.dialect_fields.get(DIALECT) or {}
    address = "\n".join(job_groups.address_text(piece, service))
    return {
        "id": piece.id,
        "jobId": piece.batch_id,
        "status": group_status(piece).value,
        "eligibility": {"eligible": bool(piece.eligible), "reasons": reasons(piece)},
        "rawValues": {POSTAL_ADDRESS_RECIPIENT: {"@type": RAW_VALUE_TYPE, "value": address}},
        "addressSource": piece.address_source,
        "documentId": piece.document_id,
        "firstPage": piece.first_page,
        "lastPage": piece.last_page,
        # Every page it prints from content: its own, the annexes', the configured files'.
        "pageCount": piece.page_count,
        "deliveryId": own.get("deliveryId"),
        "boxName": own.get("box"),
        "options": option_values(piece.options) if piece.state is not PieceState.OPENED else {},
        "fileIndex": own.get("fileIndex"),
    }


def metadata(tracked: job_groups.PieceTracking, shipment_id: str) -> list[dict[str, Any]]:
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


def deliveries_of(pieces: list[MailPiece]) -> dict[str, list[MailPiece]]:
    """A job's pieces in a delivery, by delivery id, in file order."""
    grouped: dict[str, list[MailPiece]] = defaultdict(list)
    for piece in in_file_order(pieces):
        delivery_id = (piece.dialect_fields.get(DIALECT) or {}).get("deliveryId")
        if delivery_id:
            grouped[str(delivery_id)].append(piece)
    return dict(grouped)


def delivery_out(
    job_id: str,
    delivery_id: str,
    members: list[MailPiece],
    tracked: dict[str, job_groups.PieceTracking],
) -> dict[str, Any]:
    """A delivery: the least advanced status of its groups, its command's fields, and once
    OUTPUTTED one shipment per group with its tracking metadata."""
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
        delivery["shipments"] = [shipment_out(p, tracked[p.id]) for p in members]
    return delivery


def shipment_out(piece: MailPiece, tracked: job_groups.PieceTracking) -> dict[str, Any]:
    """A pack group as a shipment: the core's carriage status once it has one."""
    status = PACK_GROUP_STATES[piece.state].value
    if tracked.shipment is not None:
        status = tracked.shipment.status.value.upper()
    return {
        "id": piece.id,
        "packGroupId": piece.id,
        "status": status,
        "metadata": metadata(tracked, piece.id),
    }
