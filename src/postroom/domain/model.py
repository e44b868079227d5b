"""The core nouns shared by every dialect: accounts, credentials, documents, pieces, lots."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from postroom.domain.errors import Conflict, ErrorCode
from postroom.domain.states import (
    API_KEY_TRANSITIONS,
    BATCH_TRANSITIONS,
    DOCUMENT_TRANSITIONS,
    LOT_TRANSITIONS,
    PIECE_TRANSITIONS,
    ApiKeyState,
    BatchState,
    DocumentState,
    LotState,
    PieceState,
    check_transition,
)


def new_id() -> str:
    """A fresh object id (a UUID, which every dialect can show as a Guid)."""
    return str(uuid.uuid4())


@dataclass(eq=False)
class Account:
    """A tenant: the isolation boundary for every object below."""

    name: str
    created_at: datetime
    sandbox: bool = False
    credit_minor: int = 0  # prepaid credit in the account currency's minor unit (cents, öre)
    monthly_limit_minor: int | None = None  # most the account may spend in a month; None: no cap
    currency: str = "SEK"
    operator: bool = False  # the print room's own account: sees every lot, reports feedback
    clock_offset_seconds: int = 0  # sandbox accounts: how far their clock runs ahead
    # The sender's return line printed above the recipient ("" = none), one line of text.
    return_address: str = ""
    # What the account's contract includes beyond plain letters (domain/contract.Feature
    # values, e.g. "reply_mail", "edi"); an operator sets it (`postroom accounts contract`).
    features: list[str] = field(default_factory=list)
    id: str = field(default_factory=new_id)


@dataclass(eq=False)
class User:
    """A person who logs in with a password (stored as an argon2id hash only)."""

    account_id: str
    username: str
    password_hash: str
    created_at: datetime
    id: str = field(default_factory=new_id)


@dataclass(eq=False)
class ApiKey:
    """A machine credential: the key is shown once; we keep its prefix and a hash."""

    account_id: str
    name: str
    prefix: str
    key_hash: str
    created_at: datetime
    state: ApiKeyState = ApiKeyState.ACTIVE
    last_used_at: datetime | None = None
    id: str = field(default_factory=new_id)

    def revoke(self) -> None:
        """Stop accepting the key (it can be reactivated)."""
        self.state = check_transition(API_KEY_TRANSITIONS, self.state, ApiKeyState.REVOKED)

    def reactivate(self) -> None:
        """Accept a revoked key again."""
        self.state = check_transition(API_KEY_TRANSITIONS, self.state, ApiKeyState.ACTIVE)


@dataclass(eq=False)
class SessionToken:
    """A login session: a random token, stored as a hash, valid until it expires or logs out."""

    account_id: str
    user_id: str
    token_hash: str
    created_at: datetime
    expires_at: datetime
    ended_at: datetime | None = None
    id: str = field(default_factory=new_id)

    def is_valid(self, now: datetime) -> bool:
        """True while neither logged out nor expired."""
        return self.ended_at is None and now < self.expires_at


@dataclass(eq=False)
class Shop:
    """A scope inside an account (a shipment belongs to one)."""

    account_id: str
    name: str
    created_at: datetime
    id: str = field(default_factory=new_id)


@dataclass(frozen=True)
class Recipient:
    """A structured postal address, as given by the sender or read from the window."""

    name_lines: tuple[str, ...]
    street_lines: tuple[str, ...]
    postal_code: str
    city: str
    country: str  # ISO 3166-1 alpha-2
    region: str = ""  # state or province code, where the country's format has one (US: "IL")

    def to_dict(self) -> dict[str, Any]:
        """The JSON form used in storage, manifests and the API."""
        return {
            "name_lines": list(self.name_lines),
            "street_lines": list(self.street_lines),
            "postal_code": self.postal_code,
            "city": self.city,
            "region": self.region,
            "country": self.country,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Recipient:
        """Inverse of to_dict."""
        return cls(
            name_lines=tuple(data["name_lines"]),
            street_lines=tuple(data["street_lines"]),
            postal_code=data["postal_code"],
            city=data["city"],
            country=data["country"],
            region=data.get("region") or "",  # rows stored before regions existed have none
        )


class Plex(StrEnum):
    """Printing on one side of the sheet or both."""

    SIMPLEX = "simplex"
    DUPLEX = "duplex"


class Postage(StrEnum):
    """Postage class."""

    PRIORITY = "priority"
    ECONOMY = "economy"
    REGISTERED = "registered"


class AddressPlacement(StrEnum):
    """Where the recipient's address is printed so that it shows in the envelope."""

    WINDOW = "window"  # Postroom prints it into the window zone of the first page
    ADDRESS_PAGE = "address_page"  # on a page of its own, inserted first (a sheet of its own)
    AS_PRINTED = "as_printed"  # the document carries it; a given recipient must match it


@dataclass(frozen=True)
class PieceOptions:
    """Production options of one piece."""

    plex: Plex = Plex.SIMPLEX
    color: bool = False
    postage: Postage = Postage.ECONOMY
    envelope: str = ""  # an EnvelopeType value; "" means the layout's envelope
    paper: str = "80g"  # paper grade, grammage in g/m²
    # None: not chosen; a letter's check settles it (see domain/placement.py).
    address_placement: AddressPlacement | None = None
    # The sender gave an address that is not complete (domain/address_completion.py): the
    # recipient is completed from the document, at the price table's extra cost.
    address_completion: bool = False
    # Reply mail: a return envelope is inserted with the letter (its template is an annex),
    # at the price table's `reply_envelope_surcharge` and the envelope's weight.
    reply_envelope: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The JSON form used in storage, manifests and the API."""
        data: dict[str, Any] = {
            "plex": self.plex.value,
            "color": self.color,
            "postage": self.postage.value,
            "envelope": self.envelope,
            "paper": self.paper,
            "address_placement": self.address_placement.value if self.address_placement else None,
        }
        if self.address_completion:  # only then: older readers and forms stay as they were
            data["address_completion"] = True
        if self.reply_envelope:
            data["reply_envelope"] = True
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PieceOptions:
        """Inverse of to_dict (older rows have no envelope, paper or address placement)."""
        placement = data.get("address_placement")
        return cls(
            plex=Plex(data["plex"]),
            color=data["color"],
            postage=Postage(data["postage"]),
            envelope=data.get("envelope", ""),
            paper=data.get("paper", "80g"),
            address_placement=AddressPlacement(placement) if placement else None,
            address_completion=bool(data.get("address_completion", False)),
            reply_envelope=bool(data.get("reply_envelope", False)),
        )


@dataclass(eq=False)
class Document:
    """An uploaded file: its blob (by sha256), the facts read from it and its preflight report."""

    account_id: str
    blob_sha256: str
    filename: str
    size_bytes: int
    page_count: int
    created_at: datetime
    state: DocumentState = DocumentState.RECEIVED
    profile: str = "postroom"
    report: dict[str, Any] | None = None  # PreflightReport.to_dict() once checked
    batch_id: str | None = None
    split_rule: dict[str, Any] | None = None  # how to cut the file into pieces (batches)
    print_sha256: str | None = None  # a copy without active content, printed instead
    # When retention removed its bytes and what was read from them (facts stay).
    redacted_at: datetime | None = None
    # Pages whose check is done while it runs (migration 0027); page_count once checked.
    pages_checked: int = 0
    id: str = field(default_factory=new_id)

    @property
    def printable_sha256(self) -> str:
        """The blob production prints: the stripped copy when there is one."""
        return self.print_sha256 or self.blob_sha256

    def redact(self, now: datetime) -> None:
        """Retention: forget the file's name and what preflight read from its pages (window
        addresses among it); its size, page count, hashes and state stay. The bytes go
        from the blob store once no other record needs them."""
        self.filename = ""
        self.report = None
        self.redacted_at = now

    def record_preflight(self, report: dict[str, Any], *, rejected: bool) -> None:
        """Keep the preflight report and move to checked or rejected."""
        target = DocumentState.REJECTED if rejected else DocumentState.CHECKED
        self.state = check_transition(DOCUMENT_TRANSITIONS, self.state, target)
        self.report = report
        if not rejected:
            self.pages_checked = self.page_count

    def record_progress(self, pages_checked: int) -> None:
        """While the check runs: how many of its pages are checked (never past the count)."""
        if self.state is DocumentState.RECEIVED:
            self.pages_checked = max(0, min(pages_checked, self.page_count))


@dataclass(eq=False)
class Batch:
    """A container of pieces with a lifecycle, cut from uploaded files by a split rule."""

    account_id: str
    name: str
    created_at: datetime
    profile: str = "postroom"
    layout: str = ""  # envelope layout code; "" means the profile's default
    default_country: str = ""  # "" means the profile's default
    state: BatchState = BatchState.OPENED
    service_id: str | None = None
    output_date: date | None = None  # the day production should happen (None: earliest)
    cost_center: str = ""
    state_changed_at: datetime | None = None  # None: created_at (set on creation)
    # Reply mail (Ekopost's `replymail`): each piece carries a reply template and gets a
    # return envelope at production (services/reply_mail.py).
    reply_mail: bool = False
    # Each piece must carry an XML markup before it is closed (Ekopost's 100B).
    markup_required: bool = False
    id: str = field(default_factory=new_id)

    def __post_init__(self) -> None:
        if self.state_changed_at is None:
            self.state_changed_at = self.created_at

    def accepts_documents(self) -> bool:
        """Documents can be added only while the batch is open."""
        return self.state is BatchState.OPENED

    def move_to(self, target: BatchState, now: datetime) -> None:
        """Change state along the transition table (raises IllegalTransition otherwise)."""
        self.state = check_transition(BATCH_TRANSITIONS, self.state, target)
        self.state_changed_at = now

    def settle(self, counts: dict[PieceState, int], now: datetime) -> list[BatchState]:
        """Follow the batch's pieces once it is closed: transferred when none is waiting to
        be produced any more, completed when every one has left (or failed when none did).
        `counts` is how many pieces are in each state; pieces still opened were left out
        at close and do not count. Returns the states entered, in order."""
        if self.state not in (BatchState.CLOSED, BatchState.TRANSFERRED):
            return []
        counted = {s: n for s, n in counts.items() if n and s is not PieceState.OPENED}
        if not counted or any(s in PIECES_WAITING for s in counted):
            return []
        moves: list[BatchState] = []
        if all(s in PIECES_FINISHED for s in counted):
            if not any(s in PIECES_SENT for s in counted):
                moves.append(BatchState.FAILED)
            else:
                if self.state is BatchState.CLOSED:
                    moves.append(BatchState.TRANSFERRED)
                moves.append(BatchState.COMPLETED)
        elif self.state is BatchState.CLOSED:
            moves.append(BatchState.TRANSFERRED)
        for target in moves:
            self.move_to(target, now)
        return moves


# A closed batch's pieces that are not yet with production, those that have left
# Postroom for their recipient, and those that will not move any more.
PIECES_WAITING = frozenset({PieceState.CLOSED, PieceState.ACCEPTED, PieceState.ALLOCATED})
PIECES_SENT = frozenset(
    {PieceState.POSTED, PieceState.SENT, PieceState.DELIVERED, PieceState.RETURNED}
)
PIECES_FINISHED = PIECES_SENT | {PieceState.FAILED, PieceState.CANCELLED}


# The key of a piece's own address page in its `delivery`.
ADDRESS_PAGE = "address_page"


@dataclass(eq=False)
class MailPiece:
    """One item to one recipient: the unit that is checked, produced and tracked.

    Its pages, one meaning for every way in and every use:
    - `page_count` is every page printed for the piece from content: its own pages, then
      its annexes' (documents added after it: an Ekopost attachment, a Nirva annex box's
      file), then its service's configured pages (a configured file that is not a
      background; a background is drawn under the own pages and adds none). The address
      page and blank backs are not pages of content: `sheets` counts them. Eligibility
      (sheets in the envelope), the price, the weight, the lot's pages for the piece and
      every way in's page count (/v1 `page_count`, Nirva `pageCount`) are this figure.
      The service's configured pages are counted once the piece has its service (at
      intake for a letter or a box job, at the order for a batch's pieces:
      `count_pages`).
    - `own_pages` is how many of those are its own document's: `first_page` to
      `last_page` (a piece of a print file is part of it; an Ekopost envelope's is its
      main document's). Composition cuts them from the document; an email carries them.
    """

    account_id: str
    document_id: str | None  # None while a piece built step by step has no content yet
    recipient: Recipient | None  # None until read from the window
    options: PieceOptions
    page_count: int  # every page printed from content (see above)
    created_at: datetime
    updated_at: datetime
    state: PieceState = PieceState.CLOSED
    lot_id: str | None = None
    failure_code: str | None = None
    failure_reason: str | None = None
    batch_id: str | None = None
    first_page: int = 1  # the piece's pages in its document, 1-based and inclusive
    address_source: str = "given"  # given | window
    eligible: bool | None = None  # None until assessed
    findings: list[dict[str, Any]] = field(default_factory=list)  # Finding.to_dict() each
    service_id: str | None = None
    sheets: int = 0  # sheets in the envelope, address page and blank backs included
    weight_g: int = 0
    price_minor: int = 0
    output_date: date | None = None  # when it is produced (the cut-off it waits for)
    expected_post_date: date | None = None
    tracking_reference: str | None = None  # registered mail
    annexes: list[str] = field(default_factory=list)  # document ids added after the main one
    # Channel facts: {"email": {"to": ..., "subject": ..., "body": ...}} for the email channel;
    # {"address_page": true} when the piece asked for an address page of its own.
    delivery: dict[str, Any] = field(default_factory=dict)
    external_reference: str | None = None  # the channel's name for it (an email Message-ID)
    client_reference: str | None = None  # the sender's own id, unique in the account
    # What a dialect keeps that the core does not use: {"ekopost": {"name": ..., ...}}.
    dialect_fields: dict[str, Any] = field(default_factory=dict)
    # When retention removed its recipient (its country stays) and other personal details.
    redacted_at: datetime | None = None
    # The sender's return line as it prints with the piece: its account's return address
    # when it was accepted, "" when it has none or its document has no room for it.
    return_line: str = ""
    # Its own document's pages (first_page on); -1 when made: the same as page_count, for a
    # piece made of its own pages alone.
    own_pages: int = -1
    # Its XML markup document (kept and returned, never printed); None without one.
    markup_id: str | None = None
    # True when its plex, colour and postage were chosen for it alone while its batch was
    # opened: closing the batch keeps them over the batch's (migration 0027).
    own_options: bool = False
    id: str = field(default_factory=new_id)

    def __post_init__(self) -> None:
        if self.own_pages < 0:
            self.own_pages = self.page_count

    def choose_options(self, options: PieceOptions | None, now: datetime) -> None:
        """Give a piece of an opened batch its own plex, colour and postage, kept when the
        batch is closed with other options; None: the batch's options again."""
        if self.state is not PieceState.OPENED or self.batch_id is None:
            raise Conflict(
                f"the letter is {self.state.value}: only an opened letter of a batch has "
                "options of its own",
                code=ErrorCode.PIECE_NOT_OPEN,
            )
        if options is not None:
            self.options = replace(
                self.options, plex=options.plex, color=options.color, postage=options.postage
            )
        self.own_options = options is not None
        self.updated_at = now

    def count_pages(self, *, annex_pages: int = 0, configured_pages: int = 0) -> None:
        """Set `page_count`: its own pages, its annexes' and its service's configured ones."""
        counted = self.own_pages + annex_pages + configured_pages
        if counted != self.page_count:  # unchanged, the piece is not marked as changed
            self.page_count = counted

    def redact(self, now: datetime) -> None:
        """Retention: the recipient is reduced to its country, the findings lose their
        messages (which quote what the window held), and the channel's details (an email's
        address, subject and body; a digital mailbox) are dropped. The state, dates, price
        and references stay."""
        if self.recipient is not None:
            self.recipient = Recipient((), (), "", "", self.recipient.country)
        self.findings = [{**f, "message": ""} for f in self.findings]
        self.delivery = {k: v for k, v in self.delivery.items() if k == ADDRESS_PAGE}
        self.redacted_at = now

    def file_order_key(self) -> tuple[str, int]:
        """Where the piece sorts among its batch's: its document and first page (a piece
        without a document yet sorts by its own id)."""
        return (self.document_id or self.id, self.first_page)

    def batch_order_key(self) -> tuple[str, int, str]:
        """`file_order_key` and the piece's id: a cursor that walks past pieces sharing
        their pages (a mail merge's pieces all print the same document)."""
        return (*self.file_order_key(), self.id)

    @property
    def own_address_page(self) -> bool:
        """True when the piece asked for an address page whatever its service's setting:
        its address placement, or (pieces stored before placements) its `delivery` flag."""
        placed = self.options.address_placement is AddressPlacement.ADDRESS_PAGE
        return placed or bool(self.delivery.get(ADDRESS_PAGE))

    @property
    def last_page(self) -> int:
        """The piece's last page in its document."""
        return self.first_page + self.own_pages - 1

    def move_to(self, target: PieceState, now: datetime) -> None:
        """Change state along the transition table (raises IllegalTransition otherwise)."""
        self.state = check_transition(PIECE_TRANSITIONS, self.state, target)
        self.updated_at = now
        # Every step is kept until the unit of work writes it to the feed and the evidence
        # log (a piece can pass several states in one transaction: printed, then posted).
        self.__dict__.setdefault("moves", []).append(target)

    def take_moves(self) -> list[PieceState]:
        """The states entered since the last call, oldest first (the unit of work's)."""
        moves: list[PieceState] = self.__dict__.pop("moves", [])
        return moves

    def fail(self, code: str, reason: str, now: datetime) -> None:
        """Stop the piece for good, keeping a code and a sentence a clerk can act on."""
        self.move_to(PieceState.FAILED, now)
        self.failure_code = code
        self.failure_reason = reason

    def allocate(self, lot_id: str, now: datetime) -> None:
        """Put the piece in a lot whose files are about to be written."""
        self.move_to(PieceState.ALLOCATED, now)
        self.lot_id = lot_id


@dataclass(eq=False)
class Lot:
    """Pieces produced together, written as one print file and a manifest."""

    created_at: datetime
    piece_count: int = 0
    page_count: int = 0
    state: LotState = LotState.COMPOSING
    pdf_sha256: str | None = None
    composed_at: datetime | None = None
    channel: str = "print_local"
    group_key: dict[str, Any] = field(default_factory=dict)  # envelope, plex, color, postage, paper
    sheet_count: int = 0
    files: dict[str, str] = field(default_factory=dict)  # file name -> sha256
    printed_at: datetime | None = None
    posted_at: datetime | None = None
    deposit_proof_sha256: str | None = None
    id: str = field(default_factory=new_id)

    def mark_composed(self, *, pdf_sha256: str, now: datetime) -> None:
        """Record that the lot's files are complete in the output folder."""
        self.state = check_transition(LOT_TRANSITIONS, self.state, LotState.COMPOSED)
        self.pdf_sha256 = pdf_sha256
        self.composed_at = now

    def mark_failed(self) -> None:
        """Give up on the lot (its pieces are failed separately)."""
        self.state = check_transition(LOT_TRANSITIONS, self.state, LotState.FAILED)
