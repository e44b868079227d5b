"""Secrets in and out: argon2id for passwords, SHA-256 for random keys and tokens."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# argon2-cffi's defaults are argon2id with RFC 9106's low-memory profile.
_hasher = PasswordHasher()

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


def hash_secret(secret: str) -> str:
    """Hash of a random key or token; it has 256 bits of entropy, so no slow hash is needed."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_api_key() -> str:
    """A fresh API key: a recognisable prefix and 256 random bits."""
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def new_session_token() -> str:
    """A fresh session token."""
    return secrets.token_urlsafe(32)
