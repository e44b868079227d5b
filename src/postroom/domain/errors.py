"""The small hierarchy of domain errors; every mount point maps `code` to its own error form."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every error a caller can act on; `code` is stable, `message` is for people."""

    code = "domain_error"

    def __init__(self, message: str, *, detail: Any = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail
        if code is not None:
            self.code = code


class NotFound(DomainError):
    """The object does not exist, or belongs to another account (we never say which)."""

    code = "not_found"


class InvalidInput(DomainError):
    """The request is well-formed but its content is not acceptable."""

    code = "invalid_input"


class InvalidDocument(InvalidInput):
    """The uploaded file is not a document we can produce."""

    code = "invalid_document"


class DocumentTooLarge(InvalidInput):
    """The uploaded file is over a configured size or page limit."""

    code = "document_too_large"


class Unauthenticated(DomainError):
    """No credentials, or credentials that match nothing active."""

    code = "unauthenticated"


class ContentRemoved(DomainError):
    """The record is kept, but retention removed the content asked for."""

    code = "content_removed"


class Conflict(DomainError):
    """The object's current state does not allow the operation."""

    code = "conflict"


class IllegalTransition(Conflict):
    """A state change not in the transition table."""

    code = "illegal_transition"


class IdempotencyConflict(Conflict):
    """The first request with this Idempotency-Key is still running."""

    code = "idempotency_in_progress"


class IdempotencyMismatch(InvalidInput):
    """The Idempotency-Key was used before with another request body."""

    code = "idempotency_key_reused"


class RetryableError(Exception):
    """A failure that may pass on a later attempt (busy database, unreachable broker)."""
