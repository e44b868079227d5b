"""An unknown username costs the same argon2 work as a wrong password (issue 20: usernames
leaked by timing, 0.004 s against 0.17-0.41 s)."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from postroom.domain.errors import Unauthenticated
from postroom.services import accounts
from tests.unit.services.world import World


@pytest.fixture
def verifications(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each argon2 verification the code makes (the real one runs; this only counts it)."""
    seen: list[str] = []
    real = PasswordHasher.verify

    def counted(self: PasswordHasher, hash: str | bytes, password: str | bytes) -> bool:
        seen.append(str(password))
        return real(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counted)
    return seen


def test_an_unknown_user_costs_one_verification_as_a_wrong_password_does(
    world: World, verifications: list[str]
) -> None:
    accounts.create_account(
        uow=world.container.uow(),
        clock=world.clock,
        name="Globex",
        username="clerk",
        password="correct horse battery",
    )
    for username, password in (("clerk", "wrong"), ("nobody", "wrong too")):
        with pytest.raises(Unauthenticated, match="wrong username or password"):
            accounts.authenticate_password(
                uow=world.container.uow(), username=username, password=password
            )
    assert verifications == ["wrong", "wrong too"]
    principal = accounts.authenticate_password(
        uow=world.container.uow(), username="clerk", password="correct horse battery"
    )
    assert principal.user_id is not None
