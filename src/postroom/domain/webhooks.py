"""Webhook endpoints and deliveries: their states, the retry schedule, signing secrets, the
event types one can subscribe to, and which network addresses a webhook may never reach."""

from __future__ import annotations

import base64
import ipaddress
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from postroom.domain.errors import ErrorCode, IllegalTransition, InvalidInput
from postroom.domain.model import new_id
from postroom.domain.states import BatchState, PieceState
from postroom.domain.tracking import ProofKind, ShipmentStatus

# After attempt n fails, attempt n + 1 waits RETRY_DELAYS[n - 1]; the first try is at once.
RETRY_DELAYS: tuple[timedelta, ...] = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
ROTATION_GRACE = timedelta(hours=24)
MAX_ROTATION_GRACE = timedelta(days=7)
SECRET_PREFIX = "whsec_"
SECRET_BYTES = 24
URL_MAX = 2000
MAX_ENDPOINTS_PER_ACCOUNT = 50

# The subject of the change an automatic disable notes in the account's feed.
ENDPOINT_SUBJECT = "webhook_endpoint"


class EndpointState(StrEnum):
    """Whether an endpoint is sent anything."""

    ACTIVE = "active"
    DISABLED = "disabled"  # by its owner, by a 410 Gone, or after days of failures


ENDPOINT_TRANSITIONS: dict[EndpointState, frozenset[EndpointState]] = {
    EndpointState.ACTIVE: frozenset({EndpointState.DISABLED}),
    EndpointState.DISABLED: frozenset({EndpointState.ACTIVE}),
}


class DeliveryState(StrEnum):
    """Life of one message to one endpoint."""

    PENDING = "pending"  # waiting for its next attempt (next_attempt_at)
    SENDING = "sending"  # claimed by a sender until next_attempt_at (the claim's lease)
    SUCCEEDED = "succeeded"  # a 2xx answer
    FAILED = "failed"  # every attempt failed, or its endpoint was disabled for good


DELIVERY_TRANSITIONS: dict[DeliveryState, frozenset[DeliveryState]] = {
    # A replay may restart a series from any state, a pending one included.
    DeliveryState.PENDING: frozenset(
        {DeliveryState.PENDING, DeliveryState.SENDING, DeliveryState.FAILED}
    ),
    DeliveryState.SENDING: frozenset(
        {DeliveryState.PENDING, DeliveryState.SUCCEEDED, DeliveryState.FAILED}
    ),
    DeliveryState.SUCCEEDED: frozenset({DeliveryState.PENDING}),
    DeliveryState.FAILED: frozenset({DeliveryState.PENDING}),
}


def check_delivery_transition(current: DeliveryState, target: DeliveryState) -> None:
    """Raise IllegalTransition unless the delivery table allows the move."""
    if target not in DELIVERY_TRANSITIONS[current]:
        raise IllegalTransition(f"a {current.value} delivery cannot become {target.value}")


def next_attempt_after_failure(attempts_made: int, failed_at: datetime) -> datetime | None:
    """When the next attempt is due after attempt number `attempts_made` failed; None once
    the series is spent (the delivery then fails)."""
    if attempts_made >= MAX_ATTEMPTS:
        return None
    return failed_at + RETRY_DELAYS[attempts_made - 1]


def is_success(status_code: int | None) -> bool:
    """Only a 2xx answer delivers a message (a redirect is never followed)."""
    return status_code is not None and 200 <= status_code < 300


# --- secrets ------------------------------------------------------------------------------


def new_secret() -> str:
    """A fresh signing secret in the Standard Webhooks form: whsec_<base64 of 24 bytes>."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


@dataclass(frozen=True)
class EndpointSecret:
    """One signing secret; a replaced one signs on until `expires_at` (the rotation's grace)."""

    secret: str
    created_at: datetime
    expires_at: datetime | None = None

    def valid_at(self, now: datetime) -> bool:
        """True while the secret still signs."""
        return self.expires_at is None or now < self.expires_at

    @property
    def hint(self) -> str:
        """Enough of the secret to tell two apart, never enough to use it."""
        return self.secret[: len(SECRET_PREFIX) + 4] + "…"

    def to_dict(self) -> dict[str, Any]:
        """The stored JSON form."""
        return {
            "secret": self.secret,
            "created_at": self.created_at.isoformat(),
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> EndpointSecret:
        """Inverse of to_dict."""
        expires = raw.get("expires_at")
        return cls(
            secret=raw["secret"],
            created_at=datetime.fromisoformat(raw["created_at"]),
            expires_at=datetime.fromisoformat(expires) if expires else None,
        )


# --- endpoints and deliveries -------------------------------------------------------------


@dataclass(eq=False)
class WebhookEndpoint:
    """Where an account's events are POSTed, and with which secrets they are signed."""

    account_id: str
    url: str
    event_types: list[str]
    secrets: list[EndpointSecret]  # newest first
    created_at: datetime
    description: str = ""
    dialect: str | None = None  # whose extra signature headers go out too; None: native only
    state: EndpointState = EndpointState.ACTIVE
    disabled_reason: str | None = None
    disabled_at: datetime | None = None
    failing_since: datetime | None = None
    id: str = field(default_factory=new_id)
    version: int = 1

    @property
    def enabled(self) -> bool:
        """True when the endpoint is sent its events."""
        return self.state is EndpointState.ACTIVE

    def signing_secrets(self, now: datetime) -> list[str]:
        """Every secret that still signs, newest first."""
        return [s.secret for s in self.secrets if s.valid_at(now)]

    def rotate_secret(self, now: datetime, grace: timedelta) -> str:
        """Put a new secret first; older ones sign on for `grace` at most, expired ones go."""
        if grace < timedelta(0) or grace > MAX_ROTATION_GRACE:
            raise InvalidInput(
                f"the grace period must be 0 to {int(MAX_ROTATION_GRACE.total_seconds())} s",
                code=ErrorCode.INVALID_GRACE_PERIOD,
            )
        until = now + grace
        kept = [
            EndpointSecret(
                s.secret, s.created_at, until if s.expires_at is None else min(s.expires_at, until)
            )
            for s in self.secrets
            if s.valid_at(now)
        ]
        secret = new_secret()
        self.secrets = [EndpointSecret(secret, now), *(s for s in kept if s.valid_at(now))]
        return secret

    def set_state(self, target: EndpointState, now: datetime, reason: str | None = None) -> None:
        """Enable or disable; enabling forgets the reason and the failure streak."""
        if target not in ENDPOINT_TRANSITIONS[self.state]:
            raise IllegalTransition(f"the endpoint is already {self.state.value}")
        self.state = target
        if target is EndpointState.DISABLED:
            self.disabled_reason = reason
            self.disabled_at = now
        else:
            self.disabled_reason = None
            self.disabled_at = None
            self.failing_since = None


@dataclass(frozen=True)
class WebhookDelivery:
    """One event's message to one endpoint; its id is the `webhook-id` header."""

    id: str
    account_id: str
    endpoint_id: str
    event_type: str
    payload: dict[str, Any]
    state: DeliveryState
    attempts: int  # in the current series (a replay starts a new one)
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_status_code: int | None
    created_at: datetime
    version: int


@dataclass(frozen=True)
class WebhookAttempt:
    """One HTTP request of a delivery, as sent and as answered."""

    delivery_id: str
    attempted_at: datetime
    request_headers: dict[str, str]
    status_code: int | None
    response_body: str | None  # the first 4 KB, decoded as UTF-8
    error: str | None
    duration_ms: int
    id: int | None = None


# --- event types --------------------------------------------------------------------------


BATCH_SETTLED_STATES = (BatchState.TRANSFERRED, BatchState.COMPLETED, BatchState.FAILED)


def event_types_by_subject() -> dict[str, list[str]]:
    """Every event type one can subscribe to, by subject."""
    return {
        "piece": [f"piece.{s.value}" for s in PieceState],
        # A batch's feed entries: what it does once closed, following its pieces.
        "batch": [f"batch.{s.value}" for s in BATCH_SETTLED_STATES],
        # A status entered, or one event registered on its own (Posten's registrations).
        "shipment": [f"shipment.{s.value}" for s in ShipmentStatus] + ["shipment.event"],
        "proof": [f"proof.{k.value.lower()}" for k in ProofKind],
        ENDPOINT_SUBJECT: [f"{ENDPOINT_SUBJECT}.{EndpointState.DISABLED.value}"],
    }


def check_event_types(patterns: Iterable[str]) -> list[str]:
    """The patterns, without repeats, if each is `*`, `<subject>.*` or a known event type."""
    by_subject = event_types_by_subject()
    known = {t for types in by_subject.values() for t in types}
    result: list[str] = []
    unknown: list[str] = []
    for pattern in patterns:
        subject, _, rest = pattern.partition(".")
        fits = pattern == "*" or pattern in known or (rest == "*" and subject in by_subject)
        if not fits:
            unknown.append(pattern)
        elif pattern not in result:
            result.append(pattern)
    if unknown:
        raise InvalidInput(
            "unknown event types: " + ", ".join(unknown),
            code=ErrorCode.UNKNOWN_EVENT_TYPE,
            detail={"unknown": unknown, "subjects": sorted(by_subject)},
        )
    if not result:
        raise InvalidInput("give at least one event type (or *)", code=ErrorCode.UNKNOWN_EVENT_TYPE)
    return result


# --- where a webhook may go ---------------------------------------------------------------


class InvalidWebhookUrl(InvalidInput):
    """Not an absolute http(s) URL with a host."""

    code = ErrorCode.INVALID_WEBHOOK_URL


class ForbiddenWebhookUrl(InvalidInput):
    """The URL's host is, or resolves to, an address a webhook may not reach."""

    code = ErrorCode.WEBHOOK_URL_FORBIDDEN


@dataclass(frozen=True)
class WebhookTarget:
    """The parts of a webhook URL the sender needs."""

    scheme: str
    host: str  # lower case, IPv6 without brackets
    port: int


def parse_webhook_url(url: str) -> WebhookTarget:
    """Check that `url` is an absolute http or https URL with a host; InvalidWebhookUrl else."""
    if len(url) > URL_MAX:
        raise InvalidWebhookUrl(f"the URL is longer than {URL_MAX} characters")
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise InvalidWebhookUrl("the URL contains spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidWebhookUrl(f"the URL cannot be read: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise InvalidWebhookUrl("a webhook URL must start with http:// or https://")
    if not parts.hostname:
        raise InvalidWebhookUrl("the URL has no host")
    if parts.fragment:
        raise InvalidWebhookUrl("a webhook URL cannot have a #fragment")
    return WebhookTarget(scheme, parts.hostname, port or (443 if scheme == "https" else 80))


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def literal_address(host: str) -> IPAddress | None:
    """The host as an IP address when it is written as one, else None."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def forbidden_reason(address: IPAddress) -> str | None:
    """Why a webhook may not reach this address (loopback, private, ...), or None."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is not None:
            return forbidden_reason(embedded)
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
        ("not globally routable", not address.is_global),
    )
    for reason, hit in checks:
        if hit:
            return reason
    return None


def refuse_forbidden(host: str, addresses: Sequence[IPAddress]) -> None:
    """Raise ForbiddenWebhookUrl if any address of the host is one a webhook may not reach
    (all are checked: a client may connect to any of them)."""
    for address in addresses:
        reason = forbidden_reason(address)
        if reason is not None:
            shown = host if str(address) == host else f"{host} resolves to {address}, which"
            raise ForbiddenWebhookUrl(
                f"{shown} is a {reason} address; webhooks only go to public addresses "
                "(POSTROOM_WEBHOOKS_ALLOW_PRIVATE=1 lifts this for development)",
                detail={"host": host, "address": str(address), "reason": reason},
            )
