"""Nothing secret in the access log: credentials in a query string are redacted.

Keys are refused in the query string (only headers carry them), but uvicorn's access log
writes the full path, so `?api_key=pr_...` put a live key into every log shipper's hands.
A filter on the "uvicorn.access" logger rewrites the path before any handler sees it."""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl, urlencode

ACCESS_LOGGER = "uvicorn.access"
# Query parameters that carry credentials in the APIs we speak or that clients try.
SECRET_PARAMETERS = frozenset(
    {"api_key", "apikey", "key", "token", "access_token", "auth", "password", "secret"}
)
REDACTED = "[redacted]"


def redact_query(path: str) -> str:
    """`path` with the values of credential-carrying query parameters replaced."""
    base, question, query = path.partition("?")
    if not question:
        return path
    pairs = parse_qsl(query, keep_blank_values=True)
    if not any(name.lower() in SECRET_PARAMETERS for name, _ in pairs):
        return path
    cleaned = [(n, REDACTED if n.lower() in SECRET_PARAMETERS else v) for n, v in pairs]
    return f"{base}?{urlencode(cleaned, safe='[]')}"


class RedactSecrets(logging.Filter):
    """Rewrites uvicorn's access record: its args are (client, method, path, version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact_query(args[2]), *args[3:])
        return True


def redact_access_log() -> None:
    """Install the filter once on the access logger (idempotent)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, RedactSecrets) for f in logger.filters):
        logger.addFilter(RedactSecrets())
