"""Posten Parcel Register Event (seed 002): the seed's example registers an event that then
shows in Posten's event log, in the native shipment events and in a webhook; each row of
the seed's error table answers with Posten's error body and stores nothing."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from standardwebhooks import Webhook

from postroom.bootstrap import Container
from postroom.services import accounts
from tests.conftest import Tenant, wait_for
from tests.integration.dialects.posten.helpers import (
    EVENTS,
    SEED_EXAMPLE,
    assert_error,
    basic,
    event_count,
    register_parcel,
    user_of,
)
from tests.integration.webhooks.receiver import Receiver

REFERENCE = SEED_EXAMPLE["trackingReference"]


def test_examples_request_registers_the_event_and_shows_it_in_the_event_log(
    posten: TestClient, tenant: Tenant
) -> None:
    shipment = register_parcel(posten, tenant.headers, REFERENCE)

    answer = posten.post(EVENTS, json=SEED_EXAMPLE, headers=user_of(tenant))

    assert answer.status_code == 200, answer.text
    assert answer.json()["eventType"] == "013"
    log = posten.get(EVENTS, params={"trackingReference": REFERENCE}, headers=user_of(tenant))
    assert log.status_code == 200, log.text
    assert log.json() == {
        "trackingReference": REFERENCE,
        "events": [
            {
                "trackingReference": REFERENCE,
                "eventTime": "2022-08-04T12:51:00+01:00",
                "lat": None,
                "lon": None,
                "locationContext": "my postalname",
                "locationContextId": None,
                "eventType": "013",
                "eventName": "Delivered",
                "additionalInfo": None,
                "comChannelType": None,
                "message": "Delivered",
            }
        ],
    }
    # The same event in the native API, and the status the catalog gives 013.
    native = posten.get(f"/v1/shipments/{shipment['id']}/events", headers=tenant.headers).json()
    (event,) = native["data"]
    assert (event["reference"], event["code"], event["time"]) == (
        REFERENCE,
        "013",
        "2022-08-04T12:51:00+01:00",
    )
    assert (event["location"], event["message"], event["source"]) == (
        "my postalname",
        "Delivered",
        "posten",
    )
    after = posten.get(f"/v1/shipments/{shipment['id']}", headers=tenant.headers).json()
    assert (after["status"], after["status_code"]) == ("delivered", "013")


def test_examples_request_reaches_a_webhook_subscriber(
    client: TestClient, tenant: Tenant, receiver: Receiver
) -> None:
    hook = client.post(
        "/v1/webhooks", headers=tenant.headers, json={"url": receiver.url, "event_types": ["*"]}
    ).json()
    shipment = register_parcel(client, tenant.headers, REFERENCE)

    answer = client.post(EVENTS, json=SEED_EXAMPLE, headers=user_of(tenant))
    assert answer.status_code == 200, answer.text

    (request,) = wait_for(lambda: receiver.of_type("shipment.delivered"), timeout=30)
    payload = Webhook(hook["secret"]).verify(request.body, request.headers)
    assert payload["data"]["id"] == shipment["id"]
    assert payload["data"]["reference"] == REFERENCE
    assert payload["data"]["event_code"] == "013"
    assert payload["data"]["event_time"].startswith("2022-08-04T")


def test_every_registered_event_is_pushed_as_it_was_sent(
    client: TestClient, tenant: Tenant, receiver: Receiver
) -> None:
    """The seed: a registered event reaches the push queue. An event that moves no status
    (a notification sent by SMS) is pushed too, as `shipment.event`, every field as sent."""
    hook = client.post(
        "/v1/webhooks",
        headers=tenant.headers,
        json={"url": receiver.url, "event_types": ["shipment.event"]},
    ).json()
    shipment = register_parcel(client, tenant.headers, REFERENCE)
    body = {
        "trackingReference": REFERENCE,
        "eventTime": "2020-01-31T00:01:00.000+01:00",
        "lat": 59.911096,
        "lon": 10.752457,
        "locationContext": "Oslo",
        "locationContextId": "34567",
        "eventType": "040",
        "additionalInfo": "001",
        "comChannelType": "SMS",
        "message": "Notified",
    }
    assert client.post(EVENTS, json=body, headers=user_of(tenant)).status_code == 200
    # A replay is a duplicate: stored once, pushed once.
    assert client.post(EVENTS, json=body, headers=user_of(tenant)).status_code == 200

    (request,) = wait_for(lambda: receiver.of_type("shipment.event"), timeout=30)
    payload = Webhook(hook["secret"]).verify(request.body, request.headers)
    assert payload["data"]["id"] == shipment["id"]
    assert (
        payload["data"].items()
        >= {
            "reference": REFERENCE,
            "event_code": "040",
            "event_time": "2020-01-31T00:01:00+01:00",
            "latitude": 59.911096,
            "longitude": 10.752457,
            "location": "Oslo",
            "location_id": "34567",
            "additional_code": "001",
            "channel": "SMS",
            "message": "Notified",
        }.items()
    )
    time.sleep(1)  # the replay had time to be pushed, were it pushed
    assert len(receiver.of_type("shipment.event")) == 1


def test_all_fields_are_kept_and_a_communication_event_names_its_channel(
    posten: TestClient, tenant: Tenant
) -> None:
    register_parcel(posten, tenant.headers, "(00)370724760010119754")
    body = {
        "trackingReference": "(00)370724760010119754",
        "eventTime": "2020-01-31T00:01:00.000+01:00",
        "lat": 59.911096,
        "lon": 10.752457,
        "locationContext": "Oslo",
        "locationContextId": "34567",
        "eventType": "040",
        "additionalInfo": "001",
        "comChannelType": "SMS",
        "message": "Notified",
    }
    assert posten.post(EVENTS, json=body, headers=user_of(tenant)).status_code == 200
    log = posten.get(
        EVENTS, params={"trackingReference": body["trackingReference"]}, headers=user_of(tenant)
    ).json()
    (event,) = log["events"]
    assert event == {
        **body,
        "eventTime": "2020-01-31T00:01:00+01:00",
        "eventName": event["eventName"],
    }
    assert event["eventName"] == "Notification sent to the recipient"


# --- 400: "The request body/query string is not in the correct format" -------------------


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"trackingReference": "3" * 36}, ["trackingReference"]),
        ({"eventType": "13"}, ["eventType"]),  # the leading zero lost
        ({"eventType": None}, ["eventType"]),
        ({"eventTime": "2022-08-04T12:51:00"}, ["eventTime"]),  # no offset
        ({"eventTime": "0001-01-01T00:00:00+01:00"}, ["eventTime"]),  # no UTC form
        ({"eventTime": "yesterday"}, ["eventTime"]),
        ({"additionalInfo": "1"}, ["additionalInfo"]),
        ({"comChannelType": "SMS"}, ["comChannelType"]),  # 013 is not a communication event
        ({"locationContext": "x" * 256}, ["locationContext"]),
        ({"locationContextId": "12345678901"}, ["locationContextId"]),
        ({"message": "m" * 256}, ["message"]),
        ({"lat": 91}, ["lat"]),
        ({"lon": "east"}, ["lon"]),
        # The shape of every field is checked first, the catalog once the shape is right.
        ({"eventType": "13", "message": "m" * 256}, ["message"]),
        ({"lat": 91, "message": "m" * 256}, ["lat", "message"]),
        ({"carrierNote": "x"}, ["carrierNote"]),
    ],
)
def test_error_handling_400_names_each_bad_field_and_stores_nothing(
    posten: TestClient,
    tenant: Tenant,
    container: Container,
    change: dict[str, Any],
    fields: list[str],
) -> None:
    register_parcel(posten, tenant.headers, REFERENCE)
    body = {k: v for k, v in {**SEED_EXAMPLE, **change}.items() if v is not None}

    answer = posten.post(EVENTS, json=body, headers=user_of(tenant))

    assert_error(answer, 400, "Client or Validation Error", fields)
    assert event_count(container) == 0


def test_error_handling_400_for_a_body_that_is_not_json(posten: TestClient, tenant: Tenant) -> None:
    answer = posten.post(
        EVENTS,
        content=b"{not json",
        headers={**user_of(tenant), "content-type": "application/json"},
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == "Client or Validation Error"


def test_error_handling_400_for_a_query_without_its_reference(
    posten: TestClient, tenant: Tenant
) -> None:
    answer = posten.get(EVENTS, params={"trackingReference": "3" * 36}, headers=user_of(tenant))
    assert_error(answer, 400, "Client or Validation Error", ["trackingReference"])
    answer = posten.get(EVENTS, headers=user_of(tenant))
    assert_error(answer, 400, "Client or Validation Error", ["trackingReference"])


# --- 401: "the Authorization header is either missing or incorrect" -----------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        basic("tenant-a-user", "not-the-password"),
        basic("nobody", "a-very-very-long-password"),
        {"Authorization": "Basic not-base64!"},
    ],
    ids=["missing", "wrong password", "unknown user", "garbled"],
)
def test_error_handling_401_without_or_with_bad_credentials(
    posten: TestClient, tenant: Tenant, container: Container, headers: dict[str, str]
) -> None:
    register_parcel(posten, tenant.headers, REFERENCE)
    answer = posten.post(EVENTS, json=SEED_EXAMPLE, headers=headers)
    assert_error(answer, 401, "Authentication Failure", [])
    assert answer.headers["www-authenticate"].startswith("Basic")
    assert event_count(container) == 0


def test_error_handling_401_for_an_api_key_the_seed_does_not_use(
    posten: TestClient, tenant: Tenant
) -> None:
    register_parcel(posten, tenant.headers, REFERENCE)
    answer = posten.post(EVENTS, json=SEED_EXAMPLE, headers=tenant.headers)
    assert_error(answer, 401, "Authentication Failure", [])


def test_authentication_a_token_obtained_with_the_users_credentials_works_as_bearer(
    posten: TestClient, tenant: Tenant, container: Container
) -> None:
    register_parcel(posten, tenant.headers, REFERENCE)
    session = posten.post(
        "/v1/sessions", json={"username": tenant.username, "password": tenant.password}
    )
    assert session.status_code == 201, session.text
    bearer = {"Authorization": f"Bearer {session.json()['token']}"}

    assert posten.post(EVENTS, json=SEED_EXAMPLE, headers=bearer).status_code == 200
    assert event_count(container) == 1
    wrong = posten.post(EVENTS, json=SEED_EXAMPLE, headers={"Authorization": "Bearer nope"})
    assert_error(wrong, 401, "Authentication Failure", [])


# --- 403: "you do not have access to the shop ... you provided" ---------------------------


def test_error_handling_403_for_a_parcel_of_another_account(
    posten: TestClient, tenant: Tenant, other_tenant: Tenant, container: Container
) -> None:
    register_parcel(posten, tenant.headers, REFERENCE)

    answer = posten.post(EVENTS, json=SEED_EXAMPLE, headers=user_of(other_tenant))
    body = assert_error(answer, 403, "Access denied", ["trackingReference"])
    unknown = posten.post(
        EVENTS,
        json={**SEED_EXAMPLE, "trackingReference": "NOSUCHPARCEL"},
        headers=user_of(other_tenant),
    )
    assert unknown.json() == body  # another account's parcel is told as an unknown one
    log = posten.get(EVENTS, params={"trackingReference": REFERENCE}, headers=user_of(other_tenant))
    assert_error(log, 403, "Access denied", ["trackingReference"])
    assert event_count(container) == 0


def test_error_handling_403_for_a_shop_the_user_is_not_allowed(
    posten: TestClient,
    tenant: Tenant,
    container: Container,
    make_tenant: Callable[[str], Tenant],
) -> None:
    north = accounts.create_shop(
        uow=container.uow(), clock=container.clock, account_id=tenant.account_id, name="North"
    )
    south = accounts.create_shop(
        uow=container.uow(), clock=container.clock, account_id=tenant.account_id, name="South"
    )
    register_parcel(posten, tenant.headers, "NORTH1", shop_id=north.id)
    register_parcel(posten, tenant.headers, "SOUTH1", shop_id=south.id)
    register_parcel(posten, tenant.headers, "NOSHOP1")
    limited = accounts.limit_user_to_shops(
        uow=container.uow(),
        account_id=tenant.account_id,
        username=tenant.username,
        shop_ids=[north.id],
    )
    assert limited == {north.id}

    def post(reference: str) -> Any:
        body = {**SEED_EXAMPLE, "trackingReference": reference}
        return posten.post(EVENTS, json=body, headers=user_of(tenant))

    assert post("NORTH1").status_code == 200
    assert_error(post("SOUTH1"), 403, "Access denied", ["trackingReference"])
    assert_error(post("NOSHOP1"), 403, "Access denied", ["trackingReference"])
    assert event_count(container) == 1
    # The limit lifted: every shop of the account again.
    accounts.limit_user_to_shops(
        uow=container.uow(), account_id=tenant.account_id, username=tenant.username, shop_ids=[]
    )
    assert post("SOUTH1").status_code == 200


# --- 405: "This API request used the wrong HTTP verb/method" ------------------------------


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_error_handling_405_for_a_wrong_method_says_which_are_allowed(
    posten: TestClient, tenant: Tenant, method: str
) -> None:
    answer = posten.request(method, EVENTS, json=SEED_EXAMPLE, headers=user_of(tenant))
    assert_error(answer, 405, "Method not allowed", [])
    assert set(answer.headers["allow"].replace(" ", "").split(",")) == {"GET", "POST"}


def test_a_replayed_event_is_stored_once(
    posten: TestClient, tenant: Tenant, container: Container
) -> None:
    register_parcel(posten, tenant.headers, REFERENCE)
    for _ in range(3):
        assert posten.post(EVENTS, json=SEED_EXAMPLE, headers=user_of(tenant)).status_code == 200
    assert event_count(container) == 1
    log = posten.get(EVENTS, params={"trackingReference": REFERENCE}, headers=user_of(tenant))
    assert [json.dumps(e["eventType"]) for e in log.json()["events"]] == ['"013"']
