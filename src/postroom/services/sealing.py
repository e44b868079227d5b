"""Secrets sealed at rest: move every stored secret to another key (`postroom secrets
rotate`, ADR 0017). The sealing itself is storage's (storage/sealing.py): use cases only
ever see clear secrets, in memory."""

from __future__ import annotations

from dataclasses import dataclass

from postroom.services.ports import UnitOfWork


@dataclass(frozen=True)
class Resealed:
    """What a re-sealing changed: rows and secrets, and how many secrets each key id sealed
    before and after."""

    endpoints: int
    secrets: int
    key_ids_before: dict[str, int]
    key_ids_after: dict[str, int]


def reseal_secrets(*, uow: UnitOfWork, new_key: str) -> Resealed:
    """Open every stored secret with the keys this process holds and seal it again with
    `new_key`, all in one transaction: a failure leaves every secret as it was."""
    if not new_key:
        raise ValueError("the new secret key is empty")
    with uow:
        before = uow.webhooks.sealing_key_ids()
        endpoints, secrets = uow.webhooks.reseal_secrets(new_key)
        after = uow.webhooks.sealing_key_ids()
        uow.commit()
    return Resealed(endpoints, secrets, before, after)
