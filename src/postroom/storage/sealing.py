"""Secrets sealed at rest (ADR 0017): AES-256-GCM under a key derived from POSTROOM_SECRET_KEY
by HKDF-SHA256, each value stored as `sealed:v1:<key id>:<base64url of nonce + ciphertext>`.

The key id names the key that sealed a value, so a process holding other keys says which one
it lacks, and a rotation knows what it still has to re-seal. The ciphertext is bound to where
it is kept (the `context`): a sealed value copied into another row does not open there.
cryptography is imported on first use: admin commands that never open a secret do not pay
for it (docs/benchmarks.md, "CLI start-up")."""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from postroom.domain.errors import Misconfigured

SEALED_PREFIX = "sealed:v1:"
NONCE_BYTES = 12  # AES-GCM's standard nonce; random per value
KEY_ID_BYTES = 4  # 8 hex digits: tells keys apart, says nothing about them
_KEY_INFO = b"postroom sealed secrets v1: AES-256-GCM key"
_KEY_ID_INFO = b"postroom sealed secrets v1: key id"


class SealingError(Misconfigured, ValueError):
    """A sealed value this process cannot open (a ValueError: the ways in, which may not
    import storage, catch it as one; Misconfigured: the API answers it 503, not 500)."""


class UnknownSealingKey(SealingError):
    """The value was sealed with a key this process does not hold."""

    def __init__(self, key_id: str, known: Sequence[str]) -> None:
        super().__init__(
            f"a secret was sealed with key id {key_id}, and this process holds key id(s) "
            f"{', '.join(known)} only: POSTROOM_SECRET_KEY is not the key that sealed it "
            "(or add that key to POSTROOM_PREVIOUS_SECRET_KEYS)"
        )
        self.key_id = key_id


class BrokenSeal(SealingError):
    """The value is not a sealed value, or it was altered or moved since it was sealed."""


def _hkdf(secret_key: str, info: bytes, length: int) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(
        secret_key.encode("utf-8")
    )


@dataclass(frozen=True, repr=False)
class SealingKey:
    """One key derived from a secret key setting: its id and the AES key (never printed)."""

    id: str
    material: bytes

    @classmethod
    def derive(cls, secret_key: str) -> SealingKey:
        """The sealing key of a POSTROOM_SECRET_KEY value."""
        if not secret_key:
            raise ValueError("a sealing key cannot be derived from an empty secret key")
        key_id = _hkdf(secret_key, _KEY_ID_INFO, KEY_ID_BYTES).hex()
        return cls(id=key_id, material=_hkdf(secret_key, _KEY_INFO, 32))

    def __repr__(self) -> str:
        return f"SealingKey(id={self.id!r})"


def is_sealed(value: str) -> bool:
    """True for a value in the sealed form (whatever key sealed it)."""
    return value.startswith(SEALED_PREFIX)


def key_id_of(token: str) -> str:
    """The id of the key that sealed `token`; BrokenSeal if it is not a sealed value."""
    if not is_sealed(token):
        raise BrokenSeal("not a sealed value")
    key_id, sep, _ = token[len(SEALED_PREFIX) :].partition(":")
    if not sep or len(key_id) != 2 * KEY_ID_BYTES:
        raise BrokenSeal("a sealed value without a key id")
    return key_id


class Sealer:
    """Seals with the current key; opens what the current or a previous key sealed."""

    def __init__(self, current: str, previous: Sequence[str] = ()) -> None:
        self._secret_keys = (current, *previous)

    @cached_property
    def keys(self) -> dict[str, SealingKey]:
        """Every key held, by id, the current one first."""
        derived = [SealingKey.derive(k) for k in self._secret_keys]
        return {k.id: k for k in derived}

    @property
    def current(self) -> SealingKey:
        """The key new values are sealed with."""
        return next(iter(self.keys.values()))

    def seal(self, clear: str, *, context: str) -> str:
        """`clear` sealed with the current key, bound to `context` (where it is kept)."""
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        key = self.current
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = AESGCM(key.material).encrypt(nonce, clear.encode("utf-8"), context.encode())
        body = base64.urlsafe_b64encode(nonce + sealed).decode("ascii")
        return f"{SEALED_PREFIX}{key.id}:{body}"

    def unseal(self, token: str, *, context: str) -> str:
        """The clear value of a sealed one; UnknownSealingKey when no key held sealed it,
        BrokenSeal when it was altered, truncated or sealed for another context."""
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        key_id = key_id_of(token)
        key = self.keys.get(key_id)
        if key is None:
            raise UnknownSealingKey(key_id, list(self.keys))
        body = token[len(SEALED_PREFIX) + len(key_id) + 1 :]
        try:
            raw = base64.urlsafe_b64decode(body.encode("ascii"))
        except (binascii.Error, UnicodeEncodeError) as exc:
            raise BrokenSeal(f"a sealed value (key id {key_id}) is not base64") from exc
        if len(raw) <= NONCE_BYTES:
            raise BrokenSeal(f"a sealed value (key id {key_id}) is truncated")
        try:
            clear = AESGCM(key.material).decrypt(
                raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode()
            )
        except InvalidTag as exc:
            raise BrokenSeal(
                f"a sealed value (key id {key_id}) was altered, or belongs elsewhere"
            ) from exc
        return clear.decode("utf-8")

    def reseal(self, token: str, target: Sealer, *, context: str) -> str:
        """`token` opened with this sealer's keys and sealed again with target's current key."""
        return target.seal(self.unseal(token, context=context), context=context)
