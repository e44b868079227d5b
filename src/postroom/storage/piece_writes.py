"""Writing many changed pieces at once: what a batch's close changes on each of its pieces,
as one UPDATE per set of changed columns executed for the whole page (executemany)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import bindparam, inspect, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.base import NO_VALUE

from postroom.domain.errors import RetryableError
from postroom.domain.model import MailPiece
from postroom.storage import tables

# The session's flush writes a piece, whose rows carry a version (optimistic locking), with
# a statement of its own: SQLAlchemy batches no UPDATE that checks a version. For the close
# of a mail merge's 100,000 pieces that was most of its time (docs/benchmarks.md).
_VERSION = "version"


def write_changed(
    session: Session,
    pieces: Sequence[MailPiece],
    notice: Callable[[Sequence[MailPiece]], None],
) -> None:
    """Write what changed on `pieces` (persistent objects of `session`), each row checked
    against the version it was read with as the flush checks it (RetryableError when
    another transaction changed one since), then drop them from the session. `notice`
    first notes their state changes, as a flush does before it writes."""
    changed = [p for p in pieces if p in session and inspect(p).modified]
    notice(changed)
    table = tables.mail_pieces
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for piece in changed:
        # The attributes set since the piece was read, with the values they had then (what
        # the flush starts from too; cheaper than every attribute's history).
        keys = tuple(
            sorted(
                key
                for key, before in inspect(piece).committed_state.items()
                if key != _VERSION and not _same(before, getattr(piece, key))
            )
        )
        if not keys:
            continue
        row = {f"new_{key}": getattr(piece, key) for key in keys}
        row["_id"], row["_version"] = piece.id, getattr(piece, _VERSION)  # mapped, not domain
        groups.setdefault(keys, []).append(row)
    connection = session.connection()
    for keys, rows in groups.items():
        statement = (
            update(table)
            .where(
                table.c.id == bindparam("_id", type_=table.c.id.type),
                table.c.version == bindparam("_version", type_=table.c.version.type),
            )
            .values(
                {table.c[key]: bindparam(f"new_{key}", type_=table.c[key].type) for key in keys}
                | {table.c.version: table.c.version + 1}
            )
        )
        written = connection.execute(statement, rows).rowcount
        if written != len(rows):
            raise RetryableError("a piece changed under us; try again")
    for piece in changed:
        session.expunge(piece)


def _same(before: Any, now: Any) -> bool:
    """Whether an attribute set since it was read holds what it held then."""
    if before is NO_VALUE:
        return False
    try:
        return bool(before == now)
    except (TypeError, ValueError):
        return False
