"""The load bench's reference (bench/load.py): a bare FastAPI endpoint doing the durable work of
POST /v1/letters and nothing else. It takes the same multipart upload, writes the file with
its SHA-256 as name (temporary file, fsync, rename, fsync of the folder) and inserts one row
in its own transaction: SQLite in WAL mode with synchronous=FULL (the commit is on disk when
it returns), or PostgreSQL at its defaults. No authentication, no PDF check, no pricing.

Run: python -m bench.bare_letters --port P --data-dir D [--database-url postgresql://...]
(served by uvicorn.run as `postroom serve` is)."""

from __future__ import annotations

import argparse
import hashlib
import os
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, File, Form, UploadFile
from sqlalchemy import Engine, create_engine, event, text

CHUNK = 1024 * 1024
TABLE = (
    "CREATE TABLE IF NOT EXISTS bare_letters (id VARCHAR(36) PRIMARY KEY, "
    "sha256 VARCHAR(64) NOT NULL, size INTEGER NOT NULL, filename VARCHAR(255) NOT NULL, "
    "recipient TEXT, created_at VARCHAR(40) NOT NULL)"
)


def bare_engine(url: str) -> Engine:
    """PostgreSQL at its defaults, or SQLite in WAL mode with every commit synced."""
    if not url.startswith("sqlite"):
        return create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 60})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def create_bare_app(data_dir: Path, database_url: str) -> FastAPI:
    """The app: POST /letters (201 once the file and its row are durable), GET /healthz."""
    files = data_dir / "files"
    (files / "tmp").mkdir(parents=True, exist_ok=True)
    engine = bare_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text(TABLE))
    app = FastAPI()

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/letters", status_code=201)
    def create_letter(
        file: Annotated[UploadFile, File()], recipient: Annotated[str | None, Form()] = None
    ) -> dict[str, str]:
        digest, size = hashlib.sha256(), 0
        fd, tmp_name = tempfile.mkstemp(dir=files / "tmp")
        with os.fdopen(fd, "wb") as out:
            while chunk := file.file.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
            out.flush()
            os.fsync(out.fileno())
        sha = digest.hexdigest()
        os.replace(tmp_name, files / sha)
        _fsync_dir(files)
        letter_id = str(uuid.uuid4())
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO bare_letters (id, sha256, size, filename, recipient, created_at) "
                    "VALUES (:id, :sha, :size, :filename, :recipient, :created_at)"
                ),
                {
                    "id": letter_id,
                    "sha": sha,
                    "size": size,
                    "filename": (file.filename or "letter.pdf")[:255],
                    "recipient": recipient,
                    "created_at": datetime.now(UTC).isoformat(),
                },
            )
        return {"id": letter_id, "sha256": sha}

    return app


def main() -> None:
    """Serve the bare app on 127.0.0.1."""
    import uvicorn

    parser = argparse.ArgumentParser(prog="python -m bench.bare_letters")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--database-url", default="", help="default: SQLite in --data-dir")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{(args.data_dir / 'bare.sqlite3').resolve()}"
    args.data_dir.mkdir(parents=True, exist_ok=True)
    uvicorn.run(create_bare_app(args.data_dir, url), host="127.0.0.1", port=args.port)


if __name__ == "__main__":
    main()
