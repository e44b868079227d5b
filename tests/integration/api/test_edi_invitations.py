"""/v1/edi/invitations: an account records the invitations it sent to EDI receivers, the
print room's operator reports their statuses, and the account's Ekopost update takes the
reports in (docs/dialects/ekopost.md, EDI)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from postroom.bootstrap import Container
from postroom.domain.edi import SenderDetails
from postroom.services import accounts, edi
from postroom.storage import tables
from tests.conftest import Tenant

PATH = "/v1/edi/invitations"


def _invitations(container: Container) -> int:
    with container.engine.connect() as conn:
        query = select(func.count()).select_from(tables.edi_invitations)
        return int(conn.execute(query).scalar_one())


def _with_sender(container: Container, tenant: Tenant) -> None:
    accounts.change_contract(uow=container.uow(), account_id=tenant.account_id, add=["edi"])
    edi.save_sender(
        uow=container.uow(),
        clock=container.clock,
        account_id=tenant.account_id,
        details=SenderDetails(name="Exempel AB", cin="556838-4118"),
    )


def test_an_invitation_is_recorded_reported_by_the_operator_and_updated(
    idle_client: TestClient, tenant: Tenant, operator: Tenant, container: Container
) -> None:
    # Without an EDI sender there is nobody to invite from.
    early = idle_client.post(PATH, json={"receiver_cin": "202100-5489"}, headers=tenant.headers)
    assert early.status_code == 409, early.text
    assert early.json()["error"]["code"] == "no_edi_sender"
    _with_sender(container, tenant)
    bad = idle_client.post(PATH, json={"receiver_cin": "202100-5488"}, headers=tenant.headers)
    assert bad.status_code == 422, bad.text
    assert bad.json()["error"]["code"] == "invalid_edi_invitation"
    assert _invitations(container) == 0

    created = idle_client.post(PATH, json={"receiver_cin": "202100-5489"}, headers=tenant.headers)
    assert created.status_code == 201, created.text
    invitation = created.json()
    assert (invitation["receiver_cin"], invitation["status"], invitation["status_name"]) == (
        "2021005489",
        1001,
        "registered",
    )
    again = idle_client.post(PATH, json={"receiver_cin": "2021005489"}, headers=tenant.headers)
    assert again.status_code == 409 and again.json()["error"]["code"] == "invitation_exists"
    listed = idle_client.get(PATH, headers=tenant.headers).json()["data"]
    assert [i["id"] for i in listed] == [invitation["id"]]

    status_path = f"{PATH}/{invitation['id']}/status"
    # Only the operator reports: the account itself gets 404.
    own = idle_client.post(status_path, json={"status": "sent"}, headers=tenant.headers)
    assert own.status_code == 404, own.text
    for status in ("sent", 1005):
        reported = idle_client.post(status_path, json={"status": status}, headers=operator.headers)
        assert reported.status_code == 200, reported.text
    assert (reported.json()["status"], reported.json()["reported"]) == (1001, 1005)
    wrong = idle_client.post(status_path, json={"status": "nonsense"}, headers=operator.headers)
    assert wrong.status_code == 422, wrong.text
    illegal = idle_client.post(status_path, json={"status": 1001}, headers=operator.headers)
    assert illegal.status_code == 409, illegal.text

    [updated] = idle_client.post("/ekopost/edi/invitations/update", headers=tenant.headers).json()
    assert updated["Status"] == "1005"
    [after] = idle_client.get(PATH, headers=tenant.headers).json()["data"]
    assert (after["status"], after["status_name"], after["reported"]) == (
        1005,
        "connection_approved",
        None,
    )
