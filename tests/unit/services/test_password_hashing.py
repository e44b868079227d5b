"""The two password-hashing costs (Settings.password_hashing): each checks the other's
hashes (a hash carries its parameters), the fast one is the least argon2id allows, and an
unknown username costs what the current profile costs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from postroom.services import credentials


@pytest.fixture(autouse=True)
def _standard_again() -> Iterator[None]:
    yield
    credentials.use_password_hashing("standard")


def test_each_profile_checks_the_other_s_hashes() -> None:
    credentials.use_password_hashing("fast")
    fast = credentials.hash_password("s3cret-password")
    credentials.use_password_hashing("standard")
    standard = credentials.hash_password("s3cret-password")
    assert fast.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert standard.startswith("$argon2id$v=19$m=65536,t=3,p=4$")  # RFC 9106 low-memory
    for profile in ("fast", "standard"):
        credentials.use_password_hashing(profile)
        assert credentials.verify_password(fast, "s3cret-password")
        assert credentials.verify_password(standard, "s3cret-password")
        assert not credentials.verify_password(fast, "wrong")


def test_an_unknown_name_is_checked_against_a_hash_of_the_current_cost() -> None:
    credentials.use_password_hashing("fast")
    assert not credentials.verify_user_password(None, "anything")
    assert credentials._stand_in_hash().startswith("$argon2id$v=19$m=8,t=1,p=1$")
    credentials.use_password_hashing("standard")
    assert credentials._stand_in_hash().startswith("$argon2id$v=19$m=65536,t=3,p=4$")
