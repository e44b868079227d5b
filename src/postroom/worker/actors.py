"""Dramatiq actors: thin wrappers that call a pipeline stage and retry only retryable errors."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import dramatiq

from postroom.services import composition, intake, pipeline, shared_ranges, tracking
from postroom.services import email as email_stage
from postroom.services import sms as sms_stage
from postroom.services.retry import retrying
from postroom.services.stages import (
    CHECK_PIECE,
    COMPOSE_LOT,
    FOLD_EVENTS,
    HAND_OFF_PIECE,
    ISSUE_PROOF,
    PREFLIGHT_DOCUMENT,
    SEND_EMAIL,
    SEND_SMS,
    SHARE_RANGES,
)

if TYPE_CHECKING:
    from postroom.bootstrap import Container

log = logging.getLogger(__name__)

QUEUE = "postroom-pipeline"
# Folding carrier events has a queue of its own, so that a backlog of other stages (a
# thousand deliveries ask for two thousand proof PDFs) does not hold it back: each queue
# has its consumer, and the worker threads take the higher priority first. Help with a large
# file's ranges likewise: it is asked while the file is being read, not after the backlog.
QUEUES = {FOLD_EVENTS: "postroom-tracking", SHARE_RANGES: "postroom-ranges"}
PRIORITIES = {ISSUE_PROOF: 10}  # lower runs first; a proof can wait a little


def queue_of(stage: str) -> str:
    """The queue a stage's messages go to."""
    return QUEUES.get(stage, QUEUE)


MAX_RETRIES = 12


def _retry_when(retries: int, exc: BaseException) -> bool:
    return retries < MAX_RETRIES


def register_actors(container: Container) -> dict[str, dramatiq.Actor[Any, Any]]:
    """Declare the pipeline's actors on the container's broker."""

    def check_piece(message_id: int, piece_id: str) -> None:
        pipeline.check_piece(
            uow_factory=container.uow,
            blobs=container.blobs,
            clock=container.clock,
            analyse=container.analyse,
            piece_id=piece_id,
            message_id=message_id,
            prices=container.prices,
        )

    def preflight_document(message_id: int, document_id: str) -> None:
        intake.preflight_document(
            uow_factory=container.uow,
            blobs=container.blobs,
            clock=container.clock,
            analyse=container.analyse,
            document_id=document_id,
            message_id=message_id,
        )

    def compose_lot(message_id: int, lot_id: str) -> None:
        composition.compose_lot(
            uow=container.uow(),
            blobs=container.blobs,
            clock=container.clock,
            channels=container.channels,
            lot_id=lot_id,
            message_id=message_id,
        )

    def hand_off_piece(message_id: int, piece_id: str, channel_name: str) -> None:
        composition.hand_off_piece(
            uow_factory=container.uow,
            blobs=container.blobs,
            clock=container.clock,
            channels=container.channels,
            channel_name=channel_name,
            piece_id=piece_id,
            message_id=message_id,
        )

    def issue_proof(message_id: int, shipment_id: str, kind: str) -> None:
        tracking.issue_proof(
            uow=container.uow(),
            blobs=container.blobs,
            clock=container.clock,
            catalog=container.events,
            shipment_id=shipment_id,
            kind=kind,
            message_id=message_id,
        )

    def fold_events(message_id: int, batch_id: str) -> None:
        retrying(
            lambda: tracking.fold_events(
                uow=container.uow(),
                clock=container.clock,
                catalog=container.events,
                batch_id=batch_id,
                message_id=message_id,
            )
        )

    def send_email(message_id: int, piece_id: str) -> None:
        email_stage.send_email(
            uow_factory=container.uow,
            blobs=container.blobs,
            clock=container.clock,
            channel=container.email_channel,
            piece_id=piece_id,
            message_id=message_id,
        )

    def send_sms(message_id: int, sms_id: str) -> None:
        sms_stage.send_sms(
            uow_factory=container.uow,
            clock=container.clock,
            channel=container.sms_channel,
            secret=container.settings.secret_key,
            sms_id=sms_id,
            message_id=message_id,
        )

    def share_ranges(message_id: int, document_id: str) -> None:
        shared_ranges.help_with_ranges(
            uow_factory=container.uow,
            blobs=container.blobs,
            clock=container.clock,
            run=container.run_in_child,
            slots=container.range_slots,
            workers=container.settings.preflight_processes,
            document_id=document_id,
            message_id=message_id,
        )

    stages: dict[str, Callable[..., None]] = {
        CHECK_PIECE: check_piece,
        PREFLIGHT_DOCUMENT: preflight_document,
        COMPOSE_LOT: compose_lot,
        HAND_OFF_PIECE: hand_off_piece,
        SEND_EMAIL: send_email,
        SEND_SMS: send_sms,
        ISSUE_PROOF: issue_proof,
        FOLD_EVENTS: fold_events,
        SHARE_RANGES: share_ranges,
    }
    return {
        name: dramatiq.Actor(
            _guarded(container, name, fn),
            broker=container.broker,
            actor_name=name,
            queue_name=queue_of(name),
            priority=PRIORITIES.get(name, 0),
            options={
                "max_retries": MAX_RETRIES,
                "min_backoff": 200,
                "max_backoff": 60_000,
                "retry_when": _retry_when,
                "time_limit": 15 * 60 * 1000,
            },
        )
        for name, fn in stages.items()
    }


def _guarded(container: Container, name: str, fn: Callable[..., None]) -> Callable[..., None]:
    """Retry transient failures; turn any other failure into a failed subject, never a loop."""

    def run(message_id: int, **payload: Any) -> None:
        try:
            fn(message_id, **payload)
        except Exception as exc:
            if container.is_retryable(exc):
                log.warning("%s %s: retryable failure: %s", name, payload, exc)
                raise
            log.exception("%s %s failed for good", name, payload)
            pipeline.abandon_stage(
                uow=container.uow(),
                clock=container.clock,
                actor=name,
                payload=payload,
                message_id=message_id,
                reason=f"{type(exc).__name__}: {exc}",
            )

    run.__name__ = name
    return run
