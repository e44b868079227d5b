"""Ekopost's SMS (seed 004, "Sms" and error codes 128-134) through a real Kannel gateway:
sent and polled as an Ekopost client does, every refusal with the seed's code and words,
nothing stored or sent on a refusal (issue 18, must show 2)."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from postroom.storage import tables
from tests.conftest import wait_for
from tests.integration.dialects.ekopost.helpers import assert_error
from tests.integration.sms.conftest import (  # noqa: F401  (the fixtures)
    SmsApp,
    kannel_fixture,
    make_sms_app_fixture,
    sms_app_fixture,
)
from tests.support.kannel import Kannel

TEXT = "Hej! Ditt brev från kommunen är på väg."


def numbers(count: int) -> list[str]:
    """Swedish mobile numbers, +46701000000 on."""
    return [f"+4670{1_000_000 + i:07d}" for i in range(count)]


def sms_body(to: list[str], **fields: Any) -> dict[str, Any]:
    """A send request as an Ekopost client writes it: the text in base64, text/plain."""
    return {
        "FromName": "Kommunen",
        "recipients": to,
        "mime": "text/plain",
        "data": base64.b64encode(TEXT.encode()).decode("ascii"),
        **fields,
    }


def stored(app: SmsApp) -> int:
    with app.container.engine.connect() as conn:
        return int(
            conn.execute(select(func.count()).select_from(tables.sms_messages)).scalar() or 0
        )


def test_an_sms_to_1000_recipients_goes_through_kannel_and_each_is_polled_delivered(
    sms_app: SmsApp, kannel: Kannel
) -> None:
    headers = sms_app.tenant.headers
    to = numbers(1000)
    sent = sms_app.http.post("/ekopost/sms", headers=headers, json=sms_body(to, name="Påminnelse"))
    assert sent.status_code == 200, sent.text
    created = sent.json()
    assert created["from_name"] == "Kommunen"
    assert created["mime"] == "text/plain"
    assert created["name"] == "Påminnelse"
    assert created["recipient_count"] == 1000
    assert [r["phone_number"] for r in created["recipients"]] == to

    def polled_delivered() -> dict[str, Any] | None:
        poll = sms_app.http.get(f"/ekopost/sms/{created['id']}", headers=headers)
        assert poll.status_code == 200, poll.text
        body: dict[str, Any] = poll.json()
        return body if body["recipient_states"]["delivered"] == 1000 else None

    poll = wait_for(polled_delivered, timeout=240, every=1)
    assert poll["state"] == "completed"
    assert poll["recipient_states"] == {"queued": 0, "sent": 0, "delivered": 1000, "failed": 0}
    assert [(r["phone_number"], r["state"]) for r in poll["recipients"]] == [
        (n, "delivered") for n in to
    ]
    # The operator got each recipient's copy once, with the text as sent.
    received = kannel.received()
    assert sorted(received) == sorted(("Kommunen", n, TEXT) for n in to)


def test_a_bad_number_is_131_before_anything_is_sent(sms_app: SmsApp, kannel: Kannel) -> None:
    to = [*numbers(5), "+46 70 12", *numbers(10)[5:]]
    response = sms_app.http.post("/ekopost/sms", headers=sms_app.tenant.headers, json=sms_body(to))
    assert_error(response, 400, "131")
    body = response.json()
    assert body["error_message"] == "Sms recipients contains invalid phone number."
    assert "'+46 70 12' (recipient 6)" in body["developer_message"]
    assert stored(sms_app) == 0
    time.sleep(1)  # what the worker would have handed over by now
    assert kannel.received() == []


def test_100001_recipients_is_134(make_sms_app: Callable[..., SmsApp]) -> None:
    app = make_sms_app()
    response = app.http.post(
        "/ekopost/sms", headers=app.tenant.headers, json=sms_body(numbers(100_001))
    )
    assert_error(response, 400, "134")
    assert response.json()["error_message"] == "Sms too many recipients (100 000 is the max limit)"
    assert stored(app) == 0


@pytest.mark.parametrize(
    ("fields", "code", "message"),
    [
        ({"mime": "application/pdf"}, "128", "Wrong mime for sms. Mime should be 'text/plain'"),
        ({"mime": None}, "128", "Wrong mime for sms. Mime should be 'text/plain'"),
        ({"data": ""}, "129", "Empty data field"),
        ({"data": None}, "129", "Empty data field"),
        ({"data": base64.b64encode(b"   ").decode()}, "129", "Empty data field"),
        ({"data": "Hej, inte base64!"}, "130", "Sms text message not encoded into base64"),
        (
            {"data": base64.b64encode(b"\xff\xfe").decode()},
            "130",
            "Sms text message not encoded into base64",
        ),
        ({"recipients": []}, "132", "Sms does not contain any recipients"),
        ({"recipients": None}, "132", "Sms does not contain any recipients"),
        ({"FromName": None}, "133", 'Sms "FromName" is null or empty.'),
        ({"FromName": ""}, "133", 'Sms "FromName" is null or empty.'),
        ({"FromName": "Kommunen i Sverige"}, "127", "Invalid data"),
        ({"data": base64.b64encode(b"a" * 1531).decode()}, "127", "Invalid data"),
    ],
)
def test_each_refusal_has_the_seeds_code_and_words(
    make_sms_app: Callable[..., SmsApp], fields: dict[str, Any], code: str, message: str
) -> None:
    app = make_sms_app()
    response = app.http.post(
        "/ekopost/sms", headers=app.tenant.headers, json=sms_body(numbers(2), **fields)
    )
    assert_error(response, 400, code)
    assert response.json()["error_message"] == message
    assert stored(app) == 0


def test_polling_another_accounts_or_an_unknown_sms_is_not_found(
    make_sms_app: Callable[..., SmsApp],
) -> None:
    app = make_sms_app()
    sent = app.http.post("/ekopost/sms", headers=app.tenant.headers, json=sms_body(numbers(1)))
    assert sent.status_code == 200, sent.text
    other = app.tenant_in("tenant-b")
    for sms_id in (sent.json()["id"], "3f1c2a9e-0000-4000-8000-000000000000", "not-a-guid"):
        response = app.http.get(f"/ekopost/sms/{sms_id}", headers=other.headers)
        assert_error(response, 404, "127")
    response = app.http.get(f"/ekopost/sms/{sent.json()['id']}", headers={})
    assert_error(response, 400, "0")
