"""No password, API key or session token is kept in clear anywhere in the database."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from fastapi.testclient import TestClient
from sqlalchemy import MetaData, select

from postroom.bootstrap import Container
from tests.conftest import Tenant, letter_form

# The start of a key is shown in listings so people can tell keys apart; more is a leak.
LONGEST_SHOWN_PART = 12


def every_value(container: Container) -> list[tuple[str, str, str]]:
    """(table, column, value as text) for every column of every row of every table."""
    found = []
    reflected = MetaData()
    reflected.reflect(container.engine)
    with container.engine.connect() as conn:
        for table in reflected.sorted_tables:
            for row in conn.execute(select(table)).mappings():
                for column, value in row.items():
                    found.append((table.name, column, as_text(value)))
    return found


def as_text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def pieces_of(secret: str) -> set[str]:
    """Every run of the secret one character longer than what may be shown."""
    size = LONGEST_SHOWN_PART + 1
    return {secret[i : i + size] for i in range(len(secret) - size + 1)}


def forms_of(secret: str) -> set[str]:
    """The secret as it is, and encoded the ways a careless store would keep it."""
    raw = secret.encode()
    return {
        secret,
        base64.b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
        raw.hex(),
    }


def basic(tenant: Tenant) -> dict[str, str]:
    raw = f"{tenant.username}:{tenant.password}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def create_credentials(client: TestClient, tenant: Tenant) -> dict[str, str]:
    """Make an API key and a session over the API (with Idempotency-Keys, whose answers are
    stored), send a letter with each credential; return every secret in play, by name."""
    created = client.post(
        "/v1/api-keys", headers={**tenant.headers, "Idempotency-Key": "k1"}, json={"name": "ci"}
    )
    assert created.status_code == 201, created.text
    login = client.post(
        "/v1/sessions",
        headers={"Idempotency-Key": "login-1"},
        json={"username": tenant.username, "password": tenant.password},
    )
    assert login.status_code == 201, login.text
    key, token = created.json()["key"], login.json()["token"]
    for headers in (
        tenant.headers,
        {"Authorization": f"Bearer {key}", "Idempotency-Key": "letter-1"},
        {"X-Auth-Token": token},
        basic(tenant),
    ):
        response = client.post("/v1/letters", headers=headers, **letter_form())
        assert response.status_code == 201, response.text
    return {
        f"{tenant.username}'s password": tenant.password,
        f"{tenant.username}'s first API key": tenant.api_key,
        f"{tenant.username}'s created API key": key,
        f"{tenant.username}'s session token": token,
    }


def test_no_secret_is_stored_in_clear(
    idle_client: TestClient, container: Container, tenant: Tenant, other_tenant: Tenant
) -> None:
    secrets = create_credentials(idle_client, tenant) | create_credentials(
        idle_client, other_tenant
    )
    values = every_value(container)
    tables = {table for table, _, _ in values}
    assert {"users", "api_keys", "session_tokens", "idempotency_keys"} <= tables

    leaks = [
        (name, table, column)
        for name, secret in secrets.items()
        for table, column, value in values
        if any(form in value for form in forms_of(secret) | pieces_of(secret))
    ]
    assert leaks == []


def test_passwords_are_stored_as_argon2id_hashes(
    container: Container, tenant: Tenant, other_tenant: Tenant
) -> None:
    hashes = {
        value
        for table, column, value in every_value(container)
        if (table, column) == ("users", "password_hash")
    }
    assert len(hashes) == 2
    assert all(h.startswith("$argon2id$") for h in hashes)
    hasher = PasswordHasher()
    for t in (tenant, other_tenant):
        assert sum(_verifies(hasher, h, t.password) for h in hashes) == 1


def _verifies(hasher: PasswordHasher, password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except VerificationError:
        return False


def test_the_database_file_holds_no_secret_either(
    idle_client: TestClient, container: Container, tenant: Tenant
) -> None:
    # Free pages and the write-ahead log keep bytes that no table shows any more.
    if container.engine.dialect.name != "sqlite":
        pytest.skip("only an embedded SQLite database is a file the test can read")
    secrets = create_credentials(idle_client, tenant)
    database = Path(container.engine.url.database or "")
    data = b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*"))
    assert tenant.username.encode() in data  # the files read are the ones written
    for name, secret in secrets.items():
        assert secret.encode() not in data, name
