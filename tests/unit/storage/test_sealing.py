"""Sealed secrets (ADR 0017): a sealed value names its key, opens only with that key and in
its own place, and any change to it is detected."""

from __future__ import annotations

import base64
import re

import pytest

from postroom.domain.webhooks import new_secret
from postroom.storage.sealing import (
    SEALED_PREFIX,
    BrokenSeal,
    Sealer,
    SealingKey,
    UnknownSealingKey,
    is_sealed,
    key_id_of,
)

OLD_KEY = "old-secret-key-of-at-least-32-characters"
NEW_KEY = "new-secret-key-of-at-least-32-characters"
HERE = "webhook_endpoints.secrets:ep_1"
TOKEN = re.compile(r"^sealed:v1:([0-9a-f]{8}):([A-Za-z0-9_-]+=*)$")


def test_a_sealed_secret_names_its_key_and_opens_again() -> None:
    secret = new_secret()
    sealer = Sealer(OLD_KEY)
    token = sealer.seal(secret, context=HERE)

    match = TOKEN.match(token)
    assert match is not None, token
    assert match.group(1) == key_id_of(token) == SealingKey.derive(OLD_KEY).id
    assert is_sealed(token) and not is_sealed(secret)
    assert sealer.unseal(token, context=HERE) == secret


def test_nothing_of_the_secret_shows_in_its_sealed_form() -> None:
    secret = new_secret()
    body = secret.removeprefix("whsec_")
    raw = base64.b64decode(body)
    token = Sealer(OLD_KEY).seal(secret, context=HERE)
    for form in (secret, body, body[:12], raw.hex(), "whsec_"):
        assert form not in token
    assert raw not in base64.urlsafe_b64decode(TOKEN.match(token).group(2))  # type: ignore[union-attr]


def test_the_same_secret_seals_differently_each_time() -> None:
    sealer = Sealer(OLD_KEY)
    secret = new_secret()
    assert sealer.seal(secret, context=HERE) != sealer.seal(secret, context=HERE)


def test_another_key_is_refused_naming_the_setting_and_both_key_ids() -> None:
    token = Sealer(OLD_KEY).seal(new_secret(), context=HERE)
    wrong = Sealer(NEW_KEY)
    with pytest.raises(UnknownSealingKey) as refused:
        wrong.unseal(token, context=HERE)
    message = str(refused.value)
    assert "POSTROOM_SECRET_KEY" in message
    assert key_id_of(token) in message and wrong.current.id in message
    assert refused.value.key_id == key_id_of(token)


def test_key_ids_are_stable_per_key_and_differ_between_keys() -> None:
    assert SealingKey.derive(OLD_KEY).id == SealingKey.derive(OLD_KEY).id
    assert SealingKey.derive(OLD_KEY).id != SealingKey.derive(NEW_KEY).id
    assert OLD_KEY not in repr(SealingKey.derive(OLD_KEY))
    with pytest.raises(ValueError):
        SealingKey.derive("")


def flip(token: str, at: int) -> str:
    """The token with one character of its body changed to another base64 character."""
    char = token[at]
    return token[:at] + ("A" if char != "A" else "B") + token[at + 1 :]


@pytest.mark.parametrize("where", ["nonce", "ciphertext", "tag"])
def test_a_changed_byte_anywhere_is_detected(where: str) -> None:
    token = Sealer(OLD_KEY).seal(new_secret(), context=HERE)
    body_start = len(SEALED_PREFIX) + 9
    at = {"nonce": body_start + 2, "ciphertext": body_start + 24, "tag": len(token) - 4}[where]
    with pytest.raises(BrokenSeal):
        Sealer(OLD_KEY).unseal(flip(token, at), context=HERE)


def test_a_token_moved_to_another_place_or_cut_short_does_not_open() -> None:
    sealer = Sealer(OLD_KEY)
    token = sealer.seal(new_secret(), context=HERE)
    with pytest.raises(BrokenSeal):
        sealer.unseal(token, context="webhook_endpoints.secrets:ep_2")
    with pytest.raises(BrokenSeal):
        sealer.unseal(token[: len(SEALED_PREFIX) + 9 + 8], context=HERE)
    with pytest.raises(BrokenSeal):
        sealer.unseal(f"{SEALED_PREFIX}{key_id_of(token)}:not*base64!", context=HERE)
    with pytest.raises(BrokenSeal):
        sealer.unseal(new_secret(), context=HERE)  # clear, never taken as sealed
    with pytest.raises(BrokenSeal):
        key_id_of("sealed:v1:short:abc")


def test_previous_keys_open_what_they_sealed_and_only_the_current_one_seals() -> None:
    secret = new_secret()
    old_token = Sealer(OLD_KEY).seal(secret, context=HERE)
    ring = Sealer(NEW_KEY, [OLD_KEY])
    assert ring.unseal(old_token, context=HERE) == secret
    assert key_id_of(ring.seal(secret, context=HERE)) == SealingKey.derive(NEW_KEY).id
    assert list(ring.keys) == [SealingKey.derive(NEW_KEY).id, SealingKey.derive(OLD_KEY).id]


def test_reseal_moves_a_secret_to_the_new_key() -> None:
    secret = new_secret()
    old = Sealer(OLD_KEY)
    new = Sealer(NEW_KEY)
    moved = old.reseal(old.seal(secret, context=HERE), new, context=HERE)
    assert key_id_of(moved) == new.current.id
    assert new.unseal(moved, context=HERE) == secret
    with pytest.raises(UnknownSealingKey):
        old.unseal(moved, context=HERE)
