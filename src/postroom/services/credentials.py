"""Secrets in and out: argon2id for passwords, SHA-256 for random keys and tokens."""

from __future__ import annotations

import hashlib
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# argon2-cffi's defaults are argon2id with RFC 9106's low-memory profile; "fast" is the
# least argon2 allows (one pass over 8 KiB), for test suites (Settings.password_hashing).
_HASHERS = {
    "standard": PasswordHasher(),
    "fast": PasswordHasher(time_cost=1, memory_cost=8, parallelism=1),
}
_hasher = _HASHERS["standard"]


def use_password_hashing(profile: str) -> None:
    """Hash new passwords, and check unknown usernames, at this cost from now on (the
    process's setting, applied by build_container)."""
    global _hasher
    if _HASHERS[profile] is not _hasher:
        _hasher = _HASHERS[profile]
        _stand_in_hash.cache_clear()  # an unknown name costs what a known one costs


API_KEY_PREFIX = "pr_"
PREFIX_SHOWN = 12  # characters of a key kept in clear so people can tell keys apart


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when the password matches the hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _stand_in_hash() -> str:
    """A hash of a random password, made once: what an unknown username is checked against."""
    return _hasher.hash(secrets.token_urlsafe(32))


def verify_user_password(password_hash: str | None, password: str) -> bool:
    """verify_password for a user who may not exist (password_hash None): an unknown username
    costs the same argon2 verification as a wrong password, so the answer's timing does not
    tell which usernames exist (issue 20: 0.004 s against 0.17-0.41 s)."""
    if password_hash is None:
        verify_password(_stand_in_hash(), password)
        return False
    return verify_password(password_hash, password)


def hash_secret(secret: str) -> str:
    """Hash of a random key or token; it has 256 bits of entropy, so no slow hash is needed."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_api_key() -> str:
    """A fresh API key: a recognisable prefix and 256 random bits."""
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def new_session_token() -> str:
    """A fresh session token."""
    return secrets.token_urlsafe(32)
