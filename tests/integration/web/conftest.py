"""Fixtures for the dashboard's tests: the app without a worker, a browser-like client that
signs in through the form, and letters written straight through the unit of work."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from postroom.api.app import create_app
from postroom.bootstrap import Container
from postroom.domain.model import MailPiece, PieceOptions, Recipient
from postroom.domain.states import PieceState
from tests.conftest import Tenant, letter_form, tenant_in, wait_for

CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


def csrf_of(html: str) -> str:
    """The CSRF token a page's forms carry."""
    found = CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def sign_in(client: TestClient, username: str, password: str) -> httpx.Response:
    """Fill in and send the sign-in form as a browser would; the answer, not followed."""
    form = client.get("/signin")
    assert form.status_code == 200, form.text
    return client.post(
        "/signin",
        data={"username": username, "password": password, "csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )


@pytest.fixture
def web(container: Container, worker_paused: None) -> Iterator[TestClient]:
    """The app without an in-process worker (and the distributed worker paused): what the
    tests write stays as they wrote it."""
    with TestClient(create_app(container, run_worker=False)) as client:
        yield client


@pytest.fixture
def other_web(container: Container, web: TestClient) -> Iterator[TestClient]:
    """A second browser on the same app (its own cookies)."""
    with TestClient(web.app) as client:
        yield client


ANNA = Recipient(
    name_lines=("Anna Svensson",),
    street_lines=("Storgatan 1",),
    postal_code="111 22",
    city="Stockholm",
    country="SE",
)


def add_letters(
    container: Container,
    account_id: str,
    count: int = 1,
    *,
    at: datetime | None = None,
    state: PieceState = PieceState.CLOSED,
    **fields: Any,
) -> list[MailPiece]:
    """`count` letters in `state` created at `at` (default: the clock's now), stored through
    the unit of work as the pipeline stores them."""
    when = at or container.clock.now()
    fields.setdefault("recipient", ANNA)
    pieces = [
        MailPiece(
            account_id=account_id,
            document_id=None,
            options=PieceOptions(),
            page_count=1,
            created_at=when,
            updated_at=when,
            state=state,
            **fields,
        )
        for _ in range(count)
    ]
    uow = container.uow()
    with uow:
        uow.pieces.add_all(pieces)
        uow.commit()
    return pieces


MakeLetters = Callable[..., list[MailPiece]]


@pytest.fixture
def other_tenant(make_tenant: Callable[[str], Tenant]) -> Tenant:
    """Account B, whose letters account A must never see."""
    return make_tenant("tenant-b")


def transferred_sandbox_letter(
    client: TestClient, container: Container, name: str, username: str, password: str
) -> tuple[dict[str, str], dict[str, Any]]:
    """A sandbox account with a dashboard user, and a letter it sent through /v1 that the
    pipeline has taken to `transferred`: the account's API headers and the letter."""
    api = tenant_in(container, name, sandbox=True, username=username, password=password).headers
    letter: dict[str, Any] = client.post("/v1/letters", headers=api, **letter_form()).json()
    wait_for(lambda: letter_state(client, api, letter["id"]) == "transferred", timeout=60)
    return api, letter


def letter_state(client: TestClient, api: dict[str, str], letter_id: str) -> str:
    """The letter's state as /v1 reads it."""
    found: str = client.get(f"/v1/letters/{letter_id}", headers=api).json()["state"]
    return found
