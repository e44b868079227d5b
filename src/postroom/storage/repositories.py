"""Repositories: every query the services need, each scoped to an account where one applies."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, delete, func, insert, inspect, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from postroom.domain.catalog import Charge, Environment, Option, OptionType, Service
from postroom.domain.lots import LotCandidate, ServiceTerms, presort_key
from postroom.domain.model import (
    Account,
    ApiKey,
    Batch,
    Document,
    Lot,
    MailPiece,
    SessionToken,
    Shop,
    User,
    new_id,
)
from postroom.domain.records import EmailAttempt, IdempotencyRecord, OutboxMessage
from postroom.domain.states import BatchState, LotState, PieceState
from postroom.storage import tables
from postroom.storage.database import insert_or_skip
from postroom.storage.feeds import bulk_insert
from postroom.storage.piece_writes import write_changed


def on_channels(
    service_id: Any, service_channel: Any, channels: Sequence[str], default_channel: str
) -> Any:
    """The condition "the piece leaves by one of these channels" on a piece outer-joined
    to its service (None: no service, so the default channel)."""
    by_service = service_channel.in_(list(channels))
    if default_channel in channels:
        return or_(service_id.is_(None), by_service)
    return and_(service_id.is_not(None), by_service)


class AccountRepository:
    """Accounts, users, credentials and shops: the auth side of the model."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, obj: Account | User | ApiKey | SessionToken | Shop) -> None:
        """Stage a new object for insertion."""
        self.session.add(obj)

    def get(self, account_id: str) -> Account | None:
        """The account with this id."""
        return self.session.get(Account, account_id)

    def lock(self, account_id: str) -> None:
        """Lock the account's row until the transaction ends (PostgreSQL; SQLite locks on
        write), FOR NO KEY UPDATE: rows that refer to it can still be inserted."""
        t = tables.accounts
        self.session.execute(
            select(t.c.id).where(t.c.id == account_id).with_for_update(key_share=True)
        )

    def find_by_name(self, name: str) -> Account | None:
        """The first account with this name."""
        return self.session.scalars(select(Account).where(tables.accounts.c.name == name)).first()

    def named(self, name: str) -> Sequence[Account]:
        """The accounts with this name, whatever its case, oldest first (names are unique
        since accounts create refuses a taken one; older data may hold two)."""
        t = tables.accounts
        stmt = select(Account).where(func.lower(t.c.name) == name.lower())
        return self.session.scalars(stmt.order_by(t.c.created_at, t.c.id)).all()

    def all(self) -> Sequence[Account]:
        """Every account, by name."""
        t = tables.accounts
        return self.session.scalars(select(Account).order_by(t.c.name, t.c.created_at)).all()

    def user_by_username(self, username: str) -> User | None:
        """The user who logs in with this name."""
        return self.session.scalars(select(User).where(tables.users.c.username == username)).first()

    def api_key_by_hash(self, key_hash: str) -> ApiKey | None:
        """The API key whose secret hashes to this value."""
        return self.session.scalars(
            select(ApiKey).where(tables.api_keys.c.key_hash == key_hash)
        ).first()

    def api_key(self, account_id: str, key_id: str) -> ApiKey | None:
        """One of the account's API keys."""
        key = self.session.get(ApiKey, key_id)
        return key if key is not None and key.account_id == account_id else None

    def api_keys(self, account_id: str) -> Sequence[ApiKey]:
        """All of the account's API keys, oldest first."""
        stmt = (
            select(ApiKey)
            .where(tables.api_keys.c.account_id == account_id)
            .order_by(tables.api_keys.c.created_at, tables.api_keys.c.id)
        )
        return self.session.scalars(stmt).all()

    def remove_api_key(self, key: ApiKey) -> None:
        """Delete a key for good."""
        self.session.delete(key)

    def session_by_hash(self, token_hash: str) -> SessionToken | None:
        """The login session whose token hashes to this value."""
        stmt = select(SessionToken).where(tables.session_tokens.c.token_hash == token_hash)
        return self.session.scalars(stmt).first()

    def shops(self, account_id: str) -> Sequence[Shop]:
        """The account's shops."""
        t = tables.shops
        stmt = select(Shop).where(t.c.account_id == account_id).order_by(t.c.name)
        return self.session.scalars(stmt).all()

    def user_by_id(self, account_id: str, user_id: str) -> User | None:
        """One of the account's users."""
        user = self.session.get(User, user_id)
        return user if user is not None and user.account_id == account_id else None

    def user_shop_ids(self, user_id: str) -> frozenset[str]:
        """The shops a user is limited to (empty: not limited)."""
        t = tables.user_shops.c
        return frozenset(self.session.scalars(select(t.shop_id).where(t.user_id == user_id)))

    def set_user_shops(self, user_id: str, shop_ids: Sequence[str]) -> None:
        """Limit a user to these shops (none: every shop of its account)."""
        t = tables.user_shops
        self.session.execute(delete(t).where(t.c.user_id == user_id))
        if shop_ids:
            self.session.execute(
                t.insert(),
                [{"user_id": user_id, "shop_id": shop} for shop in sorted(set(shop_ids))],
            )


class PieceRepository:
    """Documents and mail pieces."""

    def __init__(
        self,
        session: Session,
        notice: Callable[[Sequence[MailPiece]], None] = lambda pieces: None,
    ) -> None:
        self.session = session
        self._notice = notice  # notes pieces' state changes (what a flush does first)

    def add(self, obj: Batch | Document | MailPiece) -> None:
        """Stage a new object for insertion."""
        self.session.add(obj)

    def insert_new(self, document: Document, piece: MailPiece) -> None:
        """Write a new document and its one piece with an INSERT each, not through the
        session (every letter pays this: no flush), the piece's first state noted as a
        flush notes it. Both objects stay out of the session: they hold what was written."""
        self._notice([piece])
        connection = self.session.connection()
        connection.execute(insert(tables.documents), [_row_of(document)])
        connection.execute(insert(tables.mail_pieces), [_row_of(piece)])

    def add_all(self, objs: Sequence[MailPiece]) -> None:
        """Stage many new pieces at once (a split file gives thousands) and write them, still
        inside the transaction: the session then holds them no longer than the caller does."""
        self.session.add_all(objs)
        self.session.flush()

    def flush(self) -> None:
        """Write what the session holds so far (a new batch before rows that refer to it)."""
        self.session.flush()

    def forget(self, objs: Sequence[Batch | Document | MailPiece]) -> None:
        """Drop written objects from the session (a page of a long batch, once flushed): it
        then holds no more than one page, whatever the batch's size."""
        for obj in objs:
            if obj in self.session:  # not written by write_changed (which drops its own)
                self.session.expunge(obj)

    def write_changed(self, pieces: Sequence[MailPiece]) -> None:
        """Write what changed on these pieces with one UPDATE per set of changed columns
        for all of them (the flush writes one statement a piece), each checked against
        its version (RetryableError when another transaction changed one since it was
        read), their state changes noted as a flush notes them; then forget them."""
        write_changed(self.session, pieces, self._notice)

    def insert_rows(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert new pieces given as rows of mail_pieces (every column, domain values), in
        one bulk statement and not through the session: a mail merge's thousands cost no
        ORM objects. The caller notes their feed entries (the session does not see them)."""
        if rows:
            bulk_insert(self.session.connection(), tables.mail_pieces, [dict(r) for r in rows])

    def batch(self, account_id: str, batch_id: str) -> Batch | None:
        """One of the account's batches."""
        batch = self.session.get(Batch, batch_id)
        return batch if batch is not None and batch.account_id == account_id else None

    def batch_by_id(self, batch_id: str) -> Batch | None:
        """A batch whatever its account (for the pipeline, never for a caller)."""
        return self.session.get(Batch, batch_id)

    def batches(
        self,
        account_id: str,
        *,
        created_from: datetime,
        created_to: datetime,
        name: str | None = None,
        state: BatchState | None = None,
        limit: int = 1000,
    ) -> Sequence[Batch]:
        """The account's batches created in [created_from, created_to), newest first."""
        t = tables.batches
        stmt = select(Batch).where(
            t.c.account_id == account_id,
            t.c.created_at >= created_from,
            t.c.created_at < created_to,
        )
        if name is not None:
            stmt = stmt.where(t.c.name == name)
        if state is not None:
            stmt = stmt.where(t.c.state == state)
        stmt = stmt.order_by(t.c.created_at.desc(), t.c.id.desc()).limit(limit)
        return self.session.scalars(stmt).all()

    def documents_of_batch(self, batch_id: str) -> Sequence[Document]:
        """The batch's documents, in upload order."""
        t = tables.documents
        stmt = select(Document).where(t.c.batch_id == batch_id).order_by(t.c.created_at, t.c.id)
        return self.session.scalars(stmt).all()

    def pieces_of_batch(
        self,
        batch_id: str,
        *,
        after: tuple[str, int] | tuple[str, int, str] | None,
        limit: int,
    ) -> Sequence[MailPiece]:
        """The batch's pieces in file order, after a (document id, first page) cursor, or a
        (document id, first page, piece id) one where pieces share their pages (a mail
        merge: see `batch_order_key`); a piece with no document yet sorts by its own id."""
        t = tables.mail_pieces
        key = func.coalesce(t.c.document_id, t.c.id)
        stmt = select(MailPiece).where(t.c.batch_id == batch_id)
        order = (key, t.c.first_page, t.c.id)
        if after is None:
            return self.session.scalars(stmt.order_by(*order).limit(limit)).all()
        # The pieces after the cursor in up to three ranges, the first two read from
        # ix_mail_pieces_batch_order (one condition with OR was sorted again from the
        # batch's start for every page: quadratic for a merge of 100,000): the same
        # document and first page, later ids; the same document, later pages; then later
        # documents (and pieces without one, by their own id), once a document is done.
        document_id, first_page = after[0], after[1]
        same = t.c.document_id == document_id
        # Each range in the index's own order (the document is fixed in the first two).
        ranges: list[tuple[Any, tuple[Any, ...]]] = [
            (and_(same, t.c.first_page > first_page), (t.c.first_page, t.c.id)),
            (key > document_id, order),
        ]
        if len(after) == 3:
            later_ids = and_(same, t.c.first_page == first_page, t.c.id > after[2])
            ranges.insert(0, (later_ids, (t.c.id,)))
        found: list[MailPiece] = []
        for later, by in ranges:
            query = stmt.where(later).order_by(*by).limit(limit - len(found))
            found += self.session.scalars(query).all()
            if len(found) == limit:
                break
        return found

    def piece_by_client_reference(self, account_id: str, reference: str) -> MailPiece | None:
        """The account's piece with this sender's reference, if any."""
        t = tables.mail_pieces
        stmt = select(MailPiece).where(
            t.c.account_id == account_id, t.c.client_reference == reference
        )
        return self.session.scalars(stmt).first()

    def pieces_of_batch_by_creation(
        self,
        batch_id: str,
        limit: int,
        *,
        states: Collection[PieceState] | None = None,
        dialect_fields: Mapping[tuple[str, str], str] | None = None,
    ) -> Sequence[MailPiece]:
        """The batch's first `limit` pieces in the order they were created: in `states` when
        given, and whose dialect_fields[dialect][key] equals the value for each (dialect,
        key) of `dialect_fields` (a JSON path the database compares)."""
        t = tables.mail_pieces
        stmt = select(MailPiece).where(t.c.batch_id == batch_id)
        if states is not None:
            stmt = stmt.where(t.c.state.in_(list(states)))
        for path, value in (dialect_fields or {}).items():
            stmt = stmt.where(t.c.dialect_fields[path].as_string() == value)
        stmt = stmt.order_by(t.c.created_at, t.c.id).limit(limit)
        return self.session.scalars(stmt).all()

    def batch_for_update(self, batch_id: str) -> Batch | None:
        """A batch, locked until the transaction ends (PostgreSQL; SQLite locks on write).
        FOR NO KEY UPDATE, as every row lock here: it does not wait for the KEY SHARE locks
        that inserting the batch's pieces takes through their foreign key."""
        return self.session.get(
            Batch, batch_id, with_for_update={"key_share": True}, populate_existing=True
        )

    def piece_state_counts_of_batch(self, batch_id: str) -> dict[PieceState, int]:
        """How many of the batch's pieces are in each state."""
        t = tables.mail_pieces
        rows = self.session.execute(
            select(t.c.state, func.count()).where(t.c.batch_id == batch_id).group_by(t.c.state)
        ).all()
        return {PieceState(state): int(count) for state, count in rows}

    def piece_states_of_batch(self, batch_id: str) -> list[tuple[str, PieceState]]:
        """Every piece of the batch with its state, in creation order."""
        t = tables.mail_pieces
        rows = self.session.execute(
            select(t.c.id, t.c.state)
            .where(t.c.batch_id == batch_id)
            .order_by(t.c.created_at, t.c.id)
        ).all()
        return [(str(i), PieceState(s)) for i, s in rows]

    def pieces_of_document(self, document_id: str) -> Sequence[MailPiece]:
        """The pieces cut from a document, in page order."""
        t = tables.mail_pieces
        stmt = select(MailPiece).where(t.c.document_id == document_id).order_by(t.c.first_page)
        return self.session.scalars(stmt).all()

    def count_pieces_of_batch(self, batch_id: str) -> dict[str, int]:
        """How many of the batch's pieces are eligible, not eligible and not yet assessed."""
        t = tables.mail_pieces
        rows = self.session.execute(
            select(t.c.eligible, func.count())
            .where(t.c.batch_id == batch_id)
            .group_by(t.c.eligible)
        ).all()
        names = {True: "eligible", False: "not_eligible", None: "pending"}
        counts = dict.fromkeys(names.values(), 0)
        for eligible, count in rows:
            counts[names[eligible]] = int(count)
        return counts

    def document(self, account_id: str, document_id: str) -> Document | None:
        """One of the account's documents."""
        doc = self.session.get(Document, document_id)
        return doc if doc is not None and doc.account_id == account_id else None

    def count_large_documents(self, account_id: str, since: datetime, over_bytes: int) -> int:
        """How many of the account's documents over `over_bytes` were added from `since`."""
        t = tables.documents
        return int(
            self.session.execute(
                select(func.count()).where(
                    t.c.account_id == account_id,
                    t.c.created_at >= since,
                    t.c.size_bytes > over_bytes,
                )
            ).scalar_one()
        )

    def document_by_id(self, document_id: str | None) -> Document | None:
        """A document whatever its account (for the pipeline, never for a caller); None
        for a piece that has no document yet."""
        return None if document_id is None else self.session.get(Document, document_id)

    def get(self, account_id: str, piece_id: str) -> MailPiece | None:
        """One of the account's pieces."""
        piece = self.session.get(MailPiece, piece_id)
        return piece if piece is not None and piece.account_id == account_id else None

    def get_by_id(self, piece_id: str) -> MailPiece | None:
        """A piece whatever its account (for the pipeline, never for a caller)."""
        return self.session.get(MailPiece, piece_id)

    def page(
        self,
        account_id: str,
        *,
        state: PieceState | None,
        created_from: datetime | None,
        created_to: datetime | None,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> Sequence[MailPiece]:
        """The account's pieces, newest first, after a (created_at, id) cursor."""
        t = tables.mail_pieces
        stmt = select(MailPiece).where(t.c.account_id == account_id)
        if state is not None:
            stmt = stmt.where(t.c.state == state)
        if created_from is not None:
            stmt = stmt.where(t.c.created_at >= created_from)
        if created_to is not None:
            stmt = stmt.where(t.c.created_at < created_to)
        if after is not None:
            at, last_id = after
            stmt = stmt.where(
                or_(t.c.created_at < at, and_(t.c.created_at == at, t.c.id < last_id))
            )
        stmt = stmt.order_by(t.c.created_at.desc(), t.c.id.desc()).limit(limit)
        return self.session.scalars(stmt).all()

    def ready_for_lot(self, limit: int) -> Sequence[MailPiece]:
        """Accepted pieces not yet in a lot, oldest first, locked against other builders."""
        t = tables.mail_pieces
        stmt = (
            select(MailPiece)
            .where(t.c.state == PieceState.ACCEPTED)
            .order_by(t.c.created_at, t.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True, key_share=True)
        )
        return self.session.scalars(stmt).all()

    def in_lot(self, lot_id: str) -> Sequence[MailPiece]:
        """The pieces of a lot in production order: presorted by country and postal code."""
        t = tables.mail_pieces
        stmt = select(MailPiece).where(t.c.lot_id == lot_id).order_by(t.c.created_at, t.c.id)
        pieces = list(self.session.scalars(stmt).all())
        pieces.sort(key=lambda p: presort_key(p.recipient, p.created_at, p.id))
        return pieces

    def ids_in_state(self, state: PieceState) -> Sequence[str]:
        """Ids of every piece in a state (used to recover work after a crash)."""
        t = tables.mail_pieces
        return self.session.scalars(select(t.c.id).where(t.c.state == state)).all()

    def count_awaiting_check(self) -> int:
        """Closed letters: their check is still to run. A batch's closed pieces (closed one
        by one, as Ekopost's envelopes) are not counted: they wait for their batch's close,
        which accepts them without a check stage."""
        t = tables.mail_pieces
        stmt = (
            select(func.count())
            .select_from(t)
            .where(t.c.state == PieceState.CLOSED, t.c.batch_id.is_(None))
        )
        return int(self.session.scalar(stmt) or 0)


class LotRepository:
    """Production lots."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, lot: Lot) -> None:
        """Stage a new lot for insertion."""
        self.session.add(lot)

    def get(self, lot_id: str) -> Lot | None:
        """The lot with this id."""
        return self.session.get(Lot, lot_id)

    def get_for_update(self, lot_id: str) -> Lot | None:
        """The lot with this id, locked until the transaction ends."""
        return self.session.get(Lot, lot_id, with_for_update={"key_share": True})

    def all(self) -> Sequence[Lot]:
        """Every lot, newest first."""
        t = tables.lots
        return self.session.scalars(select(Lot).order_by(t.c.created_at.desc(), t.c.id)).all()

    # --- lots and feedback -------------------------------------------------------------

    def candidates(
        self, *, produce_by: date, channels: Sequence[str], default_channel: str
    ) -> list[LotCandidate]:
        """Accepted pieces of these lot channels whose output date is at most `produce_by`
        (or unset), with their service's terms; columns only, nothing locked (the plan is
        checked at allocation). A piece without a service goes by `default_channel`."""
        p, s = tables.mail_pieces, tables.services
        stmt = (
            select(
                p.c.id,
                p.c.created_at,
                p.c.options,
                p.c.recipient,
                p.c.sheets,
                p.c.page_count,
                p.c.output_date,
                s.c.id.label("service_id"),
                s.c.channel,
                s.c.immediate,
                s.c.cut_off,
                s.c.timezone,
                s.c.layout,
            )
            .select_from(
                p.outerjoin(s, p.c.service_id == s.c.id).join(
                    tables.accounts, tables.accounts.c.id == p.c.account_id
                )
            )
            .where(p.c.state == PieceState.ACCEPTED)
            # Sandbox letters never reach a printer folder: services/sandbox.py plays them.
            .where(tables.accounts.c.sandbox.is_(False))
            .where(on_channels(s.c.id, s.c.channel, channels, default_channel))
            .where(or_(p.c.output_date.is_(None), p.c.output_date <= produce_by))
            .order_by(p.c.created_at, p.c.id)
        )
        found: list[LotCandidate] = []
        for row in self.session.execute(stmt):
            terms = None
            if row.service_id is not None:
                terms = ServiceTerms(
                    channel=row.channel,
                    immediate=bool(row.immediate),
                    cut_off=row.cut_off,
                    timezone=row.timezone,
                    layout=row.layout or "",
                )
            found.append(
                LotCandidate(
                    piece_id=row.id,
                    created_at=row.created_at,
                    options=row.options,
                    country=row.recipient.country if row.recipient else "",
                    postal_code=row.recipient.postal_code if row.recipient else "",
                    sheets=row.sheets or 0,
                    page_count=row.page_count,
                    output_date=row.output_date,
                    service=terms,
                )
            )
        return found

    def lock_accepted(self, piece_ids: Sequence[str]) -> Sequence[MailPiece]:
        """Those of these pieces still accepted, locked against other builders (skip locked)."""
        t = tables.mail_pieces
        found: list[MailPiece] = []
        for chunk in _chunks(piece_ids):
            stmt = (
                select(MailPiece)
                .where(t.c.id.in_(chunk), t.c.state == PieceState.ACCEPTED)
                .with_for_update(skip_locked=True, key_share=True)
            )
            found.extend(self.session.scalars(stmt).all())
        return found

    def ids_in_state(self, state: LotState) -> Sequence[str]:
        """Ids of the lots in a state, oldest first."""
        t = tables.lots
        stmt = select(t.c.id).where(t.c.state == state).order_by(t.c.created_at, t.c.id)
        return self.session.scalars(stmt).all()

    def compose_message_id(self, lot_id: str) -> int | None:
        """The unfinished outbox message asking to compose this lot, if any."""
        t = tables.outbox
        stmt = select(t.c.id, t.c.payload).where(t.c.actor == "compose_lot", t.c.done_at.is_(None))
        for row in self.session.execute(stmt):
            if row.payload.get("lot_id") == lot_id:
                return int(row.id)
        return None

    def page(
        self, *, state: LotState | None, after: tuple[datetime, str] | None, limit: int
    ) -> Sequence[Lot]:
        """Lots newest first, after a (created_at, id) cursor."""
        t = tables.lots
        stmt = select(Lot)
        if state is not None:
            stmt = stmt.where(t.c.state == state)
        if after is not None:
            at, last_id = after
            stmt = stmt.where(
                or_(t.c.created_at < at, and_(t.c.created_at == at, t.c.id < last_id))
            )
        stmt = stmt.order_by(t.c.created_at.desc(), t.c.id.desc()).limit(limit)
        return self.session.scalars(stmt).all()

    def pieces_by_ids(self, piece_ids: Sequence[str]) -> dict[str, MailPiece]:
        """Many pieces by id in a few queries (feedback files name thousands)."""
        t = tables.mail_pieces
        found: dict[str, MailPiece] = {}
        for chunk in _chunks(sorted(set(piece_ids))):
            for piece in self.session.scalars(select(MailPiece).where(t.c.id.in_(chunk))):
                found[piece.id] = piece
        return found

    def piece_state_counts(self, lot_id: str) -> dict[PieceState, int]:
        """How many of the lot's pieces are in each state."""
        t = tables.mail_pieces
        rows = self.session.execute(
            select(t.c.state, func.count()).where(t.c.lot_id == lot_id).group_by(t.c.state)
        ).all()
        return {PieceState(state): int(count) for state, count in rows}


def _row_of(obj: Document | MailPiece) -> dict[str, Any]:
    """A new mapped object as its table's row, in domain values (the column types convert
    them); a versioned row starts at version 1, as the session would write it."""
    mapper = inspect(type(obj))
    version = mapper.version_id_col
    return {
        prop.columns[0].key: 1 if prop.columns[0] is version else getattr(obj, prop.key)
        for prop in mapper.column_attrs
    }


def _chunks(ids: Sequence[str], size: int = 900) -> list[Sequence[str]]:
    """Id lists cut to stay under every database's bound-parameter limit."""
    return [ids[i : i + size] for i in range(0, len(ids), size)]


class OutboxRepository:
    """Next-stage messages: written with the state change, relayed, then marked done."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, actor: str, payload: dict[str, Any], now: datetime) -> None:
        """Ask for a stage to run once this transaction commits."""
        self.session.execute(
            tables.outbox.insert().values(
                actor=actor, payload=payload, created_at=now, publish_count=0
            )
        )

    def add_many(self, actor: str, payloads: Sequence[dict[str, Any]], now: datetime) -> None:
        """Ask for one stage per payload, in one statement."""
        if payloads:
            self.session.execute(
                tables.outbox.insert(),
                [
                    {"actor": actor, "payload": p, "created_at": now, "publish_count": 0}
                    for p in payloads
                ],
            )

    def claim(
        self, *, now: datetime, redeliver_before: datetime, limit: int
    ) -> list[OutboxMessage]:
        """Messages never published, or published long ago and still not done; locked."""
        t = tables.outbox
        stmt = (
            select(t.c.id, t.c.actor, t.c.payload)
            .where(t.c.done_at.is_(None))
            .where(or_(t.c.published_at.is_(None), t.c.published_at < redeliver_before))
            .order_by(t.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True, key_share=True)
        )
        rows = self.session.execute(stmt).all()
        return [OutboxMessage(id=r.id, actor=r.actor, payload=r.payload) for r in rows]

    def mark_published(self, ids: Sequence[int], now: datetime) -> None:
        """Record that these messages reached the broker."""
        if ids:
            t = tables.outbox
            self.session.execute(
                update(t)
                .where(t.c.id.in_(ids))
                .values(published_at=now, publish_count=t.c.publish_count + 1)
            )

    def mark_done(self, message_id: int, now: datetime) -> None:
        """Record that the stage a message asked for has run."""
        t = tables.outbox
        self.session.execute(update(t).where(t.c.id == message_id).values(done_at=now))

    def republish_all_pending(self) -> int:
        """Forget that pending messages were published (their broker was in memory and is gone)."""
        t = tables.outbox
        result = self.session.execute(
            update(t).where(t.c.done_at.is_(None)).values(published_at=None)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def pending_count(self) -> int:
        """How many messages wait to be published or finished."""
        t = tables.outbox
        rows = self.session.execute(select(t.c.id).where(t.c.done_at.is_(None))).all()
        return len(rows)


class StageRepository:
    """Which (subject, stage) pairs have run."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def has_run(self, subject_id: str, stage: str) -> bool:
        """True when this stage already ran for this subject."""
        t = tables.stage_runs
        stmt = select(t.c.subject_id).where(t.c.subject_id == subject_id, t.c.stage == stage)
        return self.session.execute(stmt).first() is not None

    def record(self, subject_id: str, stage: str, now: datetime) -> None:
        """Note that the stage ran (in the same transaction as its effects)."""
        self.session.execute(
            tables.stage_runs.insert().values(subject_id=subject_id, stage=stage, finished_at=now)
        )

    def claim(self, subject_id: str, stage: str, now: datetime) -> bool:
        """Note that the stage runs, in this transaction, unless it has already run: then
        False, and nothing written (has_run and record in one statement)."""
        t = tables.stage_runs
        stmt = (
            insert_or_skip(self.session.connection(), t)
            .values(subject_id=subject_id, stage=stage, finished_at=now)
            .returning(t.c.subject_id)  # PostgreSQL's driver may not know the row count
        )
        return self.session.execute(stmt).first() is not None


class EmailAttemptRepository:
    """Each SMTP attempt of an email letter, oldest first."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, attempt: EmailAttempt) -> None:
        """Keep one attempt (in the transaction of what came of it)."""
        self.session.execute(
            tables.email_attempts.insert().values(
                piece_id=attempt.piece_id,
                attempted_at=attempt.attempted_at,
                outcome=attempt.outcome,
                answer=attempt.answer[:1000],
                server=attempt.server[:300],
            )
        )

    def redact(self, piece_ids: Sequence[str]) -> None:
        """Retention: the pieces' attempts lose the server's answers (which can quote the
        recipient's address); when, where and what came of each stay."""
        if piece_ids:
            t = tables.email_attempts
            self.session.execute(t.update().where(t.c.piece_id.in_(piece_ids)).values(answer=""))

    def of_piece(self, piece_id: str, *, limit: int) -> list[EmailAttempt]:
        """The piece's first `limit` attempts, in the order they were made."""
        t = tables.email_attempts
        rows = self.session.execute(
            select(t)
            .where(t.c.piece_id == piece_id)
            .order_by(t.c.attempted_at, t.c.id)
            .limit(limit)
        ).all()
        return [
            EmailAttempt(r.piece_id, r.attempted_at, r.outcome, r.answer, r.server) for r in rows
        ]


class IdempotencyRepository:
    """Idempotency-Key records, one per (account, key)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, account_id: str, key: str) -> IdempotencyRecord | None:
        """The record for this key, if any."""
        t = tables.idempotency_keys
        row = self.session.execute(
            select(t).where(t.c.account_id == account_id, t.c.key == key)
        ).first()
        if row is None:
            return None
        return IdempotencyRecord(
            fingerprint=row.fingerprint,
            status_code=row.status_code,
            response_body=row.response_body,
            created_at=row.created_at,
            locked_until=row.locked_until,
        )

    def try_insert(
        self, account_id: str, key: str, fingerprint: str, now: datetime, locked_until: datetime
    ) -> bool:
        """Claim the key; False when another request holds it already."""
        t = tables.idempotency_keys
        try:
            with self.session.begin_nested():
                self.session.execute(
                    t.insert().values(
                        account_id=account_id,
                        key=key,
                        fingerprint=fingerprint,
                        created_at=now,
                        locked_until=locked_until,
                    )
                )
        except IntegrityError:
            return False
        return True

    def complete(self, account_id: str, key: str, status_code: int, body: Any) -> None:
        """Store the answer to replay for this key."""
        t = tables.idempotency_keys
        self.session.execute(
            update(t)
            .where(t.c.account_id == account_id, t.c.key == key)
            .values(status_code=status_code, response_body=body, locked_until=None)
        )

    def remove(self, account_id: str, key: str) -> None:
        """Forget the key (its request failed without an answer worth replaying, or expired)."""
        t = tables.idempotency_keys
        self.session.execute(delete(t).where(t.c.account_id == account_id, t.c.key == key))


# --- catalog and charges ------------------------------------------------------------------


class CatalogRepository:
    """Services, option types and options per environment; charges and the credit they use."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, obj: Service | OptionType | Option | Charge) -> None:
        """Stage a new object for insertion."""
        self.session.add(obj)

    def add_charges(self, account_id: str, amounts: Mapping[str, int], now: datetime) -> None:
        """Charge each piece its amount (piece id -> minor units), not through the session
        (a batch's close charges 1,000 pieces a page: a Charge object each cost more than
        the insert): one bulk insert for a page, one INSERT for a letter's single charge
        (as the session wrote it; a COPY would cost PostgreSQL a round trip more)."""
        rows = [
            {"id": new_id(), "account_id": account_id, "piece_id": piece_id,
             "amount_minor": amount, "created_at": now}
            for piece_id, amount in amounts.items()
        ]  # fmt: skip
        if len(rows) > 1:
            bulk_insert(self.session.connection(), tables.charges, rows)
        elif rows:
            self.session.execute(insert(tables.charges), rows)

    def services(self, environment: Environment, account_id: str) -> Sequence[Service]:
        """The environment's shared services and the account's own, by code."""
        t = tables.services
        stmt = (
            select(Service)
            .where(t.c.environment == str(environment))
            .where(or_(t.c.account_id.is_(None), t.c.account_id == account_id))
            .order_by(t.c.code, t.c.created_at, t.c.id)
        )
        return self.session.scalars(stmt).all()

    def service(self, service_id: str) -> Service | None:
        """The service with this id, whoever may use it."""
        return self.session.get(Service, service_id)

    def service_by_code(
        self, environment: Environment, code: str, account_id: str
    ) -> Service | None:
        """The account's own service with this code, else the environment's shared one."""
        t = tables.services
        stmt = (
            select(Service)
            .where(t.c.environment == str(environment), t.c.code == code)
            .where(or_(t.c.account_id.is_(None), t.c.account_id == account_id))
            .order_by(t.c.account_id.is_(None), t.c.created_at, t.c.id)
        )
        return self.session.scalars(stmt).first()

    def services_named(
        self, environment: Environment, ref: str, account_id: str
    ) -> Sequence[Service]:
        """In one query, the service whose id is `ref` (whatever its environment and owner)
        and the environment's services the account may use whose code is `ref`."""
        t = tables.services
        by_code = and_(
            t.c.environment == str(environment),
            t.c.code == ref,
            or_(t.c.account_id.is_(None), t.c.account_id == account_id),
        )
        return self.session.scalars(select(Service).where(or_(t.c.id == ref, by_code))).all()

    def option_types(self, environment: Environment) -> Sequence[OptionType]:
        """The environment's option types, by code."""
        t = tables.option_types
        stmt = select(OptionType).where(t.c.environment == str(environment)).order_by(t.c.code)
        return self.session.scalars(stmt).all()

    def options(self, environment: Environment) -> Sequence[Option]:
        """The environment's options, by type and code."""
        t = tables.options
        stmt = (
            select(Option)
            .where(t.c.environment == str(environment))
            .order_by(t.c.type_code, t.c.code)
        )
        return self.session.scalars(stmt).all()

    def add_if_missing(self, obj: OptionType | Option) -> bool:
        """Insert a catalog row unless a concurrent start inserted its (environment, code)."""
        try:
            with self.session.begin_nested():
                self.session.add(obj)
        except IntegrityError:
            return False
        return True

    def lock_account(self, account_id: str) -> Account | None:
        """The account, locked until the transaction ends (credit is checked, then spent)."""
        # FOR NO KEY UPDATE: the rows that refer to the account (charges, feed rows) take KEY
        # SHARE locks on it as they are inserted; a plain FOR UPDATE would deadlock with them.
        return self.session.get(
            Account, account_id, with_for_update={"key_share": True}, populate_existing=True
        )

    def charged_since(self, account_id: str, since: datetime) -> int:
        """What the account was charged from `since` on, in minor units."""
        t = tables.charges
        total = self.session.scalar(
            select(func.coalesce(func.sum(t.c.amount_minor), 0)).where(
                t.c.account_id == account_id, t.c.created_at >= since
            )
        )
        return int(total or 0)

    def charged_piece_ids(self, piece_ids: Sequence[str]) -> set[str]:
        """Which of these pieces already have a charge."""
        t = tables.charges
        found: set[str] = set()
        for start in range(0, len(piece_ids), 500):
            chunk = list(piece_ids[start : start + 500])
            found.update(self.session.scalars(select(t.c.piece_id).where(t.c.piece_id.in_(chunk))))
        return found
