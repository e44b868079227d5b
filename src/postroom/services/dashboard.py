"""What the dashboard shows: an account's overview (counts by state, what needs attention,
credit, letters per day), its letters page by page, and one letter's timeline."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from postroom.domain.clock import Clock
from postroom.domain.errors import ErrorCode, InvalidInput, NotFound
from postroom.domain.model import Document, MailPiece
from postroom.domain.records import EmailAttempt
from postroom.domain.schedule import cut_off_at, earliest_output_date
from postroom.domain.states import PieceState
from postroom.domain.tracking import Change, Proof, Shipment, TrackingEvent
from postroom.domain.webhooks import WebhookDelivery
from postroom.services import catalog, email, order
from postroom.services.ports import UnitOfWork

CHART_DAYS = 30  # the letters-per-day chart, and how far back "needs attention" looks
ATTENTION_LIMIT = 10  # letters listed under "needs attention" (the counts are all of them)
# A letter needs someone's attention when it failed or came back, or when its check found
# it not eligible while it still waits to go (it will not leave until someone acts).
ATTENTION_STATES = (PieceState.FAILED, PieceState.RETURNED)
WAITING_STATES = (PieceState.OPENED, PieceState.CLOSED, PieceState.ACCEPTED)
PAGE_SIZE_MAX = 200
TIMELINE_CHANGES_MAX = 500
TIMELINE_DELIVERIES_MAX = 500
TIMELINE_EMAIL_ATTEMPTS_MAX = 100  # the worker gives up on a message long before
# An email letter's send, by the state the letter is in: the SEND_EMAIL stage moves an
# accepted letter to sent, or to failed with the server's answer.
EMAIL_OUTCOMES = {
    PieceState.ACCEPTED: "waiting",
    PieceState.SENT: "sent",
    PieceState.DELIVERED: "sent",
    PieceState.RETURNED: "sent",
    PieceState.FAILED: "refused",
}


@dataclass(frozen=True)
class Attention:
    """Letters needing attention over the chart's window: counts, and the newest few."""

    failed: int
    returned: int
    not_eligible: int
    letters: Sequence[MailPiece]

    @property
    def total(self) -> int:
        """Every letter needing attention."""
        return self.failed + self.returned + self.not_eligible


@dataclass(frozen=True)
class Overview:
    """An account's home page."""

    today: dict[PieceState, int]  # letters created today, by their state now
    month: dict[PieceState, int]  # letters created this month, by their state now
    per_day: list[tuple[date, int]]  # CHART_DAYS UTC days, oldest first, zeros included
    attention: Attention
    balance: order.Balance
    day_start: datetime  # UTC start of "today" in the default service's timezone
    cut_offs: list[CutOff]


@dataclass(frozen=True)
class CutOff:
    """When a service next puts its waiting letters into production."""

    service: str  # its name
    code: str
    at: datetime | None  # in the service's timezone; None: it produces at once


def next_cut_offs(*, uow: UnitOfWork, now: datetime, account_id: str) -> list[CutOff]:
    """Each service the account can use with its next cut-off (the first of them first;
    services that produce at once last)."""
    found = []
    for service in catalog.list_services(uow=uow, account_id=account_id):
        at = None
        if not service.immediate:
            day = earliest_output_date(now, service.cut_off, service.timezone)
            at = cut_off_at(day, service.cut_off, service.timezone).astimezone(
                ZoneInfo(service.timezone)
            )
        found.append(CutOff(service.name, service.code, at))
    return sorted(found, key=lambda c: (c.at is None, c.at.astimezone(UTC) if c.at else now))


def _by_state(counts: dict[tuple[PieceState, bool | None], int]) -> dict[PieceState, int]:
    out: dict[PieceState, int] = {}
    for (state, _), n in counts.items():
        out[state] = out.get(state, 0) + n
    return out


def overview(*, uow: UnitOfWork, clock: Clock, account_id: str, service_ref: str) -> Overview:
    """The account's counts by state (today and this month, in the timezone its credit is
    counted in), what needs attention, its credit, and letters per day; every count is
    made by the database."""
    balance = order.account_balance(
        uow=uow, clock=clock, account_id=account_id, service_ref=service_ref
    )
    now = clock.now()
    tz = ZoneInfo(balance.timezone)
    local = now.astimezone(tz)
    day_start = datetime(local.year, local.month, local.day, tzinfo=tz).astimezone(UTC)
    first_day = now.astimezone(UTC).date() - timedelta(days=CHART_DAYS - 1)
    window = datetime(first_day.year, first_day.month, first_day.day, tzinfo=UTC)
    with uow:
        q = uow.dashboard
        today = _by_state(q.state_counts(account_id, since=day_start))
        month = _by_state(q.state_counts(account_id, since=balance.month_start))
        recent = q.state_counts(account_id, since=window)
        daily = q.daily_counts(account_id, since=window)
        letters = q.needing_attention(
            account_id,
            since=window,
            states=ATTENTION_STATES,
            ineligible_in=WAITING_STATES,
            limit=ATTENTION_LIMIT,
        )
    attention = Attention(
        failed=sum(n for (s, _), n in recent.items() if s is PieceState.FAILED),
        returned=sum(n for (s, _), n in recent.items() if s is PieceState.RETURNED),
        not_eligible=sum(n for (s, ok), n in recent.items() if ok is False and s in WAITING_STATES),
        letters=letters,
    )
    days = [first_day + timedelta(days=i) for i in range(CHART_DAYS)]
    cut_offs = next_cut_offs(uow=uow, now=now, account_id=account_id)
    return Overview(
        today=today,
        month=month,
        per_day=[(d, daily.get(d, 0)) for d in days],
        attention=attention,
        balance=balance,
        day_start=day_start,
        cut_offs=cut_offs,
    )


@dataclass(frozen=True)
class LetterPage:
    """One page of an account's letters and how many match in all."""

    letters: Sequence[MailPiece]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        """How many pages the matching letters fill (at least one)."""
        return max(1, -(-self.total // self.page_size))


def search_letters(
    *,
    uow: UnitOfWork,
    account_id: str,
    state: PieceState | None,
    reference: str | None,
    page: int,
    page_size: int,
    not_eligible: bool = False,
    created_from: date | None = None,
    created_to: date | None = None,
) -> LetterPage:
    """Page `page` (1-based) of the account's letters, newest first, in one state and/or
    whose reference (the sender's, the tracking number, or the id), recipient's first name
    line or postal code holds `reference`, created from `created_from` to `created_to`
    (UTC days, both included); with `not_eligible`, only those found not eligible that
    still wait to go. InvalidInput when the days are the wrong way round."""
    ineligible_in = WAITING_STATES if not_eligible else None
    if created_from and created_to and created_from > created_to:
        raise InvalidInput(
            f"the first day ({created_from.isoformat()}) is after the last "
            f"({created_to.isoformat()})",
            code=ErrorCode.VALIDATION_ERROR,
        )
    created = (
        _utc_midnight(created_from) if created_from else None,
        _utc_midnight(created_to + timedelta(days=1)) if created_to else None,
    )
    page = max(1, page)
    page_size = min(max(1, page_size), PAGE_SIZE_MAX)
    reference = (reference or "").strip() or None
    with uow:
        total = uow.dashboard.count_matching(
            account_id,
            state=state,
            reference=reference,
            ineligible_in=ineligible_in,
            created=created,
        )
        found = uow.dashboard.search(
            account_id,
            state=state,
            reference=reference,
            ineligible_in=ineligible_in,
            created=created,
            offset=(page - 1) * page_size,
            limit=page_size,
        )
    return LetterPage(found, total, page, page_size)


def _utc_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


@dataclass(frozen=True)
class EmailSend:
    """An email letter's message: to whom, and what came of sending it."""

    to: str
    subject: str
    message_id: str | None  # given before the first attempt
    outcome: str  # waiting, sent, refused (EMAIL_OUTCOMES); "" before it is accepted
    at: datetime | None  # when it was sent or refused
    reason: str = ""  # the server's answer, when refused


@dataclass(frozen=True)
class WebhookSend:
    """One webhook message about the letter (or its shipment) to one endpoint."""

    delivery: WebhookDelivery
    endpoint_url: str


@dataclass(frozen=True)
class LetterTimeline:
    """One letter with everything that happened to it."""

    letter: MailPiece
    document: Document | None
    states: list[Change]  # its change-feed entries: every state it entered, oldest first
    shipment: Shipment | None
    events: list[TrackingEvent]  # carrier events, in time order
    proofs: list[Proof]
    webhooks: list[WebhookSend] = field(default_factory=list)  # oldest first
    email: EmailSend | None = None  # for a letter sent by email
    email_attempts: list[EmailAttempt] = field(default_factory=list)  # its SMTP tries


def email_send(piece: MailPiece, states: Sequence[Change]) -> EmailSend | None:
    """What came of an email letter's message (None for a paper letter)."""
    if not email.is_email_piece(piece):
        return None
    facts = piece.delivery["email"]
    outcome = EMAIL_OUTCOMES.get(piece.state, "")
    entered = {"sent": PieceState.SENT.value, "refused": PieceState.FAILED.value}.get(outcome)
    at = next((c.created_at for c in reversed(states) if c.status == entered), None)
    return EmailSend(
        to=facts.get("to", ""),
        subject=facts.get("subject", ""),
        message_id=piece.external_reference,
        outcome=outcome,
        at=at,
        reason=(piece.failure_reason or "") if outcome == "refused" else "",
    )


def letter_timeline(*, uow: UnitOfWork, account_id: str, piece_id: str) -> LetterTimeline:
    """One of the account's letters with its states, carrier events, proofs, the webhook
    messages about it or its shipment, and its email with each SMTP attempt (NotFound for
    another account's)."""
    with uow:
        piece = uow.pieces.get(account_id, piece_id)
        if piece is None:
            raise NotFound(f"no letter {piece_id}")
        document = uow.pieces.document_by_id(piece.document_id)
        states = uow.dashboard.changes_of(account_id, "piece", piece.id, limit=TIMELINE_CHANGES_MAX)
        shipment = uow.shipments.by_piece(piece.id)
        events: list[TrackingEvent] = []
        proofs: list[Proof] = []
        subjects = [piece.id]
        if shipment is not None:
            events = uow.shipments.events_of([shipment.id])[shipment.id]
            proofs = list(uow.shipments.proofs_of(shipment.id))
            subjects.append(shipment.id)
        deliveries = uow.webhooks.deliveries_about(
            account_id, subjects, limit=TIMELINE_DELIVERIES_MAX
        )
        attempts = (
            uow.email_attempts.of_piece(piece.id, limit=TIMELINE_EMAIL_ATTEMPTS_MAX)
            if email.is_email_piece(piece)
            else []
        )
        endpoints = {d.endpoint_id for d in deliveries}
        found = (uow.webhooks.endpoint(account_id, e) for e in sorted(endpoints))
        urls = {e.id: e.url for e in found if e is not None}
    webhooks = [WebhookSend(d, urls.get(d.endpoint_id, "")) for d in deliveries]
    return LetterTimeline(
        piece,
        document,
        states,
        shipment,
        events,
        proofs,
        webhooks,
        email_send(piece, states),
        attempts,
    )
