"""The SQLAlchemy unit of work: one session, one transaction, every repository."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from postroom.domain.errors import RetryableError
from postroom.storage.repositories import (
    AccountRepository,
    CatalogRepository,
    IdempotencyRepository,
    LotRepository,
    OutboxRepository,
    PieceRepository,
    StageRepository,
)


class SqlUnitOfWork:
    """Opens a session on enter, rolls back whatever was not committed on exit."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory

    def __enter__(self) -> SqlUnitOfWork:
        self.session = self._session_factory()
        self.accounts = AccountRepository(self.session)
        self.pieces = PieceRepository(self.session)
        self.lots = LotRepository(self.session)
        self.outbox = OutboxRepository(self.session)
        self.stages = StageRepository(self.session)
        self.idempotency = IdempotencyRepository(self.session)
        self.catalog = CatalogRepository(self.session)
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

    def commit(self) -> None:
        """Make the transaction's changes durable; a lost race becomes a RetryableError."""
        try:
            self.session.commit()
        except StaleDataError as exc:
            self.session.rollback()
            raise RetryableError("the object changed under us; try again") from exc
        except OperationalError as exc:
            self.session.rollback()
            raise RetryableError(f"database busy: {exc.orig}") from exc

    def rollback(self) -> None:
        """Drop the transaction's changes."""
        self.session.rollback()
