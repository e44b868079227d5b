"""Webhook endpoints, deliveries and attempts (SQLAlchemy Core; the rows become domain values).

Every change to a delivery row bumps its version, and every write that depends on what was
read says which version it read: two senders can never both claim, or both finish, one
delivery. On PostgreSQL the claim also skips rows another sender has locked.

Signing secrets are sealed here, in the mapping (storage/sealing.py, ADR 0017): an endpoint's
row holds `sealed:v1:...` tokens, the domain value the clear secret, in memory only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from postroom.domain.webhooks import (
    DeliveryState,
    EndpointSecret,
    EndpointState,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from postroom.storage import tables
from postroom.storage.sealing import Sealer, is_sealed, key_id_of

E = tables.webhook_endpoints
D = tables.webhook_deliveries
A = tables.webhook_attempts
DUE_STATES = (DeliveryState.PENDING.value, DeliveryState.SENDING.value)

# The endpoint fields a use case may write; failing_since is the sender's own, see below.
ENDPOINT_FIELDS = frozenset(
    {
        "url",
        "description",
        "event_types",
        "secrets",
        "state",
        "disabled_reason",
        "disabled_at",
        "failing_since",
    }
)


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def secret_context(endpoint_id: str) -> str:
    """Where an endpoint's sealed secrets are kept: a token copied to another row won't open."""
    return f"webhook_endpoints.secrets:{endpoint_id}"


def _sealed_secrets(endpoint: WebhookEndpoint, sealer: Sealer) -> list[dict[str, Any]]:
    context = secret_context(endpoint.id)
    return [
        {**s.to_dict(), "secret": sealer.seal(s.secret, context=context)} for s in endpoint.secrets
    ]


def _opened_secrets(row: Row[Any], sealer: Sealer) -> list[EndpointSecret]:
    context = secret_context(row.id)
    return [
        EndpointSecret.from_dict({**s, "secret": sealer.unseal(s["secret"], context=context)})
        for s in row.secrets
    ]


def _endpoint(row: Row[Any], sealer: Sealer) -> WebhookEndpoint:
    return WebhookEndpoint(
        id=row.id,
        account_id=row.account_id,
        url=row.url,
        description=row.description,
        dialect=row.dialect,
        event_types=list(row.event_types),
        secrets=_opened_secrets(row, sealer),
        state=EndpointState(row.state),
        disabled_reason=row.disabled_reason,
        disabled_at=row.disabled_at,
        failing_since=row.failing_since,
        created_at=row.created_at,
        version=row.version,
    )


def _column_value(endpoint: WebhookEndpoint, name: str, sealer: Sealer) -> Any:
    value = getattr(endpoint, name)
    if name == "secrets":
        return _sealed_secrets(endpoint, sealer)
    if name == "state":
        return value.value
    return value


def _delivery(row: Row[Any]) -> WebhookDelivery:
    return WebhookDelivery(
        id=row.id,
        account_id=row.account_id,
        endpoint_id=row.endpoint_id,
        event_type=row.event_type,
        payload=row.payload,
        state=DeliveryState(row.state),
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_attempt_at=row.last_attempt_at,
        last_status_code=row.last_status_code,
        created_at=row.created_at,
        version=row.version,
    )


class WebhookRepository:
    """Endpoints per account; deliveries claimed, finished and replayed; their attempts."""

    def __init__(self, session: Session, sealer: Sealer) -> None:
        self.session = session
        self.sealer = sealer

    # --- endpoints --------------------------------------------------------------------

    def add_endpoint(self, endpoint: WebhookEndpoint) -> None:
        """Insert a new endpoint."""
        values = {name: _column_value(endpoint, name, self.sealer) for name in ENDPOINT_FIELDS}
        self.session.execute(
            insert(E).values(
                id=endpoint.id,
                account_id=endpoint.account_id,
                dialect=endpoint.dialect,
                created_at=endpoint.created_at,
                version=endpoint.version,
                **values,
            )
        )

    def endpoint(self, account_id: str, endpoint_id: str) -> WebhookEndpoint | None:
        """The account's endpoint, or None (another account's is None too)."""
        row = self.session.execute(
            select(E).where(and_(E.c.id == endpoint_id, E.c.account_id == account_id))
        ).first()
        return _endpoint(row, self.sealer) if row is not None else None

    def endpoints(self, account_id: str) -> list[WebhookEndpoint]:
        """The account's endpoints, oldest first."""
        rows = self.session.execute(
            select(E).where(E.c.account_id == account_id).order_by(E.c.created_at, E.c.id)
        ).all()
        return [_endpoint(r, self.sealer) for r in rows]

    def count_endpoints(self, account_id: str) -> int:
        """How many endpoints the account has."""
        return int(
            self.session.execute(
                select(func.count()).select_from(E).where(E.c.account_id == account_id)
            ).scalar_one()
        )

    def save_endpoint(self, endpoint: WebhookEndpoint, fields: Sequence[str]) -> bool:
        """Write these fields if nobody changed the endpoint since it was read (then its
        version moves on); False when someone did."""
        unknown = set(fields) - ENDPOINT_FIELDS
        if unknown:
            raise ValueError(f"not an endpoint field a use case writes: {sorted(unknown)}")
        values = {name: _column_value(endpoint, name, self.sealer) for name in fields}
        result = self.session.execute(
            update(E)
            .where(and_(E.c.id == endpoint.id, E.c.version == endpoint.version))
            .values(version=endpoint.version + 1, **values)
        )
        if _rowcount(result) != 1:
            return False
        endpoint.version += 1
        return True

    def remove_endpoint(self, endpoint_id: str) -> None:
        """Delete an endpoint with its deliveries and attempts (the evidence log keeps them)."""
        of_endpoint = select(D.c.id).where(D.c.endpoint_id == endpoint_id)
        self.session.execute(delete(A).where(A.c.delivery_id.in_(of_endpoint)))
        self.session.execute(delete(D).where(D.c.endpoint_id == endpoint_id))
        self.session.execute(delete(E).where(E.c.id == endpoint_id))

    # --- sealed secrets (ADR 0017) ---------------------------------------------------------

    def sealing_key_ids(self) -> dict[str, int]:
        """How many stored secrets each key sealed, by key id (no secret is opened)."""
        counts: dict[str, int] = {}
        for (stored,) in self.session.execute(select(E.c.secrets)).all():
            for s in stored:
                key_id = key_id_of(s["secret"]) if is_sealed(s["secret"]) else "clear"
                counts[key_id] = counts.get(key_id, 0) + 1
        return counts

    def reseal_secrets(self, new_key: str) -> tuple[int, int]:
        """Open every endpoint's secrets and seal them again with `new_key`, in this
        transaction; returns (endpoints, secrets). Each endpoint's version moves on, so a
        write-back of secrets read before the change cannot land after it."""
        target = Sealer(new_key)
        query = select(E.c.id, E.c.secrets, E.c.version).order_by(E.c.id)
        if self.session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update()
        endpoints = secrets = 0
        for row in self.session.execute(query).all():
            context = secret_context(row.id)
            resealed = [
                {**s, "secret": self.sealer.reseal(s["secret"], target, context=context)}
                for s in row.secrets
            ]
            self.session.execute(
                update(E).where(E.c.id == row.id).values(secrets=resealed, version=row.version + 1)
            )
            endpoints += 1
            secrets += len(resealed)
        return endpoints, secrets

    # The sender's writes below are single conditional statements, not read-modify-write:
    # several senders may finish deliveries of one endpoint at the same moment.

    def mark_failing(self, endpoint_id: str, now: datetime) -> datetime | None:
        """Start the endpoint's failure streak unless one runs; returns when it started."""
        self.session.execute(
            update(E)
            .where(and_(E.c.id == endpoint_id, E.c.failing_since.is_(None)))
            .values(failing_since=now)
        )
        since: datetime | None = self.session.execute(
            select(E.c.failing_since).where(E.c.id == endpoint_id)
        ).scalar_one_or_none()
        return since

    def clear_failing(self, endpoint_id: str) -> None:
        """End the endpoint's failure streak (a delivery succeeded)."""
        self.session.execute(
            update(E)
            .where(and_(E.c.id == endpoint_id, E.c.failing_since.is_not(None)))
            .values(failing_since=None)
        )

    def disable_endpoint(self, endpoint_id: str, reason: str, now: datetime) -> bool:
        """Disable an active endpoint; False when it was not active any more."""
        result = self.session.execute(
            update(E)
            .where(and_(E.c.id == endpoint_id, E.c.state == EndpointState.ACTIVE.value))
            .values(
                state=EndpointState.DISABLED.value,
                disabled_reason=reason[:200],
                disabled_at=now,
                version=E.c.version + 1,
            )
        )
        return _rowcount(result) == 1

    # --- deliveries -------------------------------------------------------------------

    def delivery(self, account_id: str, delivery_id: str) -> WebhookDelivery | None:
        """The account's delivery, or None."""
        row = self.session.execute(
            select(D).where(and_(D.c.id == delivery_id, D.c.account_id == account_id))
        ).first()
        return _delivery(row) if row is not None else None

    def deliveries(
        self,
        endpoint_id: str,
        *,
        state: DeliveryState | None,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> list[WebhookDelivery]:
        """An endpoint's deliveries, newest first, after a (created_at, id) cursor."""
        query = select(D).where(D.c.endpoint_id == endpoint_id)
        if state is not None:
            query = query.where(D.c.state == state.value)
        if after is not None:
            at, last_id = after
            query = query.where(
                or_(D.c.created_at < at, and_(D.c.created_at == at, D.c.id < last_id))
            )
        rows = self.session.execute(
            query.order_by(D.c.created_at.desc(), D.c.id.desc()).limit(limit)
        ).all()
        return [_delivery(r) for r in rows]

    def deliveries_about(
        self, account_id: str, subject_ids: Sequence[str], *, limit: int
    ) -> list[WebhookDelivery]:
        """The account's deliveries of changes to these subjects (a piece, its shipment),
        oldest first."""
        rows = self.session.execute(
            select(D)
            .where(and_(D.c.account_id == account_id, D.c.subject_id.in_(list(subject_ids))))
            .order_by(D.c.created_at, D.c.id)
            .limit(limit)
        ).all()
        return [_delivery(r) for r in rows]

    def claim_due(
        self, *, now: datetime, lease_until: datetime, limit: int
    ) -> list[tuple[WebhookDelivery, WebhookEndpoint]]:
        """Take up to `limit` deliveries due by `now` (pending, or sending with a lapsed
        lease) whose endpoint is active: each becomes `sending` until `lease_until`."""
        query = (
            select(D.c.id, D.c.version)
            .join(E, E.c.id == D.c.endpoint_id)
            .where(
                and_(
                    D.c.state.in_(DUE_STATES),
                    D.c.next_attempt_at <= now,
                    E.c.state == EndpointState.ACTIVE.value,
                )
            )
            .order_by(D.c.next_attempt_at, D.c.id)
            .limit(limit)
        )
        if self.session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(of=D, skip_locked=True, key_share=True)
        claimed: list[str] = []
        for row in self.session.execute(query).all():
            result = self.session.execute(
                update(D)
                .where(
                    and_(D.c.id == row.id, D.c.version == row.version, D.c.state.in_(DUE_STATES))
                )
                .values(
                    state=DeliveryState.SENDING.value,
                    next_attempt_at=lease_until,
                    version=row.version + 1,
                )
            )
            if _rowcount(result) == 1:
                claimed.append(row.id)
        if not claimed:
            return []
        deliveries = [
            _delivery(r)
            for r in self.session.execute(
                select(D).where(D.c.id.in_(claimed)).order_by(D.c.next_attempt_at, D.c.id)
            ).all()
        ]
        endpoint_ids = {d.endpoint_id for d in deliveries}
        endpoints = {
            r.id: _endpoint(r, self.sealer)
            for r in self.session.execute(select(E).where(E.c.id.in_(endpoint_ids))).all()
        }
        return [(d, endpoints[d.endpoint_id]) for d in deliveries]

    def finish_attempt(
        self,
        delivery: WebhookDelivery,
        *,
        state: DeliveryState,
        attempts: int,
        next_attempt_at: datetime | None,
        attempted_at: datetime,
        status_code: int | None,
    ) -> bool:
        """Record a claimed delivery's attempt outcome; False when the delivery changed
        since the claim (replayed, or failed with its endpoint) or is gone."""
        result = self.session.execute(
            update(D)
            .where(
                and_(
                    D.c.id == delivery.id,
                    D.c.version == delivery.version,
                    D.c.state == DeliveryState.SENDING.value,
                )
            )
            .values(
                state=state.value,
                attempts=attempts,
                next_attempt_at=next_attempt_at,
                last_attempt_at=attempted_at,
                last_status_code=status_code,
                version=delivery.version + 1,
            )
        )
        return _rowcount(result) == 1

    def delivery_exists(self, delivery_id: str) -> bool:
        """True while the delivery is stored (deleting an endpoint deletes its deliveries)."""
        found = self.session.execute(select(D.c.id).where(D.c.id == delivery_id)).first()
        return found is not None

    def fail_unsent(self, endpoint_id: str) -> int:
        """Fail every pending or in-flight delivery of an endpoint; returns how many."""
        result = self.session.execute(
            update(D)
            .where(and_(D.c.endpoint_id == endpoint_id, D.c.state.in_(DUE_STATES)))
            .values(state=DeliveryState.FAILED.value, next_attempt_at=None, version=D.c.version + 1)
        )
        return _rowcount(result)

    def restart(self, delivery: WebhookDelivery, now: datetime) -> bool:
        """Start a new attempt series due at `now` (a replay); False if it changed meanwhile."""
        result = self.session.execute(
            update(D)
            .where(and_(D.c.id == delivery.id, D.c.version == delivery.version))
            .values(
                state=DeliveryState.PENDING.value,
                attempts=0,
                next_attempt_at=now,
                version=delivery.version + 1,
            )
        )
        return _rowcount(result) == 1

    # --- attempts ---------------------------------------------------------------------

    def add_attempt(self, attempt: WebhookAttempt) -> None:
        """Store one attempt."""
        self.session.execute(
            insert(A).values(
                delivery_id=attempt.delivery_id,
                attempted_at=attempt.attempted_at,
                request_headers=attempt.request_headers,
                status_code=attempt.status_code,
                response_body=attempt.response_body,
                error=attempt.error[:500] if attempt.error else None,
                duration_ms=attempt.duration_ms,
            )
        )

    def attempts(self, delivery_id: str) -> list[WebhookAttempt]:
        """A delivery's attempts, oldest first, across every series."""
        rows = self.session.execute(
            select(A).where(A.c.delivery_id == delivery_id).order_by(A.c.attempted_at, A.c.id)
        ).all()
        return [
            WebhookAttempt(
                id=r.id,
                delivery_id=r.delivery_id,
                attempted_at=r.attempted_at,
                request_headers=dict(r.request_headers),
                status_code=r.status_code,
                response_body=r.response_body,
                error=r.error,
                duration_ms=r.duration_ms,
            )
            for r in rows
        ]
