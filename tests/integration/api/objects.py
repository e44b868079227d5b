"""Account A's objects of every kind, made for tests that call every route with real ids
(the cross-account matrix, the schema fuzz), and the credential forms a tenant can use."""

from __future__ import annotations

import base64
import io
import re
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from postroom.bootstrap import Container
from postroom.dialects.base import AuthForm
from postroom.domain.edi import SenderDetails
from postroom.domain.model import Lot
from postroom.domain.states import LotState
from postroom.domain.tracking import Proof, ProofKind
from postroom.services import accounts, edi, webhooks
from postroom.storage import tables
from tests.conftest import RECIPIENT, Tenant
from tests.integration.api.helpers import send_letter
from tests.integration.dialects.mdelivery.helpers import create_order, register_service
from tests.support.pdfs import make_pdf

Headers = dict[str, str]

# Path parameter name -> the field of VictimObjects that fills it.
PARAM_OBJECTS = {
    "letter_id": "letter_id",
    "key_id": "api_key_id",
    "document_id": "document_id",
    "batch_id": "batch_id",
    "page": "page",
    "lot_id": "lot_id",
    "shipment_id": "shipment_id",
    "proof_id": "proof_id",
    "endpoint_id": "endpoint_id",
    "delivery_id": "delivery_id",
    "event_batch_id": "event_batch_id",
    "order_id": "order_id",
    "sms_id": "sms_id",
    "list_id": "address_list_id",
    "invitation_id": "invitation_id",
    "name": "lot_file",
    "fui": "ebank_fui",
    "identifier": "peppol_participant",
}
PARAM = re.compile(r"{(\w+)(?::\w+)?}")


@dataclass(frozen=True)
class VictimObjects:
    """Account A's objects that account B tries to read and change."""

    letter_id: str
    api_key_id: str
    document_id: str
    batch_id: str
    lot_id: str = ""  # lots are the operator's: A is made one, B is not
    page: str = "1"
    shipment_id: str = ""
    proof_id: str = ""
    endpoint_id: str = ""
    delivery_id: str = ""
    event_batch_id: str = ""
    order_id: str = ""
    sms_id: str = ""
    address_list_id: str = ""
    invitation_id: str = ""  # an EDI invitation A sent (its status: the operator's to report)
    lot_file: str = "print.pdf"  # a lot's file (the victim lot has none yet: 409 for A)
    ebank_fui: str = ""  # an e-bank sender's FUI number
    peppol_participant: str = ""  # a Peppol participant's identifier


def fill(path: str, objects: VictimObjects) -> str:
    """The path template with A's object ids in place of its parameters."""

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in PARAM_OBJECTS:
            pytest.fail(
                f"{path} has the path parameter {{{name}}}, which this test cannot fill: "
                "add it to PARAM_OBJECTS (and the object to VictimObjects)"
            )
        return str(getattr(objects, PARAM_OBJECTS[name]))

    return PARAM.sub(one, path)


@pytest.fixture(name="victim")
def victim_fixture(idle_client: TestClient, container: Container, tenant: Tenant) -> VictimObjects:
    """A letter (still cancellable where the pipeline stands still) and a spare API key of A's."""
    letter = send_letter(idle_client, tenant)
    key, _ = accounts.create_api_key(
        uow=container.uow(), clock=container.clock, account_id=tenant.account_id, name="spare"
    )
    document = idle_client.post(
        "/v1/documents",
        headers=tenant.headers,
        files={"file": ("a.pdf", make_pdf(1), "application/pdf")},
    ).json()
    batch = idle_client.post("/v1/batches", headers=tenant.headers, json={"name": "A's"}).json()
    endpoint = make_endpoint(container, tenant)
    register_service(idle_client, tenant)
    events = idle_client.post(
        "/v1/tracking/events",
        headers=tenant.headers,
        json={"reference": "VICTIM1", "time": "2026-05-04T08:00:00+02:00", "code": "003"},
    )
    assert events.status_code == 200, events.text
    queued = idle_client.post(
        "/v1/tracking/events",
        headers={**tenant.headers, "Prefer": "respond-async"},
        json={"reference": "VICTIM2", "time": "2026-05-04T08:00:00+02:00", "code": "003"},
    )
    assert queued.status_code == 202, queued.text
    sms = idle_client.post(
        "/v1/sms",
        headers=tenant.headers,
        json={"sender": "Postroom", "text": "A's", "recipients": ["+46701000001"]},
    )
    assert sms.status_code == 201, sms.text
    with container.uow() as uow:
        account = uow.accounts.get(tenant.account_id)
        assert account is not None
        account.operator = True
        lot = Lot(created_at=container.clock.now(), state=LotState.COMPOSED)
        uow.lots.add(lot)
        shipment = uow.shipments.by_reference(tenant.account_id, "VICTIM1")
        assert shipment is not None
        sha, size = container.blobs.put(io.BytesIO(b"%PDF-1.4 proof"))
        proof = Proof(
            account_id=tenant.account_id,
            shipment_id=shipment.id,
            kind=ProofKind.CERTIF,
            blob_sha256=sha,
            size_bytes=size,
            created_at=container.clock.now(),
        )
        uow.shipments.add(proof)
        uow.commit()
    with container.engine.connect() as conn:
        delivery_id = conn.execute(
            select(tables.webhook_deliveries.c.id).where(
                tables.webhook_deliveries.c.endpoint_id == endpoint
            )
        ).scalar()
    assert delivery_id, "the shipment's change made no webhook delivery"
    return VictimObjects(
        letter_id=letter["id"],
        api_key_id=key.id,
        document_id=document["id"],
        batch_id=batch["id"],
        lot_id=lot.id,
        shipment_id=shipment.id,
        proof_id=proof.id,
        endpoint_id=endpoint,
        delivery_id=delivery_id,
        event_batch_id=queued.json()["id"],
        order_id=create_order(idle_client, tenant, reference="o-isolation")["id"],
        sms_id=sms.json()["id"],
        address_list_id=make_address_list(idle_client, tenant),
        ebank_fui=make_ebank_sender(idle_client, tenant),
        peppol_participant=make_peppol_participant(idle_client, tenant),
        invitation_id=make_invitation(container, tenant),
    )


def make_ebank_sender(client: TestClient, tenant: Tenant) -> str:
    """An e-bank sender of A's, with one receiver; its FUI number."""
    made = client.post(
        "/v1/reachability/ebank-senders",
        headers=tenant.headers,
        json={"fui": "5501234", "receivers": ["FMI1"]},
    )
    assert made.status_code == 200, made.text
    return str(made.json()["fui"])


def make_peppol_participant(client: TestClient, tenant: Tenant) -> str:
    """A Peppol participant in A's registry; its identifier."""
    made = client.post(
        "/v1/peppol/participants",
        headers=tenant.headers,
        json={"identifier": "0007:5568384118", "name": "A's buyer", "country": "SE"},
    )
    assert made.status_code == 201, made.text
    return str(made.json()["identifier"])


def make_address_list(client: TestClient, tenant: Tenant) -> str:
    """An address list of A's, of one address."""
    made = client.post(
        "/v1/address-lists",
        headers=tenant.headers,
        json={"name": "A's list", "addresses": [RECIPIENT]},
    )
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


def make_invitation(container: Container, tenant: Tenant) -> str:
    """An EDI invitation of A's (EDI in its contract, a sender set up)."""
    accounts.change_contract(uow=container.uow(), account_id=tenant.account_id, add=["edi"])
    edi.save_sender(
        uow=container.uow(),
        clock=container.clock,
        account_id=tenant.account_id,
        details=SenderDetails(name="A AB", cin="556838-4118"),
    )
    invitation = edi.invite(
        uow=container.uow(),
        clock=container.clock,
        account_id=tenant.account_id,
        receiver_cin="202100-5489",
        receiver_gln="",
    )
    return invitation.id


def make_endpoint(container: Container, tenant: Tenant) -> str:
    """A webhook endpoint of A's (on a closed local port: it is never reached here)."""
    endpoint, _ = webhooks.create_endpoint(
        uow=container.uow(),
        clock=container.clock,
        account_id=tenant.account_id,
        url="http://127.0.0.1:9/hook",
        allow_private=True,
    )
    return endpoint.id


def credential_forms(client: TestClient, tenant: Tenant) -> dict[str, tuple[AuthForm, Headers]]:
    """Every way the tenant can present itself: its API key, its password, a session."""
    session = client.post(
        "/v1/sessions", json={"username": tenant.username, "password": tenant.password}
    )
    assert session.status_code == 201, session.text
    token = session.json()["token"]
    basic = base64.b64encode(f"{tenant.username}:{tenant.password}".encode()).decode()
    forms = {
        "api-key": (AuthForm.API_KEY, {"Authorization": f"api-key {tenant.api_key}"}),
        "basic": (AuthForm.BASIC, {"Authorization": f"Basic {basic}"}),
        "bearer key": (AuthForm.BEARER, {"Authorization": f"Bearer {tenant.api_key}"}),
        "bearer session": (AuthForm.BEARER, {"Authorization": f"Bearer {token}"}),
        "x-auth-token": (AuthForm.AUTH_TOKEN, {"X-Auth-Token": token}),
    }
    assert {form for form, _ in forms.values()} == set(AuthForm), "a credential form is missing"
    return forms
