"""Wire models of the native /v1 API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from postroom.domain.model import (
    AddressPlacement,
    ApiKey,
    Document,
    MailPiece,
    PieceOptions,
    Plex,
    Postage,
    Recipient,
)
from postroom.domain.states import PieceState
from postroom.services.email import subject_problem

Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class RecipientIn(BaseModel):
    """A postal address given by the sender."""

    model_config = ConfigDict(extra="forbid")

    name_lines: list[Line] = Field(min_length=1, max_length=4)
    street_lines: list[Line] = Field(min_length=1, max_length=4)
    # Empty or missing postal code and city are the country's rules to judge (422
    # invalid_address where they are required), not the schema's.
    postal_code: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)] = ""
    city: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] = ""
    region: Annotated[str, StringConstraints(strip_whitespace=True, max_length=60)] = Field(
        default="",
        description="State or province where the country's format has one (US, CA, AU...): "
        'its code ("IL") or name ("Illinois")',
    )
    country: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=2, max_length=60)
    ] = Field(
        description='ISO 3166-1 alpha-2 code ("SE") or the country\'s English or local name '
        '("Sweden", "Sverige"); kept as the code'
    )


class OptionsIn(BaseModel):
    """Production options of a letter."""

    model_config = ConfigDict(extra="forbid")

    plex: Literal["simplex", "duplex"] = "simplex"
    color: bool = False
    postage: Literal["priority", "economy", "registered"] = "economy"
    address_placement: Literal["window", "address_page", "as_printed"] | None = Field(
        default=None,
        description="Where the recipient is printed: `window` (Postroom prints it into the "
        "envelope window's zone on the first page, which must be blank), `address_page` (on "
        "a page of its own, inserted first and priced as a sheet), `as_printed` (the "
        "document carries it; a recipient sent with the letter must match it). Left out: "
        "`window` when the window zone is blank, `as_printed` when it holds anything or no "
        "recipient is sent",
    )

    def to_domain(self) -> PieceOptions:
        """The domain value object."""
        placement = self.address_placement
        return PieceOptions(
            plex=Plex(self.plex),
            color=self.color,
            postage=Postage(self.postage),
            address_placement=AddressPlacement(placement) if placement else None,
        )


class EmailIn(BaseModel):
    """Email delivery of a letter (services whose channel is email_smtp)."""

    model_config = ConfigDict(extra="forbid")

    to: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=254)] = (
        Field(description="The recipient's email address")
    )
    subject: str | None = Field(
        default=None, description="One line of at most 200 characters; default: the service's"
    )
    body: Annotated[str, StringConstraints(max_length=100_000)] | None = Field(
        default=None, description="Plain text; default: the service's"
    )

    @field_validator("subject")
    @classmethod
    def _one_line(cls, subject: str | None) -> str | None:
        # The rules live with the core's EmailRequest; here they only name the field.
        problem = None if subject is None else subject_problem(subject)
        if problem:
            raise ValueError(problem)
        return subject


class EmailOut(BaseModel):
    """Where an email letter goes, and its Message-ID once one is given."""

    to: str
    subject: str
    message_id: str | None


class RecipientOut(BaseModel):
    name_lines: list[str]
    street_lines: list[str]
    postal_code: str
    city: str
    region: str = Field(description="State or province code; empty where the country has none")
    country: str

    @classmethod
    def of(cls, r: Recipient) -> RecipientOut:
        return cls(**r.to_dict())


class OptionsOut(BaseModel):
    plex: str
    color: bool
    postage: str
    address_placement: str | None = Field(
        default=None,
        description="window, address_page or as_printed; null until the letter is checked "
        "when none was chosen",
    )


class FailureOut(BaseModel):
    code: str
    reason: str


class FindingOut(BaseModel):
    """A check's finding: stable code, severity, a sentence to act on, and the page."""

    code: str
    severity: str
    message: str
    page: int | None


class PriceOut(BaseModel):
    """A price in the currency's minor unit (öre, cents)."""

    amount_minor: int = Field(description="In the currency's minor unit: 1234 SEK is 12.34 kr")
    currency: str = Field(description="ISO 4217, e.g. SEK")
    estimated: bool = Field(
        description="True while the address is still to be read from the window: priced to "
        "the service's home country until the check prices it to the address read"
    )


def _estimated(piece: MailPiece) -> bool:
    """A window letter's price stays an estimate until its check charges it."""
    unread = piece.recipient is None or piece.address_source == "window"
    return unread and piece.state in (PieceState.CLOSED, PieceState.FAILED)


class LetterOut(BaseModel):
    """A letter as the API shows it."""

    id: str
    state: str
    recipient: RecipientOut | None
    email: EmailOut | None = None
    address_source: str
    findings: list[FindingOut]
    options: OptionsOut
    page_count: int = Field(
        description="Every page it prints from content: its own, its annexes' and its "
        "service's configured pages (not the address page or blank backs); what it is "
        "priced and weighed on"
    )
    price: PriceOut | None = Field(
        default=None, description="What the letter costs; null for one sent by email"
    )
    sheets: int | None = Field(default=None, description="Sheets in the envelope")
    weight_g: int | None = Field(default=None, description="Weight in grams, envelope included")
    output_date: date | None = Field(
        default=None,
        description="The day it is printed (its service's cut-off that day); null: at once, "
        "in the next lot",
    )
    expected_post_date: date | None = Field(
        default=None, description="The day it is expected to be handed to the post"
    )
    document_id: str | None
    lot_id: str | None
    failure: FailureOut | None
    created_at: datetime
    updated_at: datetime
    redacted_at: datetime | None = Field(
        default=None,
        description="When retention removed its recipient (not its country) and channel details",
    )

    @classmethod
    def of(cls, piece: MailPiece, *, currency: str) -> LetterOut:
        """`currency`: the price table's, which every amount is in."""
        priced = piece.sheets > 0
        failure = None
        if piece.failure_code is not None:
            failure = FailureOut(code=piece.failure_code, reason=piece.failure_reason or "")
        email = piece.delivery.get("email")
        return cls(
            id=piece.id,
            state=piece.state.value,
            recipient=RecipientOut.of(piece.recipient) if piece.recipient else None,
            email=EmailOut(
                to=email["to"], subject=email["subject"], message_id=piece.external_reference
            )
            if email
            else None,
            address_source=piece.address_source,
            findings=[FindingOut(**f) for f in piece.findings],
            options=OptionsOut(**piece.options.to_dict()),
            page_count=piece.page_count,
            price=PriceOut(
                amount_minor=piece.price_minor, currency=currency, estimated=_estimated(piece)
            )
            if priced
            else None,
            sheets=piece.sheets if priced else None,
            weight_g=piece.weight_g if priced else None,
            output_date=piece.output_date,
            expected_post_date=piece.expected_post_date,
            document_id=piece.document_id,
            lot_id=piece.lot_id,
            failure=failure,
            created_at=piece.created_at,
            updated_at=piece.updated_at,
            redacted_at=piece.redacted_at,
        )


class AccountOut(BaseModel):
    """The caller's account: what it may still spend. Every amount is in the currency's
    minor unit (öre for SEK: 100000 is 1,000.00 kr)."""

    id: str
    name: str
    sandbox: bool
    currency: str = Field(description="ISO 4217, e.g. SEK")
    credit_minor: int = Field(description="Prepaid credit left, in minor units")
    monthly_limit_minor: int | None = Field(
        description="Most the account may be charged in a calendar month; null: no cap"
    )
    spent_this_month_minor: int = Field(description="Charged since month_start, in minor units")
    month_start: datetime = Field(description="When this calendar month began (UTC)")
    return_address: str = Field(
        default="",
        description="The sender's return line printed in small type above the recipient "
        "(window and address page); empty: none",
    )


class AccountPatch(BaseModel):
    """What an account may change of its own."""

    model_config = ConfigDict(extra="forbid")

    return_address: str = Field(
        description="One line of printable text, e.g. 'Acme Utilities, Box 12, 111 22 "
        "Stockholm', at most 80 characters and as wide as one line in 6 pt fits the "
        "narrowest return zone; empty removes it. Letters accepted from now on print it."
    )


class LetterPage(BaseModel):
    """One page of letters, newest first; pass next_cursor to get the next."""

    data: list[LetterOut]
    next_cursor: str | None


class ApiKeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] = (
        "default"
    )


class ApiKeyOut(BaseModel):
    """An API key without its secret."""

    id: str
    name: str
    prefix: str
    state: str
    created_at: datetime
    last_used_at: datetime | None

    @classmethod
    def of(cls, key: ApiKey) -> ApiKeyOut:
        return cls(
            id=key.id,
            name=key.name,
            prefix=key.prefix,
            state=key.state.value,
            created_at=key.created_at,
            last_used_at=key.last_used_at,
        )


class ApiKeyCreated(ApiKeyOut):
    """A new key: `key` is shown here once and never again."""

    key: str | None


class ApiKeyList(BaseModel):
    data: list[ApiKeyOut]


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=1000)]


class SessionOut(BaseModel):
    """A login session: send `token` as X-Auth-Token (or Bearer) until `expires_at`."""

    id: str
    token: str | None
    expires_at: datetime


class DocumentOut(BaseModel):
    """An uploaded document, its state and (once checked) its preflight report."""

    id: str
    state: str
    filename: str
    size_bytes: int
    page_count: int
    pages_checked: int = Field(
        description="Pages checked so far: grows while a large file's check runs, then "
        "page_count once checked"
    )
    sha256: str
    profile: str
    batch_id: str | None
    split_rule: dict[str, Any] | None
    report: dict[str, Any] | None
    created_at: datetime
    redacted_at: datetime | None = Field(
        default=None,
        description="When retention removed its bytes, its name and its report",
    )

    @classmethod
    def of(cls, d: Document) -> DocumentOut:
        return cls(
            id=d.id,
            state=d.state.value,
            filename=d.filename,
            size_bytes=d.size_bytes,
            page_count=d.page_count,
            pages_checked=d.pages_checked,
            sha256=d.blob_sha256,
            profile=d.profile,
            batch_id=d.batch_id,
            split_rule=d.split_rule,
            report=d.report,
            created_at=d.created_at,
            redacted_at=d.redacted_at,
        )


class PieceOut(BaseModel):
    """A piece found in a batch's file: its pages, address, eligibility and why."""

    id: str
    state: str
    document_id: str | None
    first_page: int = Field(description="Its first page in the document")
    last_page: int = Field(description="Its last page in the document")
    page_count: int = Field(
        description="Every page it prints from content: its own (first_page to last_page), "
        "its annexes' and, once ordered, its service's configured pages"
    )
    recipient: RecipientOut | None
    address_source: str
    eligible: bool | None
    findings: list[FindingOut]
    redacted_at: datetime | None = Field(
        default=None,
        description="When retention removed its recipient (not its country)",
    )

    @classmethod
    def of(cls, p: MailPiece) -> PieceOut:
        return cls(
            id=p.id,
            state=p.state.value,
            document_id=p.document_id,
            first_page=p.first_page,
            last_page=p.last_page,
            page_count=p.page_count,
            recipient=RecipientOut.of(p.recipient) if p.recipient else None,
            address_source=p.address_source,
            eligible=p.eligible,
            findings=[FindingOut(**f) for f in p.findings],
            redacted_at=p.redacted_at,
        )


class PiecePage(BaseModel):
    """One page of a batch's pieces in file order; pass next_cursor to get the next."""

    data: list[PieceOut]
    next_cursor: str | None


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] = (
        "batch"
    )
    profile: str | None = Field(default=None, description="Preflight profile (default: settings)")
    layout: str = Field(default="", description="Envelope layout code; default: the profile's")
    default_country: str = Field(
        default="", description="ISO code used when a window address names no country"
    )


class BatchOut(BaseModel):
    """A batch, its documents and how many of its pieces are eligible."""

    id: str
    name: str
    state: str
    profile: str
    layout: str
    default_country: str
    documents: list[DocumentOut]
    pieces: dict[str, int]
    created_at: datetime


class BatchDocumentOut(BaseModel):
    """A document added to a batch; `pieces` holds what was found once it is checked."""

    document: DocumentOut
    pieces: list[PieceOut] | None
    pieces_url: str


def inlined(schema: Any, defs: dict[str, Any]) -> Any:
    """A JSON schema with its local `$defs` references replaced by what they name (a
    route that reads its body itself describes it with this in its openapi_extra)."""
    if isinstance(schema, dict):
        ref = schema.get("$ref", "")
        if ref.startswith("#/$defs/"):
            return inlined(defs[ref.removeprefix("#/$defs/")], defs)
        return {k: inlined(v, defs) for k, v in schema.items() if k != "$defs"}
    if isinstance(schema, list):
        return [inlined(v, defs) for v in schema]
    return schema
