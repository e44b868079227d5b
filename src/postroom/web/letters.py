"""The letters list (filtered and paged by the database) and a letter's page: its
timeline, address, preview and proofs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from postroom.addresses.country_names import country_name
from postroom.addresses.formats import country_format, town_line
from postroom.domain.errors import ContentRemoved, InvalidInput
from postroom.domain.model import Recipient
from postroom.domain.states import CANCELLABLE_PIECE_STATES, PieceState
from postroom.domain.webhooks import DeliveryState
from postroom.http.deps import ContainerDep
from postroom.services import dashboard, letters, previews, tracking
from postroom.services.retry import retrying
from postroom.web.errors import PageRoute
from postroom.web.security import CSRF_FIELD, VisitorDep, check_csrf
from postroom.web.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

PAGE_SIZE = 50
NOT_ELIGIBLE = "not-eligible"
PROOF_NAMES = {
    "CERTIF": "Deposit certificate",
    "ACKN": "Acknowledgement of receipt",
    "FAIL_PROOF": "Failure proof",
    "TRACKING_DETAIL": "Tracking detail",
}  # ?attention=not-eligible: the home page's link
REFERENCE_MAX = 100


def _state(value: str) -> PieceState | None:
    if not value:
        return None
    try:
        return PieceState(value)
    except ValueError:
        raise InvalidInput(f"There is no letter state called {value[:40]!r}.") from None


def _day(name: str, value: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"The {name} day is not a date like 2026-12-07.") from None


@router.get("/letters")
def letter_list(
    request: Request,
    c: ContainerDep,
    visitor: VisitorDep,
    state: str = "",
    q: Annotated[str, Query(max_length=REFERENCE_MAX)] = "",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    attention: str = "",
    created_from: Annotated[str, Query(alias="from", max_length=10)] = "",
    created_to: Annotated[str, Query(alias="to", max_length=10)] = "",
) -> Response:
    """The account's letters, newest first, 50 a page."""
    chosen = _state(state)
    if attention not in ("", NOT_ELIGIBLE):
        raise InvalidInput(f"Letters can be picked by attention={NOT_ELIGIBLE} only.")
    found = dashboard.search_letters(
        uow=c.uow(),
        account_id=visitor.account_id,
        state=chosen,
        reference=q,
        page=page,
        page_size=PAGE_SIZE,
        not_eligible=attention == NOT_ELIGIBLE,
        created_from=_day("from", created_from),
        created_to=_day("to", created_to),
    )
    chosen_filters = (
        ("state", state),
        ("q", q.strip()),
        ("from", created_from),
        ("to", created_to),
        ("attention", attention),
    )
    filters = {k: v for k, v in chosen_filters if v}

    def page_link(n: int) -> str:
        return "/letters?" + urlencode({**filters, **({"page": n} if n > 1 else {})})

    return render(
        request,
        c,
        "letters.html",
        title="Letters",
        nav="letters",
        visitor=visitor,
        found=found,
        states=list(PieceState),
        state=state,
        q=q.strip(),
        attention=attention,
        created_from=created_from,
        created_to=created_to,
        previous=page_link(page - 1) if page > 1 else None,
        next=page_link(page + 1) if page < found.pages else None,
        first_shown=(page - 1) * PAGE_SIZE + 1,
    )


@dataclass(frozen=True)
class Moment:
    """One line of a letter's timeline."""

    at: datetime
    kind: str  # state, event, proof, webhook, email
    title: str
    detail: str = ""
    link: str = ""


def address_lines(recipient: Recipient | None) -> list[str]:
    """The recipient as the envelope shows it."""
    if recipient is None:
        return []
    fmt = country_format(recipient.country)
    town = town_line(recipient.postal_code, recipient.city, recipient.region, fmt)
    return [*recipient.name_lines, *recipient.street_lines, town, country_name(recipient.country)]


def _moments(timeline: dashboard.LetterTimeline, c: ContainerDep) -> list[Moment]:
    moments: list[Moment] = []
    for change in timeline.states:
        detail = ""
        if change.data.get("failure_reason"):
            detail = f"{change.data.get('failure_code')}: {change.data['failure_reason']}"
        moments.append(Moment(change.created_at, "state", change.status, detail))
    for event in timeline.events:
        view: dict[str, Any] = tracking.event_view(event, c.events)
        where = event.location or ""
        title = view["name"] or f"Event {event.code}"
        moments.append(
            Moment(
                event.occurred_at, "event", title, " · ".join(x for x in (where, event.code) if x)
            )
        )
    for proof in timeline.proofs:
        link = "" if proof.redacted_at else f"/proofs/{proof.id}"
        name = PROOF_NAMES.get(proof.kind.value, proof.kind.value)
        moments.append(Moment(proof.created_at, "proof", name, "", link))
    moments.extend(_webhook_moment(w) for w in timeline.webhooks)
    sent = timeline.email
    if sent is not None and timeline.email_attempts:
        # Each try at the SMTP server, with its answer (the last one is the outcome).
        for attempt in timeline.email_attempts:
            detail = f"to {sent.to} via {attempt.server or 'no server'}: {attempt.answer}"
            title = ATTEMPT_TITLES.get(attempt.outcome, attempt.outcome)
            moments.append(Moment(attempt.attempted_at, "email", title, detail))
    elif sent is not None and sent.at is not None:  # kept as a file, or sent before 0027
        detail = f"to {sent.to}" + (f": {sent.reason}" if sent.reason else "")
        moments.append(Moment(sent.at, "email", EMAIL_TITLES[sent.outcome], detail))
    moments.sort(key=lambda m: m.at)
    return moments


EMAIL_TITLES = {"sent": "Email sent", "refused": "Email refused"}
ATTEMPT_TITLES = {
    "sent": "Email sent: the server took it",
    "refused": "Email refused by the server",
    "deferred": "Email not taken yet: tried again later",
}
DELIVERY_WORDS = {
    DeliveryState.PENDING: "waiting for its next attempt",
    DeliveryState.SENDING: "being sent",
    DeliveryState.SUCCEEDED: "delivered",
    DeliveryState.FAILED: "failed",
}


def _webhook_moment(sent: dashboard.WebhookSend) -> Moment:
    d = sent.delivery
    tries = f"{d.attempts} attempt{'' if d.attempts == 1 else 's'}"
    answer = f"HTTP {d.last_status_code}" if d.last_status_code else "no answer"
    detail = DELIVERY_WORDS[d.state] + (f" after {tries}, {answer}" if d.attempts else "")
    link = f"/developers/webhooks/{d.endpoint_id}#delivery-{d.id}"
    return Moment(d.created_at, "webhook", f"{d.event_type} to {sent.endpoint_url}", detail, link)


@router.get("/letters/{letter_id}")
def letter_page(
    request: Request,
    c: ContainerDep,
    visitor: VisitorDep,
    letter_id: Annotated[str, Path(max_length=64)],
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    """One letter: where it is, its address, how it prints, and everything that happened."""
    timeline = dashboard.letter_timeline(
        uow=c.uow(), account_id=visitor.account_id, piece_id=letter_id
    )
    letter = timeline.letter
    problem = previews.preview_problem(
        uow=c.uow(), account_id=visitor.account_id, piece_id=letter_id
    )
    pages = previews.printed_pages(letter)
    return render(
        request,
        c,
        "letter.html",
        title=f"Letter {letter.client_reference or letter.id[:8]}",
        nav="letters",
        visitor=visitor,
        letter=letter,
        timeline=timeline,
        moments=_moments(timeline, c),
        address=address_lines(letter.recipient),
        preview_problem=problem,
        preview_page=min(page, pages),
        preview_pages=pages,
        currency=c.prices.currency,
        cancellable=letter.state in CANCELLABLE_PIECE_STATES,
        sandbox=visitor.account.sandbox,
        event_codes=c.events.all(),
    )


@router.post("/letters/{letter_id}/cancel")
def cancel_letter(
    request: Request,
    c: ContainerDep,
    visitor: VisitorDep,
    letter_id: Annotated[str, Path(max_length=64)],
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "",
) -> Response:
    """Cancel the letter before it reaches production (as POST /v1/letters/{id}/cancel)."""
    check_csrf(request, c, csrf_token)
    retrying(
        lambda: letters.cancel_letter(
            uow=c.uow(), clock=c.clock, account_id=visitor.account_id, piece_id=letter_id
        )
    )
    return RedirectResponse(f"/letters/{letter_id}", status_code=303)


@router.get("/letters/{letter_id}/pages/{page}.png")
def letter_preview(
    c: ContainerDep,
    visitor: VisitorDep,
    letter_id: Annotated[str, Path(max_length=64)],
    page: Annotated[int, Path(ge=1, le=10_000)],
) -> Response:
    """A page of the letter as it will print (the API's preview, GET /v1/letters/.../pages)."""
    png = previews.preview_letter_page(
        uow=c.uow(),
        blobs=c.blobs,
        render=c.render_piece_preview,
        account_id=visitor.account_id,
        piece_id=letter_id,
        page=page,
    )
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, no-cache"})


@router.get("/proofs/{proof_id}")
def proof_download(
    c: ContainerDep, visitor: VisitorDep, proof_id: Annotated[str, Path(max_length=64)]
) -> Response:
    """A proof's file, as GET /v1/proofs/{id}/content serves it."""
    proof = tracking.get_proof(uow=c.uow(), account_id=visitor.account_id, proof_id=proof_id)
    if proof.redacted_at is not None or not c.blobs.exists(proof.blob_sha256):
        raise ContentRemoved("This proof's file was removed by the retention rules.")
    suffix = "json" if proof.media_type == "application/json" else "pdf"
    return FileResponse(
        c.blobs.path(proof.blob_sha256),
        media_type=proof.media_type,
        filename=f"{proof.kind.value.lower()}-{proof.shipment_id}.{suffix}",
    )
