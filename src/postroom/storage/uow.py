"""The SQLAlchemy unit of work: one session, one transaction, every repository."""

from __future__ import annotations

from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from sqlalchemy import Engine, event, inspect
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from postroom.domain.clock import Clock
from postroom.domain.errors import RetryableError
from postroom.domain.model import MailPiece
from postroom.domain.states import BatchState, PieceState
from postroom.domain.tracking import NotedChange, Shipment, shipment_change
from postroom.storage.address_lists import AddressListRepository, DialectKeyRepository
from postroom.storage.counters import CounterRepository
from postroom.storage.dashboard import DashboardQueries
from postroom.storage.database import wait_durable
from postroom.storage.feeds import FeedRepository
from postroom.storage.orders import OrderRepository
from postroom.storage.reachability import ReachabilityRepository
from postroom.storage.repositories import (
    AccountRepository,
    CatalogRepository,
    IdempotencyRepository,
    LotRepository,
    OutboxRepository,
    PieceRepository,
    StageRepository,
)
from postroom.storage.retention import RetentionRepository
from postroom.storage.sandbox import SandboxRepository
from postroom.storage.sealing import Sealer
from postroom.storage.shipments import ShipmentRepository
from postroom.storage.sms import SmsRepository
from postroom.storage.throttle import LoginThrottleRepository
from postroom.storage.webhooks import WebhookRepository

# A completed batch's evidence record lists its pieces' states only up to this many (each
# piece's own moves are in the evidence log anyway).
AUDITED_PIECES = 1000


class SqlUnitOfWork:
    """Opens a session on enter, rolls back whatever was not committed on exit."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        clock: Clock | None = None,
        *,
        sealer: Sealer,
    ) -> None:
        self._session_factory = session_factory
        self._clock = clock
        self._sealer = sealer

    def __enter__(self) -> SqlUnitOfWork:
        self.session = self._session_factory()
        self.accounts = AccountRepository(self.session)
        self.pieces = PieceRepository(self.session)
        self.lots = LotRepository(self.session)
        self.outbox = OutboxRepository(self.session)
        self.stages = StageRepository(self.session)
        self.idempotency = IdempotencyRepository(self.session)
        self.catalog = CatalogRepository(self.session)
        self.shipments = ShipmentRepository(self.session)
        self.feeds = FeedRepository(self.session)
        self.sandbox = SandboxRepository(self.session)
        self.counters = CounterRepository(self.session)
        self.login_throttle = LoginThrottleRepository(self.session)
        self.webhooks = WebhookRepository(self.session, self._sealer)
        self.reachability = ReachabilityRepository(self.session)
        self.retention = RetentionRepository(self.session)
        self.orders = OrderRepository(self.session)
        self.sms = SmsRepository(self.session)
        self.dashboard = DashboardQueries(self.session)
        self.address_lists = AddressListRepository(self.session)
        self.dialect_keys = DialectKeyRepository(self.session)
        self._moved_batches: set[str] = set()
        event.listen(self.session, "before_flush", self._notice_state_changes)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # close() rolls back what was not committed and detaches the objects without
        # expiring them, so callers can still read what a use case returned.
        self.session.close()

    def commit(self, *, durable: bool = False) -> None:
        """Commit the transaction's changes, with the change-feed entries, evidence records
        and webhook deliveries they imply; a lost race becomes a RetryableError. They
        survive a crash of the process; `durable` waits until they survive a power cut too
        (on SQLite a sync of its log that concurrent commits share: CommitSync)."""
        try:
            self.session.flush()
            self._settle_batches()
            self.feeds.write_pending(self._now())
            bind = self.session.get_bind()
            self.session.commit()
        except StaleDataError as exc:
            self.rollback()
            raise RetryableError("the object changed under us; try again") from exc
        except OperationalError as exc:
            self.rollback()
            raise RetryableError(f"database busy: {exc.orig}") from exc
        if durable and isinstance(bind, Engine):
            wait_durable(bind)

    def rollback(self) -> None:
        """Drop the transaction's changes."""
        self.session.rollback()
        self.feeds.discard_pending()
        self._moved_batches.clear()

    def _settle_batches(self) -> None:
        """A closed batch follows its pieces (Batch.settle): transferred, then completed
        with every piece's final state in its feed entry. The batch row is locked first, so
        two transactions finishing its last pieces cannot both miss the end."""
        moved, self._moved_batches = sorted(self._moved_batches), set()
        for batch_id in moved:
            batch = self.pieces.batch_for_update(batch_id)
            if batch is None or batch.state not in (BatchState.CLOSED, BatchState.TRANSFERRED):
                continue
            counts = self.pieces.piece_state_counts_of_batch(batch_id)
            for entered in batch.settle(counts, self._now()):
                data: dict[str, Any] = {}
                if entered in (BatchState.COMPLETED, BatchState.FAILED):
                    # The one time every piece is listed: the batch has ended.
                    states = self.pieces.piece_states_of_batch(batch_id)
                    data["pieces"] = [{"id": i, "state": s.value} for i, s in states]
                self.feeds.note_change(
                    batch.account_id,
                    NotedChange("batch", batch.id, "batch.state", entered.value, data),
                    audit=sum(counts.values()) <= AUDITED_PIECES or not data,
                )
        if moved:
            self.session.flush()

    def _now(self) -> datetime:
        return self._clock.now() if self._clock is not None else datetime.now(UTC)

    def _notice_state_changes(self, session: Session, _context: Any, _instances: Any) -> None:
        """Every state change of a piece or shipment becomes a feed entry and evidence,
        whichever use case made it (runs before each flush, so none is missed)."""
        for obj in list(session.new) + list(session.dirty):
            if isinstance(obj, MailPiece):
                moves = obj.take_moves()
                if not moves and _changed(obj, "state"):
                    moves = [obj.state]  # created in its first state
                for state in moves:
                    self.feeds.note_change(obj.account_id, _piece_change(obj, state))
                if moves and obj.batch_id is not None:
                    self._moved_batches.add(obj.batch_id)
            elif isinstance(obj, Shipment) and _changed(obj, "status"):
                self.feeds.note_change(obj.account_id, _shipment_change(obj))


def _changed(obj: object, attribute: str) -> bool:
    state = inspect(obj)
    if state.transient or state.pending:
        return True
    return bool(state.attrs[attribute].history.added)


def _piece_change(piece: MailPiece, state: PieceState) -> NotedChange:
    data: dict[str, Any] = {"batch_id": piece.batch_id}
    if piece.failure_code:
        data["failure_code"] = piece.failure_code
        data["failure_reason"] = piece.failure_reason
    if piece.tracking_reference:
        data["tracking_reference"] = piece.tracking_reference
    return NotedChange("piece", piece.id, "piece.state", state.value, data)


def _shipment_change(shipment: Shipment) -> NotedChange:
    return shipment_change(
        shipment_id=shipment.id,
        reference=shipment.reference,
        carrier=shipment.carrier,
        piece_id=shipment.piece_id,
        status=shipment.status,
        code=shipment.status_code,
        at=shipment.status_at,
    )
