"""/v1/sms through a real Kannel gateway: sent by the worker, each recipient's delivery
report back over the gateway's dlr-url, every state read back."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from postroom.services.sms import report_token
from postroom.storage import tables
from tests.conftest import wait_for
from tests.integration.sms.conftest import SmsApp
from tests.support.kannel import REFUSED_PREFIX, Kannel
from tests.support.services import free_port

NUMBERS = ["+46701000001", "070-100 00 02", "+47 412 34 567"]


def get_sms(app: SmsApp, sms_id: str, headers: dict[str, str]) -> dict[str, Any]:
    response = app.http.get(f"/v1/sms/{sms_id}", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_message_is_sent_through_kannel_and_every_recipient_is_delivered(
    sms_app: SmsApp, kannel: Kannel
) -> None:
    headers = sms_app.tenant.headers
    created = sms_app.http.post(
        "/v1/sms",
        headers=headers,
        json={"sender": "Postroom", "text": "Hej då, ditt brev är på väg", "recipients": NUMBERS},
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["recipient_count"] == 3
    assert [r["number"] for r in body["recipients"]["data"]] == [
        "+46701000001",
        "+46701000002",
        "+4741234567",
    ]

    def completed() -> dict[str, Any] | None:
        found = get_sms(sms_app, body["id"], headers)
        return found if found["state"] == "completed" else None

    done = wait_for(completed, timeout=30)
    assert done["recipient_states"] == {"queued": 0, "sent": 0, "delivered": 3, "failed": 0}
    assert {r["state"] for r in done["recipients"]["data"]} == {"delivered"}
    received = kannel.received()
    assert sorted(received) == sorted(
        ("Postroom", n, "Hej då, ditt brev är på väg")
        for n in ("+46701000001", "+46701000002", "+4741234567")
    )


def count_rows(app: SmsApp) -> tuple[int, int]:
    """How many messages and recipients are stored."""
    with app.container.engine.connect() as conn:
        messages = conn.execute(select(func.count()).select_from(tables.sms_messages)).scalar()
        recipients = conn.execute(select(func.count()).select_from(tables.sms_recipients)).scalar()
    return int(messages or 0), int(recipients or 0)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"sender": "Postroom", "text": "x", "recipients": []}, "sms_recipients_missing"),
        (
            {"sender": "Postroom", "text": "x", "recipients": ["+46701000001"] * 100_001},
            "sms_too_many_recipients",
        ),
        ({"text": "x", "recipients": ["+46701000001"]}, "sms_sender_missing"),
        ({"sender": " ", "text": "x", "recipients": ["+46701000001"]}, "sms_sender_missing"),
        (
            {"sender": "Postroom Sverige AB", "text": "x", "recipients": ["+46701000001"]},
            "invalid_sms_sender",
        ),
        ({"sender": "Postroom", "text": " ", "recipients": ["+46701000001"]}, "sms_text_empty"),
        (
            {"sender": "Postroom", "text": "a" * 1531, "recipients": ["+46701000001"]},
            "sms_text_too_long",
        ),
        (
            {"sender": "Postroom", "text": "x", "recipients": ["+46701000001", "+4670123"]},
            "invalid_phone_number",
        ),
    ],
)
def test_a_message_that_breaks_a_rule_is_refused_and_nothing_is_stored(
    make_sms_app: Callable[..., SmsApp], body: dict[str, Any], code: str
) -> None:
    app = make_sms_app()
    response = app.http.post("/v1/sms", headers=app.tenant.headers, json=body)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == code
    assert count_rows(app) == (0, 0)


def test_invalid_numbers_are_named_by_position(make_sms_app: Callable[..., SmsApp]) -> None:
    app = make_sms_app()
    response = app.http.post(
        "/v1/sms",
        headers=app.tenant.headers,
        json={"sender": "Postroom", "text": "x", "recipients": ["+46701000001", "12", "hej"]},
    )
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["detail"] == {
        "invalid": [{"position": 2, "number": "12"}, {"position": 3, "number": "hej"}],
        "invalid_count": 2,
    }


def test_a_sandbox_accounts_message_is_recorded_and_never_sent(
    sms_app: SmsApp, kannel: Kannel
) -> None:
    sandbox = sms_app.tenant_in("sandbox-a", sandbox=True)
    created = sms_app.http.post(
        "/v1/sms",
        headers=sandbox.headers,
        json={"sender": "Postroom", "text": "test", "recipients": NUMBERS[:2]},
    )
    assert created.status_code == 201, created.text
    assert created.json()["sandbox"] is True

    def handled() -> dict[str, Any] | None:
        found = get_sms(sms_app, created.json()["id"], sandbox.headers)
        return found if found["state"] == "sent" else None

    done = wait_for(handled, timeout=30)
    assert [(r["state"], r["reason"]) for r in done["recipients"]["data"]] == [
        ("sent", "sandbox account: recorded, not sent")
    ] * 2
    time.sleep(1)  # what the gateway would have taken by now
    assert kannel.received() == []


def test_a_report_without_the_recipients_token_is_not_found(
    make_sms_app: Callable[..., SmsApp],
) -> None:
    app = make_sms_app()  # no gateway: the message stays queued
    created = app.http.post(
        "/v1/sms",
        headers=app.tenant.headers,
        json={"sender": "Postroom", "text": "x", "recipients": NUMBERS[:1]},
    ).json()
    sms_id = created["id"]
    wrong = app.http.get(
        "/v1/sms/reports", params={"sms": sms_id, "n": 1, "t": "0" * 32, "type": 1}
    )
    assert wrong.status_code == 404, wrong.text
    token = report_token(app.container.settings.secret_key, sms_id, 1)
    other = app.http.get("/v1/sms/reports", params={"sms": sms_id, "n": 2, "t": token, "type": 1})
    assert other.status_code == 404, other.text  # recipient 1's token does not name recipient 2
    found = get_sms(app, sms_id, app.tenant.headers)
    assert found["recipient_states"]["queued"] == 1

    right = app.http.get("/v1/sms/reports", params={"sms": sms_id, "n": 1, "t": token, "type": 1})
    assert right.json() == {"moved": True}
    again = app.http.get("/v1/sms/reports", params={"sms": sms_id, "n": 1, "t": token, "type": 2})
    assert again.json() == {"moved": False}  # delivered is final
    assert get_sms(app, sms_id, app.tenant.headers)["recipients"]["data"][0]["state"] == (
        "delivered"
    )


def test_another_account_cannot_see_a_message(make_sms_app: Callable[..., SmsApp]) -> None:
    app = make_sms_app()
    created = app.http.post(
        "/v1/sms",
        headers=app.tenant.headers,
        json={"sender": "Postroom", "text": "x", "recipients": NUMBERS[:1]},
    ).json()
    other = app.tenant_in("tenant-b")
    for path in (f"/v1/sms/{created['id']}", f"/v1/sms/{created['id']}/recipients"):
        response = app.http.get(path, headers=other.headers)
        assert response.status_code == 404, response.text
    page = app.http.get(f"/v1/sms/{created['id']}/recipients", headers=app.tenant.headers)
    assert page.json()["data"][0]["number"] == "+46701000001"


def test_a_number_the_gateway_refuses_fails_alone(sms_app: SmsApp, kannel: Kannel) -> None:
    refused = f"{REFUSED_PREFIX}0001"
    created = sms_app.http.post(
        "/v1/sms",
        headers=sms_app.tenant.headers,
        json={"sender": "Postroom", "text": "x", "recipients": ["+46701000001", refused]},
    )
    assert created.status_code == 201, created.text

    def completed() -> dict[str, Any] | None:
        found = get_sms(sms_app, created.json()["id"], sms_app.tenant.headers)
        return found if found["state"] == "completed" else None

    done = wait_for(completed, timeout=30)
    assert [(r["number"], r["state"], r["reason"]) for r in done["recipients"]["data"]] == [
        ("+46701000001", "delivered", None),
        (
            refused,
            "failed",
            "Kannel answered 400 Number(s) has/have been denied by white- and/or black-lists.",
        ),
    ]
    assert kannel.received() == [("Postroom", "+46701000001", "x")]


def test_a_gateway_that_cannot_be_reached_leaves_the_recipients_queued(
    make_sms_app: Callable[..., SmsApp],
) -> None:
    # Nothing listens there: every attempt is a retryable failure, and nothing is lost.
    app = make_sms_app(
        kannel_sendsms_url=f"http://127.0.0.1:{free_port()}/cgi-bin/sendsms",
        kannel_username="postroom",
        kannel_password="x",
    )
    created = app.http.post(
        "/v1/sms",
        headers=app.tenant.headers,
        json={"sender": "Postroom", "text": "x", "recipients": NUMBERS},
    ).json()
    time.sleep(2)  # a few attempts
    found = get_sms(app, created["id"], app.tenant.headers)
    assert found["state"] == "queued"
    assert found["recipient_states"] == {"queued": 3, "sent": 0, "delivered": 0, "failed": 0}
