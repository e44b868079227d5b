"""A text message is charged when it is accepted (parts x recipients x the price table's
sms_part), from the same credit and monthly limit as letters; one it cannot pay for is
refused with nothing stored, in /v1 and in the Ekopost dialect (113)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from postroom.bootstrap import Container
from postroom.domain.pricing import DEFAULT_PRICE_TABLE
from postroom.storage import tables
from tests.conftest import tenant_in
from tests.integration.api.helpers import assert_error, row_counts
from tests.integration.api.test_pay_at_the_door import account_of

PART = DEFAULT_PRICE_TABLE.sms_part
NUMBERS = ["+46701000001", "+46701000002", "+46701000003"]
# 161 characters of the GSM alphabet: two parts (153 each once concatenated).
TWO_PARTS = "Hej! " + "x" * 156


def _send(client: TestClient, headers: dict[str, str], text: str) -> dict:  # type: ignore[type-arg]
    response = client.post(
        "/v1/sms", headers=headers, json={"sender": "Kommunen", "text": text, "recipients": NUMBERS}
    )
    return {"status": response.status_code, "body": response.json()}


def test_a_message_costs_its_parts_for_each_recipient_and_the_credit_goes_down(
    idle_client: TestClient, container: Container
) -> None:
    tenant = tenant_in(container, "texter", credit_minor=10_000)

    sent = _send(idle_client, tenant.headers, TWO_PARTS)

    assert sent["status"] == 201, sent
    assert sent["body"]["price_minor"] == 2 * 3 * PART
    account = account_of(idle_client, tenant)
    assert account["credit_minor"] == 10_000 - 2 * 3 * PART
    assert account["spent_this_month_minor"] == 2 * 3 * PART
    with container.engine.connect() as conn:
        charges = conn.execute(
            select(
                tables.charges.c.piece_id, tables.charges.c.sms_id, tables.charges.c.amount_minor
            )
        ).all()
    assert [tuple(c) for c in charges] == [(None, sent["body"]["id"], 2 * 3 * PART)]
    again = idle_client.get(f"/v1/sms/{sent['body']['id']}", headers=tenant.headers).json()
    assert again["price_minor"] == 2 * 3 * PART


def test_a_message_the_account_cannot_pay_for_is_refused_and_nothing_is_stored(
    idle_client: TestClient, container: Container
) -> None:
    poor = tenant_in(container, "poor", credit_minor=3 * PART - 1)
    capped = tenant_in(container, "capped", monthly_limit_minor=3 * PART - 1)
    rows = row_counts(container)

    refused = idle_client.post(
        "/v1/sms", headers=poor.headers, json={"sender": "K", "text": "Hej", "recipients": NUMBERS}
    )
    over = idle_client.post(
        "/v1/sms",
        headers=capped.headers,
        json={"sender": "K", "text": "Hej", "recipients": NUMBERS},
    )

    error = assert_error(refused, 402, "credit_exceeded")
    assert error["detail"] == {"needed": 3 * PART, "available": 3 * PART - 1, "currency": "SEK"}
    assert assert_error(over, 402, "monthly_limit_exceeded")["detail"]["needed"] == 3 * PART
    assert row_counts(container) == rows  # no message, recipient, charge or outbox row
    assert account_of(idle_client, poor)["credit_minor"] == 3 * PART - 1


def test_an_ekopost_sms_over_the_credit_is_113_with_nothing_stored(
    idle_client: TestClient, container: Container
) -> None:
    poor = tenant_in(container, "poor-ekopost", credit_minor=PART)
    rows = row_counts(container)

    refused = idle_client.post(
        "/ekopost/sms",
        headers={"Authorization": f"api-key {poor.api_key}"},
        json={
            "FromName": "Kommunen",
            "recipients": NUMBERS[:2],
            "mime": "text/plain",
            "data": "SGVq",
        },
    )

    assert refused.status_code == 400, refused.text
    body = refused.json()
    assert body["error_code"] == "113"
    assert body["error_message"].startswith("You have exceeded your credit limit for the month")
    assert row_counts(container) == rows
