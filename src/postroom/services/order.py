"""Ordering: close a batch (or accept a letter), price its pieces, check and spend the
account's credit, and schedule the pieces for their output date and cut-off."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, ParamSpec, TypeVar, cast

from postroom.documents.profiles import get_profile
from postroom.domain import s10
from postroom.domain.catalog import Service, configured_pages
from postroom.domain.clock import Clock
from postroom.domain.eligibility import sheets_needed
from postroom.domain.errors import Conflict, ErrorCode, InvalidInput, NotFound, PaymentRequired
from postroom.domain.findings import Finding, Severity
from postroom.domain.geometry import LAYOUTS
from postroom.domain.mail_merge import check_quantity
from postroom.domain.model import Account, Batch, MailPiece, Postage
from postroom.domain.pricing import PiecePrice, PriceTable, price_piece
from postroom.domain.schedule import (
    expected_post_date,
    is_working_day,
    local_today,
    month_start,
    next_working_day,
    output_date,
    planned_output_date,
)
from postroom.domain.states import (
    BatchState,
    DocumentState,
    PieceState,
)
from postroom.services import email, handoff
from postroom.services.catalog import (
    ChosenOptions,
    find_service,
    layout_for_envelope,
    resolve_options,
)
from postroom.services.ports import UnitOfWork

P = ParamSpec("P")
R = TypeVar("R")

PAGE = 1000  # pieces read per query while closing a batch
CLOSABLE = frozenset({PieceState.OPENED, PieceState.CLOSED})


@dataclass(frozen=True)
class Schedule:
    """When pieces are produced: `output_date` None means at once; `shown_date` is the date
    the sender sees as the output date either way."""

    output_date: date | None
    shown_date: date
    expected_post_date: date


@dataclass(frozen=True)
class BatchClosed:
    """What closing a batch did: pieces accepted and left behind, the total, the schedule."""

    batch: Batch
    service: Service
    accepted: int
    not_eligible: int
    total_minor: int
    currency: str
    credit_left_minor: int
    schedule: Schedule


def schedule_for(
    service: Service, *, now: datetime, postage: Postage, express: bool, requested: date | None
) -> Schedule:
    """The output and expected post dates of pieces of this service, options and request."""
    tz = service.timezone
    if requested is None and (service.immediate or express):
        today = local_today(now, tz)
        shown = today if is_working_day(today) else next_working_day(today)
        return Schedule(None, shown, expected_post_date(shown, postage))
    if express:
        raise InvalidInput(
            "express production happens at once; leave out output_date or choose STANDARD",
            code=ErrorCode.EXPRESS_WITH_OUTPUT_DATE,
        )
    day = output_date(now, service.cut_off, tz, requested)
    return Schedule(day, day, expected_post_date(day, postage))


def address_page_of(piece: MailPiece, service: Service) -> bool:
    """Whether the piece gets an address page: its service's setting, or its own ask."""
    return service.address_page or piece.own_address_page


def price_for(
    prices: PriceTable,
    service: Service,
    chosen: ChosenOptions,
    piece: MailPiece,
    *,
    destination: str | None = None,
) -> PiecePrice:
    """The price of one piece under a service and options: to its recipient's country, or
    to `destination` while its recipient is not known yet (read from the window later)."""
    country = piece.recipient.country if piece.recipient is not None else destination
    assert country is not None, "only pieces with a destination are priced"
    options = chosen.options
    return price_piece(
        prices,
        page_count=piece.page_count,
        plex=options.plex,
        color=options.color,
        postage=options.postage,
        paper=options.paper,
        layout=chosen.layout,
        destination=country,
        home_country=get_profile(service.profile).default_country,
        express=chosen.express,
        address_page=address_page_of(piece, service),
        address_completion=piece.options.address_completion,
        reply_envelope=piece.options.reply_envelope,
    )


def check_credit(
    uow: UnitOfWork, account: Account, total_minor: int, now: datetime, tz: str
) -> None:
    """Raise PaymentRequired credit_exceeded or monthly_limit_exceeded when the account
    cannot pay."""
    if total_minor > account.credit_minor:
        raise PaymentRequired(
            f"the order costs {total_minor} and the account has {account.credit_minor} "
            f"{account.currency} minor units of credit",
            code=ErrorCode.CREDIT_EXCEEDED,
            detail={
                "needed": total_minor,
                "available": account.credit_minor,
                "currency": account.currency,
            },
        )
    if account.monthly_limit_minor is not None:
        spent = uow.catalog.charged_since(account.id, month_start(now, tz))
        if spent + total_minor > account.monthly_limit_minor:
            raise PaymentRequired(
                f"the order costs {total_minor}; the account may spend "
                f"{account.monthly_limit_minor - spent} more this month",
                code=ErrorCode.MONTHLY_LIMIT_EXCEEDED,
                detail={
                    "needed": total_minor,
                    "available": max(0, account.monthly_limit_minor - spent),
                    "limit": account.monthly_limit_minor,
                    "spent": spent,
                    "currency": account.currency,
                },
            )


@dataclass(frozen=True)
class Balance:
    """What an account may still spend, in its currency's minor unit."""

    credit_minor: int
    currency: str
    monthly_limit_minor: int | None  # None: no monthly cap
    spent_this_month_minor: int
    month_start: datetime  # the month's start in the service's timezone, in UTC
    timezone: str


def account_balance(*, uow: UnitOfWork, clock: Clock, account_id: str, service_ref: str) -> Balance:
    """The account's credit, monthly limit and charges this calendar month (the month as
    the service `service_ref`'s timezone counts it, as check_credit does)."""
    with uow:
        account = uow.accounts.get(account_id)
        if account is None:
            raise NotFound(f"no account {account_id}")
        tz = find_service(uow, account, service_ref).timezone
        since = month_start(clock.now(), tz)
        return Balance(
            credit_minor=account.credit_minor,
            currency=account.currency,
            monthly_limit_minor=account.monthly_limit_minor,
            spent_this_month_minor=uow.catalog.charged_since(account.id, since),
            month_start=since,
            timezone=tz,
        )


def _charge(uow: UnitOfWork, account: Account, priced: Mapping[str, int], now: datetime) -> None:
    """Write one charge per piece not charged before and take the total from the credit."""
    already = uow.catalog.charged_piece_ids(list(priced))
    _write_charges(uow, account, {k: a for k, a in priced.items() if k not in already}, now)


def _write_charges(
    uow: UnitOfWork, account: Account, charges: Mapping[str, int], now: datetime
) -> None:
    """Write these charges (of pieces known not to be charged) and take them from the credit."""
    uow.catalog.add_charges(account.id, charges, now)
    account.credit_minor -= sum(charges.values())


def _compatible(batch: Batch, service: Service) -> None:
    """The batch's pieces were checked with its profile and layout; the service must agree."""
    profile = get_profile(batch.profile)
    batch_layout = LAYOUTS[batch.layout or profile.default_layout]
    service_layout = LAYOUTS[service.layout]
    same_window = service_layout.address_zone == batch_layout.address_zone
    if service.profile != batch.profile or (service_layout.window and not same_window):
        raise InvalidInput(
            f"the batch was checked for the {batch.profile} profile and layout "
            f"{batch_layout.code}; the service {service.code} uses {service.profile} "
            f"and {service.layout}",
            code=ErrorCode.SERVICE_NOT_COMPATIBLE,
            detail={"service": service.code, "profile": batch.profile},
        )


def _batch_pages(uow: UnitOfWork, batch_id: str) -> Iterator[Sequence[MailPiece]]:
    """The batch's pieces a page at a time, in file order (the caller forgets each page)."""
    after: tuple[str, int, str] | None = None
    while page := uow.pieces.pieces_of_batch(batch_id, after=after, limit=PAGE):
        after = page[-1].batch_order_key()
        yield page


@dataclass(frozen=True)
class _Split:
    """One page of a batch being closed: what becomes of each of its pieces, and prices."""

    eligible: list[MailPiece]  # priced, charged, accepted
    left: list[MailPiece]  # not eligible, or too big for the envelope: stay opened
    by_email: list[MailPiece]  # sent by the email channel, not charged
    left_email: list[MailPiece]
    chosen_for: dict[str, ChosenOptions]  # piece id -> its own options (piece_options)
    priced: dict[str, PiecePrice]  # piece id -> its price


def _split_page(
    uow: UnitOfWork,
    prices: PriceTable,
    service: Service,
    options: Mapping[str, Any],
    chosen: ChosenOptions,
    page: Sequence[MailPiece],
    piece_ids: Collection[str] | None,
    resolved: dict[tuple[str, bool, str], ChosenOptions],
    *,
    piece_options: bool,
) -> _Split:
    """A page's closable pieces (opened, and pieces their sender closed one by one, as
    Ekopost's envelopes), sorted: pieces with an email address leave by the email channel,
    not by this service. A piece keeps its own plex, colour and postage when they were
    chosen for it alone (MailPiece.own_options), or, with `piece_options`, always; the
    others take `options` (`resolved`: a cache of resolved options shared by the pages)."""
    closable = [p for p in page if p.state in CLOSABLE and (piece_ids is None or p.id in piece_ids)]
    by_email = [p for p in closable if _leaves_at_close(p) and p.eligible]
    pieces = [p for p in closable if not _leaves_at_close(p)]
    left_email = [p for p in closable if _leaves_at_close(p) and not p.eligible]
    count_pages(uow, service, pieces)
    own = [p for p in pieces if piece_options or p.own_options]
    chosen_for = _options_of_pieces(uow, service, options, own, resolved)
    eligible, left = _split_eligible(pieces, service, chosen, chosen_for)
    priced = {p.id: price_for(prices, service, chosen_for.get(p.id, chosen), p) for p in eligible}
    return _Split(eligible, left, by_email, left_email, chosen_for, priced)


def _leaves_at_close(piece: MailPiece) -> bool:
    """Whether the piece leaves by its own channel as soon as its batch closes, not by the
    batch's service: by email, or handed off (services/handoff.py). Neither is charged."""
    return email.is_email_piece(piece) or handoff.is_handoff_piece(piece)


def close_batch_in(
    *,
    uow: UnitOfWork,
    clock: Clock,
    prices: PriceTable,
    account_id: str,
    batch_id: str,
    service_ref: str,
    options: Mapping[str, Any],
    requested_output_date: date | None = None,
    cost_center: str | None = None,
    piece_options: bool = False,
    sent_elsewhere: Mapping[str, str] | None = None,
    piece_ids: Collection[str] | None = None,
    note: tuple[str, Mapping[str, Any]] | None = None,
) -> BatchClosed:
    """Price the batch's eligible pieces, spend the credit and accept them, all or nothing:
    on any refusal nothing of the batch changes. With `piece_options`, each
    piece keeps the plex, colour and postage it was opened with (pieces built step by
    step), `options` giving the rest. `sent_elsewhere` (piece id -> the other channel's
    reference, such as a reachable e-inbox) names accepted pieces that are delivered at
    once instead of produced: they go on to sent. Pieces with an email address (their
    `delivery`) are accepted and sent by the email channel at once, not charged (as a
    letter sent by email is not); so are pieces handed off (services/handoff.py). Without
    `requested_output_date` the batch's own planned date is asked for
    (schedule.planned_output_date: as soon as possible once it is reached); without
    `cost_center` the batch keeps its own. With `piece_ids`, only those of its
    pieces are ordered (a delivery of some of a job's pieces): the batch may then be closed
    already, by an earlier delivery of others. `note` (a way in's name and fields) is added
    to each accepted piece's `dialect_fields[name]` in the same transaction.

    In the caller's open transaction, which it leaves to the caller to commit (or to drop:
    a refusal raises before anything of the batch changed, but the caller's transaction
    must not be committed after one); close_batch is the same in a transaction of its own."""
    now = clock.now()
    account = uow.catalog.lock_account(account_id)
    batch = uow.pieces.batch(account_id, batch_id)
    if account is None or batch is None:
        raise NotFound(f"no batch {batch_id}")
    later = piece_ids is not None and batch.state is BatchState.CLOSED
    if batch.state is not BatchState.OPENED and not later:
        raise Conflict(
            f"the batch is {batch.state.value}; only an opened batch can be closed",
            code=ErrorCode.BATCH_NOT_OPEN,
            detail={"state": batch.state.value},
        )
    documents = uow.pieces.documents_of_batch(batch_id)
    if any(d.state is DocumentState.RECEIVED for d in documents):
        raise Conflict(
            "some of the batch's files are still being checked; close it when they are",
            code=ErrorCode.BATCH_NOT_READY,
        )
    service = find_service(uow, account, service_ref)
    _compatible(batch, service)
    chosen = resolve_options(uow, service, options)
    schedule = schedule_for(
        service,
        now=now,
        postage=chosen.options.postage,
        express=chosen.express,
        requested=(
            requested_output_date
            if requested_output_date is not None
            else planned_output_date(batch.output_date, local_today(now, service.timezone))
        ),
    )
    # Two passes over the batch's pieces, a page at a time and none kept (a mail merge's
    # batch holds up to 100,000): the first prices and counts them, so that the quantity
    # and the credit are checked before anything changes; the second charges and
    # accepts each page, writes it with its feed entries and forgets it. Both run in
    # this one transaction: a refusal, or a failure midway, leaves nothing changed.
    resolved: dict[tuple[str, bool, str], ChosenOptions] = {}

    def split(page: Sequence[MailPiece]) -> _Split:
        return _split_page(
            uow, prices, service, options, chosen, page, piece_ids, resolved,
            piece_options=piece_options,
        )  # fmt: skip

    accepted, not_eligible, total = _price_pass(uow, batch_id, split)
    if accepted == 0:
        raise InvalidInput(
            "the batch has no eligible piece to close",
            code=ErrorCode.NO_ELIGIBLE_PIECE,
            detail={"not_eligible": not_eligible},
        )
    # A service's quantity limits hold for what is ordered, before anything is priced.
    check_quantity(
        accepted,
        minimum=service.min_quantity,
        maximum=service.max_quantity,
        service=service.code,
    )
    check_credit(uow, account, total, now, service.timezone)
    for page in _batch_pages(uow, batch_id):
        found = split(page)
        _charge(uow, account, {k: v.amount_minor for k, v in found.priced.items()}, now)
        for piece in found.eligible:
            own = found.chosen_for.get(piece.id, chosen)
            piece_schedule = schedule
            if own.options.postage is not chosen.options.postage:
                piece_schedule = replace(
                    schedule,
                    expected_post_date=expected_post_date(schedule.shown_date, own.options.postage),
                )
            _accept(piece, service, own, found.priced[piece.id], piece_schedule, now)
            # Only an address page is Postroom's to print on: the pieces' documents
            # carry their own windows (their content is not looked at here).
            # A return line given with the order (a mail merge's) is kept as given.
            piece.return_line = piece.return_line or (
                account.return_address if address_page_of(piece, service) else ""
            )
        register(found.eligible, uow, service)
        if note is not None:
            for piece in found.eligible:
                kept = dict(piece.dialect_fields.get(note[0]) or {})
                piece.dialect_fields = {**piece.dialect_fields, note[0]: {**kept, **note[1]}}
        for piece in found.eligible:
            if sent_elsewhere and piece.id in sent_elsewhere:
                piece.external_reference = sent_elsewhere[piece.id]
                piece.move_to(PieceState.SENT, now)
        for piece in found.by_email:
            if handoff.is_handoff_piece(piece):
                handoff.queue_handoff(uow=uow, piece=piece, sandbox=account.sandbox, now=now)
                continue
            if piece.state is PieceState.OPENED:
                piece.move_to(PieceState.CLOSED, now)
            email.queue_send(uow=uow, piece=piece, now=now)
        for piece in found.left:
            _mark_too_big(piece, service, found.chosen_for.get(piece.id, chosen))
        # Written (the pieces by one UPDATE per set of changed columns for the page, the
        # feed's entries numbered from the head this transaction holds) and dropped from
        # the session before the next page is read.
        uow.pieces.write_changed(page)
        uow.pieces.flush()
        uow.feeds.write_pending(now)
        uow.pieces.forget(page)
    if batch.state is BatchState.OPENED:
        batch.move_to(BatchState.CLOSED, now)
    batch.service_id = service.id
    batch.output_date = schedule.shown_date
    if cost_center is not None:
        batch.cost_center = cost_center
    return BatchClosed(
        batch=batch,
        service=service,
        accepted=accepted,
        not_eligible=not_eligible,
        total_minor=total,
        currency=prices.currency,
        credit_left_minor=account.credit_minor,
        schedule=schedule,
    )


def _committed(step: Callable[P, R]) -> Callable[P, R]:
    """`step`, which works in the open unit of work it is given as `uow`, in a transaction
    of its own, committed when it returns."""

    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        uow = cast(UnitOfWork, kwargs["uow"])
        with uow:
            result = step(*args, **kwargs)
            uow.commit()
            return result

    return run


# close_batch_in in a transaction of its own: on any refusal nothing of the batch changes.
close_batch = _committed(close_batch_in)


def _price_pass(
    uow: UnitOfWork, batch_id: str, split: Callable[[Sequence[MailPiece]], _Split]
) -> tuple[int, int, int]:
    """What closing the batch would order, a page at a time, none kept: the pieces
    accepted, those left not eligible, and the price of all (minor units)."""
    accepted = not_eligible = total = 0
    for page in _batch_pages(uow, batch_id):
        found = split(page)
        accepted += len(found.eligible) + len(found.by_email)
        not_eligible += len(found.left) + len(found.left_email)
        total += sum(p.amount_minor for p in found.priced.values())
        uow.pieces.forget(page)
    return accepted, not_eligible, total


@dataclass(frozen=True)
class BatchQuote:
    """What closing an opened batch with a service and options would order, and its price."""

    service: Service
    accepted: int  # pieces it would order (by post and by email)
    not_eligible: int  # pieces it would leave opened
    total_minor: int
    currency: str
    credit_minor: int  # the account's credit now


def quote_batch(
    *,
    uow: UnitOfWork,
    prices: PriceTable,
    account_id: str,
    batch_id: str,
    service_ref: str,
    options: Mapping[str, Any],
) -> BatchQuote:
    """The price of closing the batch now with this service and options, as close_batch
    would charge it (the same first pass), changing nothing (NotFound, Conflict
    batch_not_open, InvalidInput for an unknown service or option)."""
    with uow:
        account = uow.accounts.get(account_id)
        batch = uow.pieces.batch(account_id, batch_id)
        if account is None or batch is None:
            raise NotFound(f"no batch {batch_id}")
        if batch.state is not BatchState.OPENED:
            raise Conflict(
                f"the batch is {batch.state.value}; only an opened batch can be closed",
                code=ErrorCode.BATCH_NOT_OPEN,
                detail={"state": batch.state.value},
            )
        service = find_service(uow, account, service_ref)
        _compatible(batch, service)
        chosen = resolve_options(uow, service, options)
        resolved: dict[tuple[str, bool, str], ChosenOptions] = {}
        accepted, not_eligible, total = _price_pass(
            uow,
            batch_id,
            lambda page: _split_page(
                uow, prices, service, options, chosen, page, None, resolved, piece_options=False
            ),
        )
    return BatchQuote(
        service=service,
        accepted=accepted,
        not_eligible=not_eligible,
        total_minor=total,
        currency=prices.currency,
        credit_minor=account.credit_minor,
    )


def _options_of_pieces(
    uow: UnitOfWork,
    service: Service,
    options: Mapping[str, Any],
    pieces: Sequence[MailPiece],
    resolved: dict[tuple[str, bool, str], ChosenOptions] | None = None,
) -> dict[str, ChosenOptions]:
    """Each piece's options: its own plex, colour and postage over `options` (`resolved`:
    the options already resolved, per (plex, colour, postage), kept across calls)."""
    resolved = {} if resolved is None else resolved
    found: dict[str, ChosenOptions] = {}
    for piece in pieces:
        own = piece.options
        key = (own.plex.value, own.color, own.postage.value)
        if key not in resolved:
            resolved[key] = resolve_options(
                uow, service, {**options, "plex": key[0], "color": key[1], "postage": key[2]}
            )
        found[piece.id] = resolved[key]
    return found


def count_pages(uow: UnitOfWork, service: Service, pieces: Sequence[MailPiece]) -> None:
    """Count each piece's pages for the service it is ordered with: its own, its annexes'
    and the service's configured pages (MailPiece.page_count), before it is judged and
    priced on them."""
    added = configured_pages(service.boxes)
    annex_pages: dict[str, int] = {}
    for piece in pieces:
        for annex_id in piece.annexes:
            if annex_id not in annex_pages:
                annex = uow.pieces.document_by_id(annex_id)
                annex_pages[annex_id] = annex.page_count if annex is not None else 0
        piece.count_pages(
            annex_pages=sum(annex_pages[a] for a in piece.annexes), configured_pages=added
        )


def _split_eligible(
    pieces: Sequence[MailPiece],
    service: Service,
    chosen: ChosenOptions,
    chosen_for: Mapping[str, ChosenOptions] | None = None,
) -> tuple[list[MailPiece], list[MailPiece]]:
    """Eligible pieces that fit the chosen envelope, and the rest (which stay opened)."""
    fits: list[MailPiece] = []
    rest: list[MailPiece] = []
    for piece in pieces:
        own = (chosen_for or {}).get(piece.id, chosen)
        sheets = sheets_needed(
            piece.page_count,
            own.options.plex,
            own.layout,
            address_page=address_page_of(piece, service),
        )
        ok = piece.eligible and piece.recipient is not None
        (fits if ok and sheets <= own.layout.sheet_capacity else rest).append(piece)
    return fits, rest


def _mark_too_big(piece: MailPiece, service: Service, chosen: ChosenOptions) -> None:
    """An eligible piece the chosen envelope cannot hold becomes not eligible, with why."""
    if not piece.eligible:
        return
    sheets = sheets_needed(
        piece.page_count,
        chosen.options.plex,
        chosen.layout,
        address_page=address_page_of(piece, service),
    )
    finding = Finding(
        "too_many_sheets",
        Severity.ERROR,
        f"the letter needs {sheets} sheets; a {chosen.layout.envelope.value} envelope holds "
        f"{chosen.layout.sheet_capacity}",
    )
    piece.eligible = False
    piece.findings = [*piece.findings, finding.to_dict()]


REGISTERED_COUNTER = "registered_mail"


def register(pieces: Sequence[MailPiece], uow: UnitOfWork, service: Service) -> None:
    """Give each registered piece without one its S10 number (RR12345678xSE), from one
    counter so no two pieces share one; the country is the service profile's."""
    wanted = [
        p for p in pieces if p.options.postage is Postage.REGISTERED and not p.tracking_reference
    ]
    if not wanted:
        return
    country = get_profile(service.profile).default_country
    for piece, number in zip(
        wanted, uow.counters.take(REGISTERED_COUNTER, len(wanted)), strict=True
    ):
        piece.tracking_reference = s10.identifier(number, country)


def _accept(
    piece: MailPiece,
    service: Service,
    chosen: ChosenOptions,
    price: PiecePrice,
    schedule: Schedule,
    now: datetime,
) -> None:
    """Record the price and schedule on an opened piece and move it on to accepted (its
    address placement is its own, not the service's)."""
    piece.options = replace(
        chosen.options,
        address_placement=piece.options.address_placement,
        address_completion=piece.options.address_completion,
        reply_envelope=piece.options.reply_envelope,
    )
    piece.service_id = service.id
    piece.sheets = price.sheets
    piece.weight_g = price.weight_g
    piece.price_minor = price.amount_minor
    piece.output_date = schedule.output_date
    piece.expected_post_date = schedule.expected_post_date
    if piece.state is PieceState.OPENED:
        piece.move_to(PieceState.CLOSED, now)
    piece.move_to(PieceState.ACCEPTED, now)


def quote_letter(
    *, uow: UnitOfWork, prices: PriceTable, service: Service, piece: MailPiece, now: datetime
) -> PiecePrice:
    """Price a letter at submission, record its price, sheets, weight and expected dates on
    it, and refuse it (PaymentRequired credit_exceeded / monthly_limit_exceeded, or
    PricingError too_heavy) when its account cannot pay for it now. A letter whose address
    is read from the window later is priced to the service's home country: an estimate
    that charge_letter replaces, with the final word, once the address is read. The credit
    is not reserved: letters not yet accepted are not counted against it."""
    account = uow.accounts.get(piece.account_id)
    assert account is not None
    layout = layout_for_envelope(LAYOUTS[service.layout], piece.options.envelope)
    home = get_profile(service.profile).default_country
    price = price_for(
        prices, service, ChosenOptions(piece.options, False, layout), piece, destination=home
    )
    check_credit(uow, account, price.amount_minor, now, service.timezone)
    schedule = schedule_for(
        service, now=now, postage=piece.options.postage, express=False, requested=None
    )
    piece.sheets = price.sheets
    piece.weight_g = price.weight_g
    piece.price_minor = price.amount_minor
    piece.output_date = schedule.output_date
    piece.expected_post_date = schedule.expected_post_date
    return price


def charge_letter(
    *,
    uow: UnitOfWork,
    prices: PriceTable,
    piece: MailPiece,
    now: datetime,
    service: Service | None = None,
) -> Finding | None:
    """Price and charge a letter its check found eligible, and schedule it; returns the
    reason it cannot be produced (credit, limit, weight) instead, charging nothing.
    `service`: the piece's, when the caller read it already."""
    if piece.service_id is None:
        return None  # a letter from before the catalog: produced as before, unpriced
    if service is None or service.id != piece.service_id:
        service = uow.catalog.service(piece.service_id)
    account = uow.catalog.lock_account(piece.account_id)
    assert service is not None and account is not None
    if uow.catalog.charged_piece_ids([piece.id]):
        return None
    try:
        layout = layout_for_envelope(LAYOUTS[service.layout], piece.options.envelope)
        chosen = ChosenOptions(piece.options, False, layout)
        price = price_for(prices, service, chosen, piece)
        schedule = schedule_for(
            service, now=now, postage=piece.options.postage, express=False, requested=None
        )
        check_credit(uow, account, price.amount_minor, now, service.timezone)
    except (Conflict, InvalidInput) as exc:
        return Finding(exc.code, Severity.ERROR, exc.message)
    # Not charged (asked above, the account locked since): no second look as _charge's.
    _write_charges(uow, account, {piece.id: price.amount_minor}, now)
    register([piece], uow, service)
    piece.sheets = price.sheets
    piece.weight_g = price.weight_g
    piece.price_minor = price.amount_minor
    piece.output_date = schedule.output_date
    piece.expected_post_date = schedule.expected_post_date
    return None
