"""Wire models of the native /v1 API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from postroom.domain.model import ApiKey, MailPiece, PieceOptions, Plex, Postage, Recipient

Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class RecipientIn(BaseModel):
    """A postal address given by the sender."""

    model_config = ConfigDict(extra="forbid")

    name_lines: list[Line] = Field(min_length=1, max_length=4)
    street_lines: list[Line] = Field(min_length=1, max_length=4)
    postal_code: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)
    ]
    city: Line
    country: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=2, max_length=2)
    ] = Field(description="ISO 3166-1 alpha-2 code")


class OptionsIn(BaseModel):
    """Production options of a letter."""

    model_config = ConfigDict(extra="forbid")

    plex: Literal["simplex", "duplex"] = "simplex"
    color: bool = False
    postage: Literal["priority", "economy", "registered"] = "economy"

    def to_domain(self) -> PieceOptions:
        """The domain value object."""
        return PieceOptions(plex=Plex(self.plex), color=self.color, postage=Postage(self.postage))


class RecipientOut(BaseModel):
    name_lines: list[str]
    street_lines: list[str]
    postal_code: str
    city: str
    country: str

    @classmethod
    def of(cls, r: Recipient) -> RecipientOut:
        return cls(**r.to_dict())


class OptionsOut(BaseModel):
    plex: str
    color: bool
    postage: str


class FailureOut(BaseModel):
    code: str
    reason: str


class LetterOut(BaseModel):
    """A letter as the API shows it."""

    id: str
    state: str
    recipient: RecipientOut
    options: OptionsOut
    page_count: int
    document_id: str
    lot_id: str | None
    failure: FailureOut | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, piece: MailPiece) -> LetterOut:
        failure = None
        if piece.failure_code is not None:
            failure = FailureOut(code=piece.failure_code, reason=piece.failure_reason or "")
        return cls(
            id=piece.id,
            state=piece.state.value,
            recipient=RecipientOut.of(piece.recipient),
            options=OptionsOut(**piece.options.to_dict()),
            page_count=piece.page_count,
            document_id=piece.document_id,
            lot_id=piece.lot_id,
            failure=failure,
            created_at=piece.created_at,
            updated_at=piece.updated_at,
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
