"""What retention may remove: spent documents, finished pieces, and whether a blob is still
needed by any record."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Tuple, exists, func, literal, or_, select, tuple_
from sqlalchemy.orm import Session

from postroom.domain.model import Document, MailPiece
from postroom.domain.states import CONTENT_SPENT, DocumentState
from postroom.storage import tables
from postroom.storage.tables import ID
from postroom.storage.types import UTCDateTime

_SPENT = sorted(CONTENT_SPENT)
Cursor = tuple[datetime, str]  # (created_at, id) of the last row a chunk looked at


def _cursor(after: Cursor) -> Tuple:
    """The cursor as SQL, its time typed as the column is (stored in UTC without zone)."""
    return tuple_(literal(after[0], UTCDateTime), literal(after[1], ID))


class RetentionRepository:
    """Queries across documents, pieces, services, proofs and lots for retention."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def account_ids(self) -> list[str]:
        """Every account, in id order."""
        return list(self.session.scalars(select(tables.accounts.c.id).order_by("id")))

    def spent_documents(
        self, account_id: str, before: datetime, after: Cursor | None, limit: int
    ) -> Sequence[Document]:
        """Documents uploaded before `before`, not yet redacted, that no piece still needs as
        its main document: every piece cut from them is finished (CONTENT_SPENT) and last
        changed before `before`. Annexes are the caller's to check (live_annex_ids). In
        (created_at, id) order, after the cursor: each document is looked at once a pass."""
        d, p = tables.documents.c, tables.mail_pieces.c
        still_needed = exists().where(
            p.document_id == d.id,
            or_(p.state.not_in(_SPENT), p.updated_at >= before),
        )
        stmt = select(Document).where(
            d.account_id == account_id,
            d.created_at < before,
            d.redacted_at.is_(None),
            d.state != DocumentState.RECEIVED,  # its preflight still has to read it
            ~still_needed,
        )
        if after is not None:
            stmt = stmt.where(tuple_(d.created_at, d.id) > _cursor(after))
        return self.session.scalars(stmt.order_by(d.created_at, d.id).limit(limit)).all()

    def live_annex_ids(self, account_id: str, before: datetime) -> set[str]:
        """The documents that pieces not finished (or changed since `before`) carry as
        annexes."""
        p = tables.mail_pieces.c
        rows = self.session.execute(
            select(p.annexes).where(
                p.account_id == account_id,
                func.json_array_length(p.annexes) > 0,
                or_(p.state.not_in(_SPENT), p.updated_at >= before),
            )
        )
        return {document_id for (annexes,) in rows for document_id in annexes}

    def finished_pieces(
        self, account_id: str, before: datetime, after: Cursor | None, limit: int
    ) -> Sequence[MailPiece]:
        """Pieces finished (CONTENT_SPENT) whose last change is older than `before` and whose
        personal details are still there, in (created_at, id) order after the cursor: the
        account's index is walked once a pass, however many pieces there are."""
        p = tables.mail_pieces.c
        stmt = select(MailPiece).where(
            p.account_id == account_id,
            p.created_at < before,
            p.state.in_(_SPENT),
            p.updated_at < before,
            p.redacted_at.is_(None),
        )
        if after is not None:
            stmt = stmt.where(tuple_(p.created_at, p.id) > _cursor(after))
        return self.session.scalars(stmt.order_by(p.created_at, p.id).limit(limit)).all()

    def blob_in_use(self, sha256: str) -> bool:
        """True when a record of any account still needs the blob: a document not redacted
        (as uploaded or as printed), a proof not redacted, a lot's deposit proof, or a
        service's configured page."""
        d, pr, lot = tables.documents.c, tables.proofs.c, tables.lots.c
        checks = [
            select(d.id).where(
                or_(d.blob_sha256 == sha256, d.print_sha256 == sha256), d.redacted_at.is_(None)
            ),
            select(pr.id).where(pr.blob_sha256 == sha256, pr.redacted_at.is_(None)),
            select(lot.id).where(lot.deposit_proof_sha256 == sha256),
        ]
        if any(self.session.execute(query.limit(1)).first() is not None for query in checks):
            return True
        boxes = self.session.scalars(select(tables.services.c.boxes))
        return any(box.get("blob_sha256") == sha256 for service in boxes for box in service)
