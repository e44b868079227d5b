"""Failed logins are throttled per username and per client address (issue 20): a few
mistakes cost nothing, then each failure doubles the wait; the refusal is 429 with
Retry-After, checked before any password, and the right password works once it is over."""

from __future__ import annotations

import base64
import time

from fastapi.testclient import TestClient

from postroom.bootstrap import Container
from postroom.domain.audit import AuditKind
from postroom.domain.throttle import FREE_FAILURES
from postroom.services.evidence import verify
from postroom.storage import tables
from tests.conftest import Tenant
from tests.integration.api.helpers import assert_error


def _login(client: TestClient, username: str, password: str) -> int:
    response = client.post("/v1/sessions", json={"username": username, "password": password})
    return response.status_code


def test_thirty_wrong_passwords_meet_a_429_and_the_right_one_works_after_the_wait(
    client: TestClient, tenant: Tenant
) -> None:
    statuses = []
    for _ in range(30):
        response = client.post(
            "/v1/sessions", json={"username": tenant.username, "password": "wrong"}
        )
        statuses.append(response.status_code)
        if response.status_code == 429:
            break
    # The first FREE_FAILURES + 1 failures are plain 401s; the next attempt comes too soon.
    assert statuses == [401] * (FREE_FAILURES + 1) + [429]
    error = assert_error(response, 429, "too_many_login_failures")
    wait = int(response.headers["retry-after"])
    assert 1 <= wait <= 2 and error["detail"] == {"retry_after": wait}

    # Refused before the password is looked at: the right one is refused too, for now.
    assert _login(client, tenant.username, tenant.password) == 429
    time.sleep(wait + 0.2)
    assert _login(client, tenant.username, tenant.password) == 201


def test_basic_credentials_count_toward_the_same_limit(client: TestClient, tenant: Tenant) -> None:
    wrong = base64.b64encode(f"{tenant.username}:wrong".encode()).decode()
    statuses = [
        client.get("/v1/letters", headers={"Authorization": f"Basic {wrong}"}).status_code
        for _ in range(FREE_FAILURES + 2)
    ]
    assert statuses == [401] * (FREE_FAILURES + 1) + [429]
    # An API key is not a login: it still works from the same client.
    assert client.get("/v1/letters", headers=tenant.headers).status_code == 200


def test_an_unknown_name_is_throttled_like_a_known_one(
    client: TestClient, container: Container
) -> None:
    statuses = [_login(client, "nobody", "guess") for _ in range(FREE_FAILURES + 2)]
    assert statuses == [401] * (FREE_FAILURES + 1) + [429]
    with container.engine.connect() as conn:
        rows = conn.execute(tables.login_throttle.select()).all()
    assert {row.key: row.failures for row in rows} == {
        "user:nobody": FREE_FAILURES + 1,
        "addr:testclient": FREE_FAILURES + 1,
    }


def test_a_success_clears_the_name_s_count(client: TestClient, tenant: Tenant) -> None:
    for _ in range(FREE_FAILURES):
        assert _login(client, tenant.username, "wrong") == 401
    assert _login(client, tenant.username, tenant.password) == 201
    # The name starts again; the address still counts its failures (5, then 6: a wait).
    assert _login(client, tenant.username, "wrong") == 401
    assert _login(client, tenant.username, "wrong") == 429


def test_a_known_user_s_failed_logins_are_evidence_and_unknown_names_are_not(
    client: TestClient, tenant: Tenant, container: Container
) -> None:
    assert _login(client, tenant.username, "wrong") == 401
    wrong = base64.b64encode(f"{tenant.username}:guess".encode()).decode()
    assert client.get("/v1/letters", headers={"Authorization": f"Basic {wrong}"}).status_code == 401
    assert _login(client, "nobody", "guess") == 401
    assert _login(client, tenant.username, tenant.password) == 201  # a success is no evidence

    with container.uow() as uow:
        records = uow.feeds.audit_records(tenant.account_id, after=0, limit=100)
        user = uow.accounts.user_by_username(tenant.username)
        audited = uow.feeds.audited_accounts()
    failed = [r for r in records if r.kind == AuditKind.LOGIN_FAILED]
    assert user is not None
    assert [(r.subject_id, r.content["username"], r.content["client"]) for r in failed] == [
        (user.id, tenant.username, "testclient")
    ] * 2
    assert audited == [tenant.account_id]  # "nobody" has no account to write to
    (verdict,) = verify(uow_factory=container.uow, account_id=tenant.account_id)
    assert verdict.broken is None and verdict.records == len(records)
