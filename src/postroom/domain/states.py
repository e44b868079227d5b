"""States of the core nouns, with their explicit transition tables; an illegal move raises."""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

from postroom.domain.errors import IllegalTransition


class PieceState(StrEnum):
    """Life of one mail piece, from upload to the recipient."""

    OPENED = "opened"  # accepting content (dialects that build a piece step by step)
    CLOSED = "closed"  # complete, waiting for its checks
    ACCEPTED = "accepted"  # checked, waiting for a lot (print) or to be sent (email)
    ALLOCATED = "allocated"  # in a lot whose files are being written
    TRANSFERRED = "transferred"  # in a lot file handed to production
    PRINTED = "printed"
    POSTED = "posted"
    SENT = "sent"  # handed to the recipient's mail server (email channel)
    DELIVERED = "delivered"
    RETURNED = "returned"
    CANCELLED = "cancelled"
    FAILED = "failed"


PIECE_TRANSITIONS: dict[PieceState, frozenset[PieceState]] = {
    PieceState.OPENED: frozenset({PieceState.CLOSED, PieceState.CANCELLED, PieceState.FAILED}),
    PieceState.CLOSED: frozenset({PieceState.ACCEPTED, PieceState.CANCELLED, PieceState.FAILED}),
    PieceState.ACCEPTED: frozenset(
        {PieceState.ALLOCATED, PieceState.SENT, PieceState.CANCELLED, PieceState.FAILED}
    ),
    PieceState.ALLOCATED: frozenset({PieceState.TRANSFERRED, PieceState.FAILED}),
    # A piece handed to a hand-off channel (domain/handoff.py) is sent or delivered as that
    # channel reports; a printed one is printed first.
    PieceState.TRANSFERRED: frozenset(
        {PieceState.PRINTED, PieceState.SENT, PieceState.DELIVERED, PieceState.FAILED}
    ),
    PieceState.PRINTED: frozenset({PieceState.POSTED, PieceState.FAILED}),
    PieceState.POSTED: frozenset({PieceState.DELIVERED, PieceState.RETURNED}),
    # A later event (a bounce, a read receipt) may still say what became of an email.
    PieceState.SENT: frozenset({PieceState.DELIVERED, PieceState.RETURNED}),
    PieceState.DELIVERED: frozenset(),
    PieceState.RETURNED: frozenset(),
    PieceState.CANCELLED: frozenset(),
    PieceState.FAILED: frozenset(),
}

CANCELLABLE_PIECE_STATES = frozenset(
    s for s, targets in PIECE_TRANSITIONS.items() if PieceState.CANCELLED in targets
)

# A piece in one of these no longer needs its document or its recipient: it has left (or
# will never leave); later carrier events only move it between these. Retention may
# remove both once it has not changed for the retention period.
CONTENT_SPENT = frozenset(
    {
        PieceState.POSTED,
        PieceState.SENT,
        PieceState.DELIVERED,
        PieceState.RETURNED,
        PieceState.CANCELLED,
        PieceState.FAILED,
    }
)


class DocumentState(StrEnum):
    """Life of an uploaded document: checked in the worker, then usable or refused."""

    RECEIVED = "received"  # stored, waiting for preflight
    CHECKED = "checked"  # preflight done; the report says what was found
    REJECTED = "rejected"  # preflight found an error that stops every piece in it


DOCUMENT_TRANSITIONS: dict[DocumentState, frozenset[DocumentState]] = {
    DocumentState.RECEIVED: frozenset({DocumentState.CHECKED, DocumentState.REJECTED}),
    DocumentState.CHECKED: frozenset(),
    DocumentState.REJECTED: frozenset(),
}


class BatchState(StrEnum):
    """Life of a batch of pieces (an Ekopost campaign, a Nirva job, a Click2Mail job)."""

    OPENED = "opened"
    CLOSED = "closed"
    TRANSFERRED = "transferred"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    FAILED = "failed"


BATCH_TRANSITIONS: dict[BatchState, frozenset[BatchState]] = {
    BatchState.OPENED: frozenset({BatchState.CLOSED, BatchState.CANCELLED, BatchState.FAILED}),
    BatchState.CLOSED: frozenset({BatchState.TRANSFERRED, BatchState.CANCELLED, BatchState.FAILED}),
    BatchState.TRANSFERRED: frozenset({BatchState.COMPLETED, BatchState.FAILED}),
    BatchState.COMPLETED: frozenset(),
    BatchState.CANCELLED: frozenset(),
    BatchState.FAILED: frozenset(),
}


class LotState(StrEnum):
    """Life of a production lot."""

    COMPOSING = "composing"  # pieces allocated, files being written
    COMPOSED = "composed"  # files complete in the output folder
    PRINTED = "printed"
    POSTED = "posted"
    FAILED = "failed"


LOT_TRANSITIONS: dict[LotState, frozenset[LotState]] = {
    LotState.COMPOSING: frozenset({LotState.COMPOSED, LotState.FAILED}),
    LotState.COMPOSED: frozenset({LotState.PRINTED, LotState.FAILED}),
    LotState.PRINTED: frozenset({LotState.POSTED, LotState.FAILED}),
    LotState.POSTED: frozenset(),
    LotState.FAILED: frozenset(),
}


class ApiKeyState(StrEnum):
    """An API key is usable only while active; a revoked key can be reactivated."""

    ACTIVE = "active"
    REVOKED = "revoked"


API_KEY_TRANSITIONS: dict[ApiKeyState, frozenset[ApiKeyState]] = {
    ApiKeyState.ACTIVE: frozenset({ApiKeyState.REVOKED}),
    ApiKeyState.REVOKED: frozenset({ApiKeyState.ACTIVE}),
}


S = TypeVar("S", bound=StrEnum)


def check_transition(table: dict[S, frozenset[S]], current: S, target: S) -> S:
    """Return `target` when the table allows current -> target, else raise IllegalTransition."""
    if target not in table[current]:
        raise IllegalTransition(
            f"cannot go from {current.value} to {target.value}",
            detail={"from": current.value, "to": target.value},
        )
    return target
