"""What a grep of the database finds: the forms a webhook secret could be stored in, and the
database's bytes (the SQLite files, or every PostgreSQL row as text)."""

from __future__ import annotations

import base64
from pathlib import Path

from sqlalchemy import Engine, text

from postroom.storage import tables


def grep_forms(secret: str) -> dict[str, bytes]:
    """Every form a secret could be found in: as shown, its base64 body (whole and a part),
    the raw bytes, their hex, and their URL-safe base64."""
    body = secret.removeprefix("whsec_")
    raw = base64.b64decode(body)
    return {
        "secret": secret.encode(),
        "base64 body": body.encode(),
        "part of the base64 body": body[4:16].encode(),
        "raw bytes": raw,
        "hex": raw.hex().encode(),
        "urlsafe base64": base64.urlsafe_b64encode(raw).rstrip(b"="),
    }


def database_bytes(engine: Engine) -> bytes:
    """The SQLite database's files (main, WAL, shared memory) as bytes, or every row of
    every PostgreSQL table as text."""
    if engine.dialect.name == "sqlite":
        main = Path(engine.url.database or "")
        files = sorted(main.parent.glob(main.name + "*"))
        assert main in files, f"no database file at {main}"
        return b"".join(f.read_bytes() for f in files)
    dump: list[str] = []
    with engine.connect() as conn:
        for table in tables.metadata.sorted_tables:
            rows = conn.execute(text(f'SELECT CAST(t AS text) FROM "{table.name}" AS t'))
            dump.extend(row[0] for row in rows)
    return "\n".join(dump).encode()


def found_forms(secret: str, haystack: bytes) -> list[str]:
    """The forms of `secret` that occur in `haystack` (none, one hopes)."""
    return [form for form, needle in grep_forms(secret).items() if needle in haystack]
