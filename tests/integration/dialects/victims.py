"""Account A's objects in each dialect, made through the dialect's own API, for the tests
that call every route of every mount point with real ids (the cross-account matrix in
test_cross_account.py, the schema fuzz in tests/integration/api/test_schema_fuzz.py)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient

from tests.integration.dialects.click2mail import helpers as c2m
from tests.integration.dialects.ekopost.helpers import (
    POSTAL,
    content_body,
    create_campaign,
    window_letter,
)
from tests.integration.dialects.mdelivery import helpers as md
from tests.integration.dialects.nirva import helpers as nirva

Ids = dict[str, str]


@dataclass(frozen=True)
class Victim:
    """Account A's objects, made through the dialect's own API."""

    ids: Ids  # the id for each path parameter
    watched: list[str]  # paths whose answers to A must not change while B tries
    bodies: dict[str, Any]  # a valid JSON body for the routes that want one: "METHOD path"
    # Routes that name A's object in the query or the body, not the path: "METHOD path" ->
    # the request's keyword arguments (params=, json=) for given ids.
    named: dict[str, Callable[[Ids], dict[str, Any]]] = field(default_factory=dict)


VictimMaker = Callable[[TestClient, dict[str, str]], Victim]


def ekopost_victim(client: TestClient, headers: dict[str, str]) -> Victim:
    campaign = create_campaign(client, headers)
    envelope = client.post(
        f"/ekopost/campaigns/{campaign}/envelopes", json={"name": "E"}, headers=headers
    )
    assert envelope.status_code == 200, envelope.text
    base = f"/ekopost/campaigns/{campaign}/envelopes/{envelope.json()['id']}"
    content = client.post(f"{base}/content", json=content_body(window_letter()), headers=headers)
    assert content.status_code == 200, content.text
    sms_body = {
        "FromName": "Kommunen",
        "recipients": ["+46701000001"],
        "mime": "text/plain",
        "data": base64.b64encode(b"Hej").decode("ascii"),
    }
    sms = client.post("/ekopost/sms", json=sms_body, headers=headers)
    assert sms.status_code == 200, sms.text
    ids = {
        "campaign_id": campaign,
        "envelope_id": envelope.json()["id"],
        "content_id": content.json()["id"],
        "sms_id": sms.json()["id"],
    }
    envelopes = "/ekopost/campaigns/{campaign_id}/envelopes"
    return Victim(
        ids,
        [
            f"/ekopost/campaigns/{campaign}",
            base,
            f"{base}/content/{ids['content_id']}",
            f"/ekopost/sms/{ids['sms_id']}",
        ],
        {
            "POST /ekopost/sms": sms_body,
            "POST /ekopost/campaigns": {"name": "C2", "cost_center": "CC-1", "signing": False},
            f"POST {envelopes}": {"name": "E2", "address": POSTAL, "color": False},
            f"POST {envelopes}/{{envelope_id}}/content": content_body(window_letter()),
            "POST /ekopost/reachable/peppol": {"Recipient": "Ekopost AB"},
            "POST /ekopost/reachable/ebanklist": {"sender": "1234567"},
        },
    )


def mdelivery_victim(client: TestClient, headers: dict[str, str]) -> Victim:
    # Orders are the provider's, made through /v1 (the hub's API only reads and moves them).
    service = client.post(
        "/v1/delivery-services",
        json={"service_id": md.SERVICE, "pickup_points": ["string"], "products": ["string"]},
        headers=headers,
    )
    assert service.status_code == 200, service.text
    order = client.post("/v1/orders", json=md.order_body(), headers=headers)
    assert order.status_code == 201, order.text
    status = "{serviceID}/orders/{orderID}/delivery/status"
    return Victim(
        {"serviceID": md.SERVICE, "orderID": md.ORDER},
        [f"/v1/orders/{order.json()['id']}"],  # its status and history as A sees them
        {
            f"PUT /mdelivery/api/v1/delivery/services/{status}": md.SEED_STATUS_BODY,
            f"PUT /mdelivery/auth/api/v1/delivery/services/{status}": md.SEED_STATUS_BODY,
        },
    )


POSTEN_PARCEL = "370724762199990001"


def _posten_reference(ids: Ids) -> str:
    # A parcel reference is at most 35 characters: an id made for the test (a UUID) fits
    # once its dashes go; A's own reference has none.
    return ids["trackingReference"].replace("-", "")[:35]


def posten_victim(client: TestClient, headers: dict[str, str]) -> Victim:
    # Parcels are booked elsewhere: A registers one through the native API and a carrier
    # event on it, which Posten's callers then write to and read.
    shipment = client.post("/v1/shipments", json={"reference": POSTEN_PARCEL}, headers=headers)
    assert shipment.status_code == 201, shipment.text
    event = {"reference": POSTEN_PARCEL, "time": "2022-08-04T10:00:00+01:00", "code": "001"}
    stored = client.post("/v1/tracking/events", json=event, headers=headers)
    assert stored.status_code == 200, stored.text
    body = {
        "trackingReference": POSTEN_PARCEL,
        "eventTime": "2022-08-04T12:51:00+01:00",
        "locationContext": "my postalname",
        "eventType": "013",
        "message": "Delivered",
    }
    return Victim(
        {"trackingReference": POSTEN_PARCEL},
        [f"/v1/shipments/{shipment.json()['id']}/events", f"/v1/shipments/{shipment.json()['id']}"],
        {"POST /posten/v1/events": body},
        {
            "POST /posten/v1/events": lambda ids: {
                "json": {**body, "trackingReference": _posten_reference(ids)}
            },
            "GET /posten/v1/events": lambda ids: {
                "params": {"trackingReference": _posten_reference(ids)}
            },
        },
    )


def nirva_victim(client: TestClient, headers: dict[str, str]) -> Victim:
    # Nirva takes only its own session token: A logs in as make_tenant's user of the
    # account the key belongs to ("tenant-a", the name both matrices give A).
    account = client.get("/v1/account", headers=headers).json()["name"]
    login = {"login": f"{account}-user", "password": f"{account}-password-123"}
    session = client.post("/nirva/authentication/authenticate", json=login)
    assert session.status_code == 200, session.text
    token = {"X-Auth-Token": session.json()["result"]["token"]}
    services = client.get("/v1/services", headers=headers, params={"ref": nirva.SERVICE})
    service_id = services.json()["data"][0]["id"]
    job = nirva.post_job(
        client, token,
        {"jobName": "J", "serviceId": service_id, "autocreateDeliveryCommand": False},
        {f"file_mainMAIN_{i}": nirva.letter(nirva.ADDRESSES[i]) for i in (0, 1)},
    )  # fmt: skip
    assert job.status_code == 200, job.text
    job_id = job.json()["result"]["jobId"]
    groups = client.get(f"/nirva/jobs/{job_id}/packGroups", headers=token).json()["result"]
    raw = {"POSTAL_ADDRESS_RECIPIENT": {"@type": "exv.Value", "value": nirva.LYON}}
    return Victim(
        # A shipment's id is its pack group's: another group's, so that each id is one name.
        {"jobId": job_id, "packGroupId": groups[0]["id"], "shipmentId": groups[1]["id"]},
        [f"/v1/batches/{job_id}", f"/v1/batches/{job_id}/pieces"],
        {
            "POST /nirva/packGroups/{packGroupId}/edit": {"rawValues": raw},
            "POST /nirva/deliveries/commands": {"jobId": job_id},
            "POST /nirva/authentication/authenticate": {**login, "withProfileDetail": True},
        },
        {
            "GET /nirva/deliveries": lambda ids: {"params": {"jobId": ids["jobId"]}},
            "POST /nirva/deliveries/CheckOptions": lambda ids: {"params": {"jobId": ids["jobId"]}},
            "POST /nirva/deliveries/commands": lambda ids: {"json": {"jobId": ids["jobId"]}},
        },
    )


def click2mail_victim(client: TestClient, headers: dict[str, str]) -> Victim:
    # A's document, address list and job, made through /molpro with A's API key.
    document = c2m.upload_document_with(client, headers)
    address_list = c2m.create_address_list_with(client, headers)
    job = client.post(
        "/molpro/jobs",
        headers=headers,
        data={**c2m.SEED_JOB, "documentId": document, "addressId": address_list},
    )
    assert job.status_code == 201, job.text
    return Victim(
        {
            "document_id": document,
            "address_list_id": address_list,
            "job_id": str(c2m.xml(job)["id"]),
        },
        ["/v1/address-lists", "/v1/account"],  # A's list, its credit and spend
        {},
    )


VICTIMS: dict[str, VictimMaker] = {
    "ekopost": ekopost_victim,
    "mdelivery": mdelivery_victim,
    "nirva": nirva_victim,
    "posten": posten_victim,
    "click2mail": click2mail_victim,
}
# Path parameters that name no account's object (the same for every caller).
# `path`: a dialect's fallback for paths it does not have (Ekopost's router.unknown_path).
NOT_IDS = {"kind": "einbox", "path": "no/such/path", "trackingName": "CERTIF"}
