"""Maps the pure domain classes onto the tables (classical mapping: the domain knows no ORM)."""

from __future__ import annotations

import threading

from sqlalchemy.orm import registry

from postroom.domain.catalog import Charge, Option, OptionType, Service
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
)
from postroom.domain.tracking import Proof, Shipment
from postroom.storage import tables

mapper_registry = registry(metadata=tables.metadata)
_lock = threading.Lock()
_started = False


def start_mappers() -> None:
    """Map every domain class once per process; later calls do nothing."""
    global _started
    with _lock:
        if _started:
            return
        mapper_registry.map_imperatively(Account, tables.accounts)
        mapper_registry.map_imperatively(User, tables.users)
        mapper_registry.map_imperatively(ApiKey, tables.api_keys)
        mapper_registry.map_imperatively(SessionToken, tables.session_tokens)
        mapper_registry.map_imperatively(Shop, tables.shops)
        mapper_registry.map_imperatively(Service, tables.services)
        mapper_registry.map_imperatively(OptionType, tables.option_types)
        mapper_registry.map_imperatively(Option, tables.options)
        mapper_registry.map_imperatively(Charge, tables.charges)
        mapper_registry.map_imperatively(Batch, tables.batches)
        mapper_registry.map_imperatively(Document, tables.documents)
        mapper_registry.map_imperatively(Lot, tables.lots, version_id_col=tables.lots.c.version)
        mapper_registry.map_imperatively(
            MailPiece, tables.mail_pieces, version_id_col=tables.mail_pieces.c.version
        )
        mapper_registry.map_imperatively(
            Shipment, tables.shipments, version_id_col=tables.shipments.c.version
        )
        mapper_registry.map_imperatively(Proof, tables.proofs)
        _started = True
