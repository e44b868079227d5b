"""Small helpers shared by the /v1 API tests: the error form, what is stored, letters."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from postroom.bootstrap import Container
from postroom.storage.objects import BucketFolder
from postroom.storage.tables import metadata
from tests.conftest import Tenant, letter_form


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """Assert the native error form with this status and code; return its `error` object."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "detail"}, error
    assert error["code"] == code, error
    assert isinstance(error["message"], str) and error["message"], error
    return dict(error)


# Kept on purpose for a refused request: a failed login counts toward its throttle.
NOT_CONTENT = {"login_throttle"}


def row_counts(container: Container) -> dict[str, int]:
    """How many rows each of our tables holds (but the login throttle's counts)."""
    with container.engine.connect() as conn:
        return {
            table.name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for table in metadata.sorted_tables
            if table.name not in NOT_CONTENT
        }


def blob_files(container: Container) -> set[Path]:
    """Every blob stored, as a path relative to the store (temporary files included): the
    blob folder's files, or a bucket's objects and this process's spool files."""
    settings = container.settings
    if not settings.object_store:
        return _files_under(settings.blob_dir)
    bucket = BucketFolder.from_url(settings.storage_url)
    prefix = bucket.key("")
    pages = bucket.client.get_paginator("list_objects_v2").paginate(
        Bucket=bucket.bucket, Prefix=prefix
    )
    stored = {Path(i["Key"].removeprefix(prefix)) for p in pages for i in p.get("Contents", [])}
    return stored | {Path("tmp") / p for p in _files_under(blob_spool(container))}


def blob_spool(container: Container) -> Path:
    """Where the blob store writes an upload before it is stored."""
    settings = container.settings
    return (settings.blob_cache_dir if settings.object_store else settings.blob_dir) / "tmp"


def _files_under(root: Path) -> set[Path]:
    if not root.exists():
        return set()
    return {p.relative_to(root) for p in root.rglob("*") if p.is_file()}


def app_routes(app: FastAPI, prefix: str = "/") -> set[tuple[str, str]]:
    """Every (method, path template) the app serves under `prefix`, included routers too."""
    found: set[tuple[str, str]] = set()
    for route in iter_route_contexts(app.routes):
        path = route.path or ""
        if not path.startswith(prefix):
            continue
        if route.methods is None:
            pytest.fail(f"{path} is not a route with methods (a mount?): list its routes here")
        methods = set(route.methods)
        if "GET" in methods:
            methods.discard("HEAD")  # Starlette's automatic HEAD for GET
        found.update((method, path) for method in methods)
    return found


def send_letter(client: TestClient, tenant: Tenant, **form: Any) -> dict[str, Any]:
    """POST a letter (letter_form arguments) and return the created letter."""
    response = client.post("/v1/letters", headers=tenant.headers, **letter_form(**form))
    assert response.status_code == 201, response.text
    letter: dict[str, Any] = response.json()
    return letter


def get_letter(client: TestClient, tenant: Tenant, letter_id: str) -> dict[str, Any]:
    """The letter as its own account sees it."""
    response = client.get(f"/v1/letters/{letter_id}", headers=tenant.headers)
    assert response.status_code == 200, response.text
    letter: dict[str, Any] = response.json()
    return letter


def list_letters(client: TestClient, tenant: Tenant, **params: Any) -> list[dict[str, Any]]:
    """Every letter of the account matching the filters, following next_cursor to the end."""
    letters: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(1000):
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = client.get("/v1/letters", headers=tenant.headers, params=query)
        assert response.status_code == 200, response.text
        page = response.json()
        letters.extend(page["data"])
        cursor = page["next_cursor"]
        if cursor is None:
            return letters
    raise AssertionError("next_cursor never ran out")
