"""POST /v1/letters with email delivery: what is refused, in the native error form."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from postroom.bootstrap import Container
from postroom.storage import tables
from tests.conftest import RECIPIENT, Tenant
from tests.integration.api.helpers import assert_error
from tests.support.pdfs import make_pdf


def post(client: TestClient, tenant: Tenant, **data: Any) -> Any:
    form = {k: v if isinstance(v, str) else json.dumps(v) for k, v in data.items()}
    files = {"file": ("letter.pdf", make_pdf(1), "application/pdf")}
    return client.post("/v1/letters", headers=tenant.headers, data=form, files=files)


def piece_count(container: Container) -> int:
    with container.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(tables.mail_pieces)).scalar_one())


@pytest.mark.parametrize(
    "address",
    [
        "anna",
        "anna@",
        "@example.se",
        "anna@example",
        "anna..svensson@example.se",
        "anna svensson@example.se",
        "anna@exa_mple.se",
        "anna@-example.se",
        "anna@example.123",
        "anna@example.se\r\nBcc: everyone@example.se",
        "x" * 65 + "@example.se",
    ],
)
def test_an_address_that_is_not_one_is_refused_with_invalid_email_address(
    client: TestClient, container: Container, tenant: Tenant, address: str
) -> None:
    response = post(client, tenant, service="email", email={"to": address})
    error = assert_error(response, 422, "invalid_email_address")
    assert error["detail"] == {"to": address.strip()}
    assert "not an email address" in error["message"]
    assert piece_count(container) == 0


def test_an_international_domain_is_sent_to_in_its_ascii_form(
    client: TestClient, tenant: Tenant
) -> None:
    response = post(client, tenant, service="email", email={"to": "anna@exämple.se"})
    assert response.status_code == 201, response.text
    assert response.json()["email"]["to"] == "anna@xn--exmple-cua.se"


def test_an_email_service_without_an_address_is_refused(client: TestClient, tenant: Tenant) -> None:
    error = assert_error(post(client, tenant, service="email"), 422, "email_missing")
    assert error["detail"] == {"service": "email"}


def test_an_email_field_for_a_print_service_is_refused(client: TestClient, tenant: Tenant) -> None:
    response = post(
        client, tenant, service="letter_standard", recipient=RECIPIENT, email={"to": "a@b.se"}
    )
    error = assert_error(response, 422, "email_not_offered")
    assert error["detail"] == {"service": "letter_standard", "channel": "print_local"}


@pytest.mark.parametrize(
    "email",
    [
        "not json",
        '{"to": "anna@example.se", "cc": "x@example.se"}',
        '{"subject": "no address"}',
        '{"to": "anna@example.se", "subject": "two\\nlines"}',
        '{"to": "anna@example.se", "subject": "' + "s" * 201 + '"}',
    ],
    ids=["not-json", "unknown-field", "no-to", "subject-two-lines", "subject-too-long"],
)
def test_a_malformed_email_field_is_a_validation_error(
    client: TestClient, tenant: Tenant, email: str
) -> None:
    error = assert_error(
        post(client, tenant, service="email", email=email), 422, "validation_error"
    )
    assert all(item["loc"][0] == "email" for item in error["detail"])


def test_an_email_letter_needs_no_postal_address_and_keeps_the_one_given(
    client: TestClient, tenant: Tenant
) -> None:
    response = post(
        client, tenant, service="email", email={"to": "anna@example.se"}, recipient=RECIPIENT
    )
    assert response.status_code == 201, response.text
    assert response.json()["recipient"]["city"] == "Stockholm"
    assert response.json()["email"]["subject"] == "A letter for you"


def test_the_same_idempotency_key_with_another_address_is_refused(
    client: TestClient, tenant: Tenant
) -> None:
    headers = {**tenant.headers, "Idempotency-Key": "email-1"}
    files = {"file": ("letter.pdf", make_pdf(1), "application/pdf")}
    first = client.post(
        "/v1/letters",
        headers=headers,
        data={"service": "email", "email": json.dumps({"to": "anna@example.se"})},
        files=files,
    )
    assert first.status_code == 201, first.text
    again = client.post(
        "/v1/letters",
        headers=headers,
        data={"service": "email", "email": json.dumps({"to": "bo@example.se"})},
        files=files,
    )
    assert_error(again, 422, "idempotency_key_reused")
