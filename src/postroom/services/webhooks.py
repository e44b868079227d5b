"""Webhooks: endpoints (register, change, rotate their secret, remove), the delivery log and
replays, and `deliver_due`, the sender the worker runs to work through due deliveries.

Deliveries themselves are queued by the unit of work when a change is committed
(storage/feeds.py); everything here starts from those rows.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx

from postroom.domain.audit import AuditEntry, AuditKind
from postroom.domain.clock import Clock
from postroom.domain.errors import Conflict, ErrorCode, NotFound, RetryableError
from postroom.domain.tracking import NotedChange
from postroom.domain.webhooks import (
    ENDPOINT_SUBJECT,
    MAX_ENDPOINTS_PER_ACCOUNT,
    ROTATION_GRACE,
    DeliveryState,
    EndpointSecret,
    EndpointState,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    check_delivery_transition,
    check_event_types,
    is_success,
    new_secret,
    next_attempt_after_failure,
)
from postroom.services.ports import UnitOfWork, UnitOfWorkFactory
from postroom.services.retry import retrying
from postroom.services.webhook_transport import (
    Resolver,
    SendOutcome,
    check_registration,
    resolve_host,
    send_message,
    shaped_payload,
    signed_headers,
)

DISABLED_BY_OWNER = "disabled by its owner"
GONE = "the receiver answered 410 Gone"
# A claimed delivery is someone's until this long after the claim; a sender that died
# mid-attempt leaves it to be claimed again once the lease has run out.
MIN_LEASE = timedelta(seconds=60)


# --- endpoints ----------------------------------------------------------------------------


def _audit_endpoint(uow: UnitOfWork, endpoint: WebhookEndpoint, content: dict[str, Any]) -> None:
    uow.feeds.audit(
        endpoint.account_id, AuditEntry(AuditKind.WEBHOOK_ENDPOINT, endpoint.id, content)
    )


def _owned(uow: UnitOfWork, account_id: str, endpoint_id: str) -> WebhookEndpoint:
    endpoint = uow.webhooks.endpoint(account_id, endpoint_id)
    if endpoint is None:
        raise NotFound("no such webhook endpoint")
    return endpoint


def create_endpoint(
    *,
    uow: UnitOfWork,
    clock: Clock,
    account_id: str,
    url: str,
    event_types: Sequence[str] = ("*",),
    description: str = "",
    enabled: bool = True,
    dialect: str | None = None,
    allow_private: bool,
    resolve: Resolver = resolve_host,
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; returns it and its signing secret (shown this once)."""
    check_registration(url, allow_private=allow_private, resolve=resolve)
    patterns = check_event_types(event_types)
    now = clock.now()
    secret = new_secret()
    endpoint = WebhookEndpoint(
        account_id=account_id,
        url=url,
        event_types=patterns,
        secrets=[EndpointSecret(secret, now)],
        created_at=now,
        description=description,
        dialect=dialect,
    )
    if not enabled:
        endpoint.set_state(EndpointState.DISABLED, now, DISABLED_BY_OWNER)
    with uow:
        if uow.webhooks.count_endpoints(account_id) >= MAX_ENDPOINTS_PER_ACCOUNT:
            raise Conflict(
                f"an account can have at most {MAX_ENDPOINTS_PER_ACCOUNT} webhook endpoints",
                code=ErrorCode.WEBHOOK_ENDPOINT_LIMIT,
            )
        uow.webhooks.add_endpoint(endpoint)
        _audit_endpoint(
            uow,
            endpoint,
            {"action": "created", "url": url, "event_types": patterns, "enabled": enabled},
        )
        uow.commit()
    return endpoint, secret


def list_endpoints(*, uow: UnitOfWork, account_id: str) -> list[WebhookEndpoint]:
    """The account's endpoints, oldest first."""
    with uow:
        return uow.webhooks.endpoints(account_id)


def get_endpoint(*, uow: UnitOfWork, account_id: str, endpoint_id: str) -> WebhookEndpoint:
    """One of the account's endpoints; NotFound otherwise."""
    with uow:
        return _owned(uow, account_id, endpoint_id)


@dataclass(frozen=True)
class EndpointChanges:
    """What a PATCH changes; None leaves a field as it is."""

    url: str | None = None
    description: str | None = None
    event_types: Sequence[str] | None = None
    enabled: bool | None = None


def update_endpoint(
    *,
    uow: UnitOfWork,
    clock: Clock,
    account_id: str,
    endpoint_id: str,
    changes: EndpointChanges,
    allow_private: bool,
    resolve: Resolver = resolve_host,
) -> WebhookEndpoint:
    """Change an endpoint's URL, description, event types or whether it is enabled
    (enabling one that was disabled forgets why, and its failure streak)."""
    if changes.url is not None:
        check_registration(changes.url, allow_private=allow_private, resolve=resolve)
    patterns = check_event_types(changes.event_types) if changes.event_types is not None else None

    def attempt() -> WebhookEndpoint:
        with uow:
            endpoint = _owned(uow, account_id, endpoint_id)
            changed: dict[str, Any] = {}
            if changes.url is not None and changes.url != endpoint.url:
                endpoint.url = changed["url"] = changes.url
            if changes.description is not None and changes.description != endpoint.description:
                endpoint.description = changed["description"] = changes.description
            if patterns is not None and patterns != endpoint.event_types:
                endpoint.event_types = changed["event_types"] = patterns
            fields = list(changed)
            if changes.enabled is not None and changes.enabled != endpoint.enabled:
                target = EndpointState.ACTIVE if changes.enabled else EndpointState.DISABLED
                endpoint.set_state(target, clock.now(), DISABLED_BY_OWNER)
                changed["enabled"] = changes.enabled
                fields += ["state", "disabled_reason", "disabled_at", "failing_since"]
            if not fields:
                return endpoint
            if not uow.webhooks.save_endpoint(endpoint, fields):
                raise RetryableError("the endpoint changed under us; try again")
            _audit_endpoint(uow, endpoint, {"action": "updated", **changed})
            uow.commit()
            return endpoint

    return retrying(attempt)


def rotate_secret(
    *,
    uow: UnitOfWork,
    clock: Clock,
    account_id: str,
    endpoint_id: str,
    grace: timedelta = ROTATION_GRACE,
) -> tuple[WebhookEndpoint, str]:
    """Give the endpoint a new secret; the old ones keep signing for `grace`. Returns the
    endpoint and the new secret (shown this once)."""

    def attempt() -> tuple[WebhookEndpoint, str]:
        with uow:
            endpoint = _owned(uow, account_id, endpoint_id)
            secret = endpoint.rotate_secret(clock.now(), grace)
            if not uow.webhooks.save_endpoint(endpoint, ["secrets"]):
                raise RetryableError("the endpoint changed under us; try again")
            _audit_endpoint(
                uow,
                endpoint,
                {"action": "secret_rotated", "grace_seconds": int(grace.total_seconds())},
            )
            uow.commit()
            return endpoint, secret

    return retrying(attempt)


def delete_endpoint(*, uow: UnitOfWork, account_id: str, endpoint_id: str) -> None:
    """Remove an endpoint with its deliveries (the evidence log keeps their attempts)."""
    with uow:
        endpoint = _owned(uow, account_id, endpoint_id)
        uow.webhooks.remove_endpoint(endpoint.id)
        _audit_endpoint(uow, endpoint, {"action": "deleted", "url": endpoint.url})
        uow.commit()


# --- the delivery log ---------------------------------------------------------------------


def list_deliveries(
    *,
    uow: UnitOfWork,
    account_id: str,
    endpoint_id: str,
    state: DeliveryState | None,
    after: tuple[datetime, str] | None,
    limit: int,
) -> list[WebhookDelivery]:
    """An endpoint's deliveries, newest first."""
    with uow:
        _owned(uow, account_id, endpoint_id)
        return uow.webhooks.deliveries(endpoint_id, state=state, after=after, limit=limit)


@dataclass(frozen=True)
class DeliveryDetail:
    """A delivery with every attempt made for it."""

    delivery: WebhookDelivery
    attempts: list[WebhookAttempt]


def get_delivery(*, uow: UnitOfWork, account_id: str, delivery_id: str) -> DeliveryDetail:
    """One of the account's deliveries and its attempts; NotFound otherwise."""
    with uow:
        delivery = uow.webhooks.delivery(account_id, delivery_id)
        if delivery is None:
            raise NotFound("no such webhook delivery")
        return DeliveryDetail(delivery, uow.webhooks.attempts(delivery_id))


def replay_delivery(
    *, uow: UnitOfWork, clock: Clock, account_id: str, delivery_id: str
) -> WebhookDelivery:
    """Send a delivery again soon, whatever became of it: a new series of attempts."""

    def attempt() -> WebhookDelivery:
        with uow:
            delivery = uow.webhooks.delivery(account_id, delivery_id)
            if delivery is None:
                raise NotFound("no such webhook delivery")
            endpoint = _owned(uow, account_id, delivery.endpoint_id)
            if not endpoint.enabled:
                raise Conflict(
                    "the delivery's endpoint is disabled; enable it first",
                    code=ErrorCode.WEBHOOK_ENDPOINT_DISABLED,
                )
            check_delivery_transition(delivery.state, DeliveryState.PENDING)
            if not uow.webhooks.restart(delivery, clock.now()):
                raise RetryableError("the delivery changed under us; try again")
            uow.feeds.audit(
                account_id,
                AuditEntry(
                    AuditKind.WEBHOOK_DELIVERY,
                    delivery_id,
                    {"action": "replayed", "previous_state": delivery.state.value},
                ),
            )
            restarted = uow.webhooks.delivery(account_id, delivery_id)
            uow.commit()
            assert restarted is not None
            return restarted

    return retrying(attempt)


# --- the sender ---------------------------------------------------------------------------


def message_body(payload: dict[str, Any]) -> bytes:
    """The bytes POSTed (and signed): compact JSON in UTF-8."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


@dataclass(frozen=True)
class SenderPolicy:
    """How the sender behaves; the worker builds it from settings."""

    timeout_seconds: float
    allow_private: bool
    disable_after: timedelta
    resolve: Resolver = resolve_host
    wall_time: Callable[[], float] = time.time  # the webhook-timestamp is real time

    @property
    def lease(self) -> timedelta:
        """How long a claim holds: well past an attempt's own time limits."""
        return max(MIN_LEASE, timedelta(seconds=self.timeout_seconds * 10))


def deliver_due(
    *,
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    policy: SenderPolicy,
    limit: int = 50,
    parallel: int = 4,
    client: httpx.Client | None = None,
) -> int:
    """Claim up to `limit` due deliveries, send them (`parallel` at a time) and record each
    attempt; returns how many attempts were made. Safe to run in several workers at once."""
    now = clock.now()
    with uow_factory() as uow:
        claimed = uow.webhooks.claim_due(now=now, lease_until=now + policy.lease, limit=limit)
        uow.commit()
    if not claimed:
        return 0
    http = client or httpx.Client(trust_env=False, follow_redirects=False)

    def one(job: tuple[WebhookDelivery, WebhookEndpoint]) -> None:
        _attempt(job[0], job[1], uow_factory=uow_factory, clock=clock, policy=policy, http=http)

    try:
        if parallel <= 1 or len(claimed) == 1:
            for job in claimed:
                one(job)
        else:
            with ThreadPoolExecutor(max_workers=min(parallel, len(claimed))) as pool:
                list(pool.map(one, claimed))
    finally:
        if client is None:
            http.close()
    return len(claimed)


def _attempt(
    delivery: WebhookDelivery,
    endpoint: WebhookEndpoint,
    *,
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    policy: SenderPolicy,
    http: httpx.Client,
) -> None:
    attempted_at = clock.now()
    headers: dict[str, str] = {}
    try:
        body = message_body(shaped_payload(endpoint.dialect, delivery.payload))
        headers = signed_headers(
            msg_id=delivery.id,
            body=body,
            secrets=endpoint.signing_secrets(attempted_at),
            timestamp=int(policy.wall_time()),
            dialect=endpoint.dialect,
        )
    except (LookupError, ValueError) as exc:
        outcome = SendOutcome(None, None, f"signing_failed: {exc}", 0)
    else:
        outcome = send_message(
            http,
            url=endpoint.url,
            body=body,
            headers=headers,
            allow_private=policy.allow_private,
            resolve=policy.resolve,
            timeout_seconds=policy.timeout_seconds,
        )
    attempt = WebhookAttempt(
        delivery_id=delivery.id,
        attempted_at=attempted_at,
        request_headers=headers,
        status_code=outcome.status_code,
        response_body=outcome.response_excerpt,
        error=outcome.error,
        duration_ms=outcome.duration_ms,
    )
    retrying(
        lambda: _record(uow_factory(), clock, delivery, endpoint, attempt, policy.disable_after)
    )


def _record(
    uow: UnitOfWork,
    clock: Clock,
    delivery: WebhookDelivery,
    endpoint: WebhookEndpoint,
    attempt: WebhookAttempt,
    disable_after: timedelta,
) -> None:
    """One transaction: the attempt, the delivery's next step, evidence, and what the
    outcome means for the endpoint."""
    now = clock.now()
    number = delivery.attempts + 1
    succeeded = is_success(attempt.status_code)
    gone = attempt.status_code == 410
    next_at = None if succeeded or gone else next_attempt_after_failure(number, now)
    if succeeded:
        state = DeliveryState.SUCCEEDED
    else:
        state = DeliveryState.PENDING if next_at is not None else DeliveryState.FAILED
    with uow:
        finished = uow.webhooks.finish_attempt(
            delivery,
            state=state,
            attempts=number,
            next_attempt_at=next_at,
            attempted_at=attempt.attempted_at,
            status_code=attempt.status_code,
        )
        if not finished and not uow.webhooks.delivery_exists(delivery.id):
            return  # removed with its endpoint while we were sending
        uow.webhooks.add_attempt(attempt)
        uow.feeds.audit(
            delivery.account_id,
            AuditEntry(
                AuditKind.WEBHOOK_DELIVERY,
                delivery.id,
                {
                    "endpoint_id": endpoint.id,
                    "url": endpoint.url,
                    "event_type": delivery.event_type,
                    "attempt": number,
                    "attempted_at": attempt.attempted_at.isoformat(),
                    "status_code": attempt.status_code,
                    "error": attempt.error,
                    "duration_ms": attempt.duration_ms,
                    "outcome": state.value if finished else "superseded",
                    "body": delivery.payload,
                },
            ),
        )
        if succeeded:
            uow.webhooks.clear_failing(endpoint.id)
        elif gone:
            _disable(uow, endpoint, GONE, now)
        else:
            since = uow.webhooks.mark_failing(endpoint.id, now)
            if since is not None and now - since >= disable_after:
                _disable(uow, endpoint, f"every delivery has failed since {since.isoformat()}", now)
        uow.commit()


def _disable(uow: UnitOfWork, endpoint: WebhookEndpoint, reason: str, now: datetime) -> None:
    """Disable the endpoint, fail what it still had to receive, and tell its owner (a change
    in the account's feed, which the account's other endpoints receive too)."""
    if not uow.webhooks.disable_endpoint(endpoint.id, reason, now):
        return
    failed = uow.webhooks.fail_unsent(endpoint.id)
    uow.feeds.note_change(
        endpoint.account_id,
        NotedChange(
            ENDPOINT_SUBJECT,
            endpoint.id,
            f"{ENDPOINT_SUBJECT}.state",
            EndpointState.DISABLED.value,
            {"url": endpoint.url, "reason": reason, "deliveries_failed": failed},
        ),
    )
