"""Fixtures for the webhook tests: a real receiver, settings that let webhooks reach it,
and a container on a fixed clock that no other sender touches."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from postroom.bootstrap import Container, build_container
from postroom.config import Settings
from postroom.domain.clock import FixedClock
from postroom.domain.model import MailPiece, PieceOptions, Recipient
from postroom.domain.webhooks import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from postroom.services import accounts, letters, webhooks
from postroom.services.webhooks import SenderPolicy
from postroom.storage import tables
from tests.conftest import TEST_CREDIT_MINOR, Backend
from tests.integration.webhooks.receiver import Receiver, running_receiver
from tests.support import services
from tests.support.pdfs import make_pdf

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
RECIPIENT = Recipient(
    name_lines=("Anna Svensson",),
    street_lines=("Storgatan 1",),
    postal_code="111 22",
    city="Stockholm",
    country="SE",
)


@pytest.fixture
def make_settings(make_settings: Callable[..., Settings]) -> Callable[..., Settings]:
    """The suite's settings, with webhooks allowed to reach the receiver on 127.0.0.1 and
    the in-process sender looking for due deliveries often."""

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {"webhooks_allow_private": True, "webhook_poll_seconds": 0.05}
        values.update(overrides)
        return make_settings(**values)

    return make


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A receiver on 127.0.0.1 answering 200 unless told otherwise."""
    with running_receiver() as r:
        yield r


@dataclass
class Hooks:
    """A container on a FixedClock, one account, and helpers to drive the sender by hand."""

    container: Container
    clock: FixedClock
    account_id: str

    def policy(self, **overrides: Any) -> SenderPolicy:
        values: dict[str, Any] = {
            "timeout_seconds": 5.0,
            "allow_private": True,
            "disable_after": timedelta(days=5),
        }
        values.update(overrides)
        return SenderPolicy(**values)

    def endpoint(
        self, url: str, event_types: tuple[str, ...] = ("*",), **options: Any
    ) -> tuple[str, str]:
        """Register an endpoint; returns (id, secret)."""
        values: dict[str, Any] = {"allow_private": True, **options}
        endpoint, secret = webhooks.create_endpoint(
            uow=self.container.uow(),
            clock=self.clock,
            account_id=self.account_id,
            url=url,
            event_types=event_types,
            **values,
        )
        return endpoint.id, secret

    def send_letter(self) -> MailPiece:
        """A real piece state change: a letter is submitted (piece.closed)."""
        c = self.container
        return letters.submit_letter(
            uow=c.uow(),
            blobs=c.blobs,
            clock=self.clock,
            limits=c.limits,
            account_id=self.account_id,
            upload=io.BytesIO(make_pdf(1)),
            filename="letter.pdf",
            recipient=RECIPIENT,
            options=PieceOptions(),
        )

    def deliver(self, *, limit: int = 50, parallel: int = 4, **policy: Any) -> int:
        """Run the sender once; returns how many attempts it made."""
        return webhooks.deliver_due(
            uow_factory=self.container.uow,
            clock=self.clock,
            policy=self.policy(**policy),
            limit=limit,
            parallel=parallel,
        )

    def deliveries(self, endpoint_id: str) -> list[WebhookDelivery]:
        with self.container.uow() as uow:
            return uow.webhooks.deliveries(endpoint_id, state=None, after=None, limit=1000)

    def attempts(self, delivery_id: str) -> list[WebhookAttempt]:
        with self.container.uow() as uow:
            return uow.webhooks.attempts(delivery_id)

    def get_endpoint(self, endpoint_id: str) -> WebhookEndpoint:
        return webhooks.get_endpoint(
            uow=self.container.uow(), account_id=self.account_id, endpoint_id=endpoint_id
        )

    def rows(self, table: Any, *where: Any) -> list[Any]:
        with self.container.engine.connect() as conn:
            return list(conn.execute(select(table).where(*where)))

    def audit_kinds(self) -> list[str]:
        return [r.kind for r in self.rows(tables.audit_log)]


@pytest.fixture
def hooks(
    make_settings: Callable[..., Settings], backend: Backend, tmp_path: Path
) -> Iterator[Hooks]:
    """A FixedClock container whose deliveries only the test sends: on SQLite its own file;
    with the PostgreSQL backend a database of its own, out of the shared worker's reach."""
    clock = FixedClock(T0)

    def open_hooks(settings: Settings) -> Iterator[Hooks]:
        container = build_container(settings, clock=clock)
        account = accounts.create_account(
            uow=container.uow(), clock=clock, name="hooks", credit_minor=TEST_CREDIT_MINOR
        )
        try:
            yield Hooks(container, clock, account.id)
        finally:
            container.close()

    data_dir = tmp_path / "hooks-data"
    if not backend.distributed:
        yield from open_hooks(make_settings(data_dir=data_dir))
        return
    with services.fresh_postgres_database() as db:
        yield from open_hooks(make_settings(data_dir=data_dir, database_url=db, broker_url=""))
