"""The SQLAlchemy unit of work: one session, one transaction, every repository."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Generic, TypeVar

from sqlalchemy import event, inspect
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
from postroom.storage.database import READS_ONLY
from postroom.storage.edi import EdiRepository
from postroom.storage.feeds import FeedRepository
from postroom.storage.orders import OrderRepository
from postroom.storage.peppol import PeppolRepository
from postroom.storage.reachability import EbankSenderRepository, ReachabilityRepository
from postroom.storage.repositories import (
    AccountRepository,
    CatalogRepository,
    EmailAttemptRepository,
    IdempotencyRepository,
    LotRepository,
    OutboxRepository,
    PieceRepository,
    StageRepository,
)
from postroom.storage.retention import RetentionRepository
from postroom.storage.sandbox import SandboxRepository
from postroom.storage.sealing import Sealer
from postroom.storage.shared_ranges import SharedRangeRepository
from postroom.storage.shipments import ShipmentRepository
from postroom.storage.sms import SmsRepository
from postroom.storage.throttle import LoginThrottleRepository
from postroom.storage.webhooks import WebhookRepository

# A completed batch's evidence record lists its pieces' states only up to this many (each
# piece's own moves are in the evidence log anyway).
AUDITED_PIECES = 1000


R = TypeVar("R")

# The sessionmakers whose sessions already tell their unit of work of each flush.
_WATCHED: weakref.WeakSet[sessionmaker[Session]] = weakref.WeakSet()


class _Repository(Generic[R]):
    """A repository of the unit of work, made on first use in each transaction: a letter's
    transactions use three or four of the twenty, and every request opens some."""

    def __init__(self, make: Callable[[SqlUnitOfWork], R]) -> None:
        self._make = make
        self._name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    def __get__(self, uow: SqlUnitOfWork, owner: type | None = None) -> R:
        # Kept in the instance's dict, which Python reads before this (non-data) descriptor
        # until __enter__ drops it for the next transaction.
        repository = self._make(uow)
        uow.__dict__[self._name] = repository
        return repository


class SqlUnitOfWork:
    """Opens a session on enter, rolls back whatever was not committed on exit."""

    session: Session
    _sealer: Sealer
    accounts = _Repository(lambda uow: AccountRepository(uow.session))
    pieces = _Repository(lambda uow: PieceRepository(uow.session, uow._notice_pieces))
    lots = _Repository(lambda uow: LotRepository(uow.session))
    outbox = _Repository(lambda uow: OutboxRepository(uow.session))
    stages = _Repository(lambda uow: StageRepository(uow.session))
    email_attempts = _Repository(lambda uow: EmailAttemptRepository(uow.session))
    idempotency = _Repository(lambda uow: IdempotencyRepository(uow.session))
    catalog = _Repository(lambda uow: CatalogRepository(uow.session))
    shipments = _Repository(lambda uow: ShipmentRepository(uow.session))
    feeds = _Repository(lambda uow: FeedRepository(uow.session))
    sandbox = _Repository(lambda uow: SandboxRepository(uow.session))
    counters = _Repository(lambda uow: CounterRepository(uow.session))
    login_throttle = _Repository(lambda uow: LoginThrottleRepository(uow.session))
    webhooks = _Repository(lambda uow: WebhookRepository(uow.session, uow._sealer))
    reachability = _Repository(lambda uow: ReachabilityRepository(uow.session))
    ebank = _Repository(lambda uow: EbankSenderRepository(uow.session))
    peppol = _Repository(lambda uow: PeppolRepository(uow.session))
    retention = _Repository(lambda uow: RetentionRepository(uow.session))
    orders = _Repository(lambda uow: OrderRepository(uow.session))
    sms = _Repository(lambda uow: SmsRepository(uow.session))
    shared_ranges = _Repository(lambda uow: SharedRangeRepository(uow.session))
    edi = _Repository(lambda uow: EdiRepository(uow.session))
    dashboard = _Repository(lambda uow: DashboardQueries(uow.session))
    address_lists = _Repository(lambda uow: AddressListRepository(uow.session))
    dialect_keys = _Repository(lambda uow: DialectKeyRepository(uow.session))

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
        self._reads_only = False
        if session_factory not in _WATCHED:
            # One listener for every session of the factory, rather than one added to
            # each session (which cost more than the rest of opening a transaction).
            event.listen(session_factory, "before_flush", _before_flush)
            _WATCHED.add(session_factory)

    def reading(self) -> SqlUnitOfWork:
        """This unit of work, for one transaction that only reads (`with uow.reading():`).
        On SQLite it begins without the write lock: it waits for no writer and no writer
        waits for it, and it reads the last commit made before its first query. Changing
        anything in it is a programming error (ReadOnlyTransaction at the flush or commit)."""
        self._reads_only = True
        return self

    def __enter__(self) -> SqlUnitOfWork:
        for name in _REPOSITORIES:
            self.__dict__.pop(name, None)
        self.session = self._session_factory()
        self.session.info[_UOW] = self
        self._moved_batches: set[str] = set()
        if self._reads_only and self._session_factory.kw["bind"].dialect.name == "sqlite":
            # SQLite's transaction then begins without the write lock (database.py).
            try:
                self.session.connection(execution_options={READS_ONLY: True})
            except BaseException:
                self.session.close()
                self._reads_only = False
                raise
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
        self._reads_only = False
        # The database refusing midway (a flush of a long unit of work: a lock it could not
        # take in time, a busy SQLite file) is what refusing at the commit is: nothing of
        # the unit was kept, and the caller may try again (503, a message redelivered).
        if isinstance(exc, OperationalError):
            raise RetryableError(f"database busy: {exc.orig}") from exc

    def commit(self) -> None:
        """Commit the transaction's changes, with the change-feed entries, evidence records
        and webhook deliveries they imply; a lost race becomes a RetryableError. They
        survive a crash of the process; on SQLite a power cut too once its log is synced
        (the API's answers wait for that: DurableAnswers, ADR 0027)."""
        if self._reads_only:
            raise ReadOnlyTransaction("commit() in a unit of work entered with reading()")
        try:
            self.session.flush()
            self._settle_batches()
            self.feeds.write_pending(self._now())
            self.session.commit()
        except StaleDataError as exc:
            self.rollback()
            raise RetryableError("the object changed under us; try again") from exc
        except OperationalError as exc:
            self.rollback()
            raise RetryableError(f"database busy: {exc.orig}") from exc

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
                self._notice_pieces([obj])
            elif isinstance(obj, Shipment) and _changed(obj, "status"):
                self.feeds.note_change(obj.account_id, _shipment_change(obj))

    def _notice_pieces(self, pieces: Sequence[MailPiece]) -> None:
        """Each piece's state changes since it was last noticed, as feed entries and
        evidence; its batch is settled at the commit."""
        for piece in pieces:
            moves = piece.take_moves()
            if not moves and _changed(piece, "state"):
                moves = [piece.state]  # created in its first state
            for state in moves:
                self.feeds.note_change(piece.account_id, _piece_change(piece, state))
            if moves and piece.batch_id is not None:
                self._moved_batches.add(piece.batch_id)


_REPOSITORIES = tuple(n for n, v in vars(SqlUnitOfWork).items() if isinstance(v, _Repository))
_UOW = "postroom.uow"  # the key of a session's unit of work in Session.info


class ReadOnlyTransaction(RuntimeError):
    """A change made in a unit of work entered with reading(): a bug, never the caller's."""


def _before_flush(session: Session, context: Any, instances: Any) -> None:
    uow = session.info.get(_UOW)
    if uow is not None:
        if uow._reads_only and (session.new or session.dirty or session.deleted):
            raise ReadOnlyTransaction("a change in a unit of work entered with reading()")
        uow._notice_state_changes(session, context, instances)


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
