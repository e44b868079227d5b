"""Seed 004, "EDI - Invoice integration": Create sender (kept per account, 136 without EDI
in the contract, 127 naming a wrong field), the invitations an operator records and whose
statuses it reports (`postroom edi invitation create / set-status`), listed as sent
(`GET edi/invitations`) and updated (`POST edi/invitations/update`); and the compliance
check (`POST reachable/einvoiceready`) reading that set-up."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from postroom.bootstrap import Container
from postroom.cli.main import app as cli
from postroom.domain.edi import EdiSender, SenderDetails
from postroom.domain.errors import RetryableError
from postroom.services import accounts, edi
from postroom.services.retry import retrying
from postroom.storage import tables
from tests.conftest import Tenant
from tests.integration.dialects.ekopost.helpers import assert_error

SENDER = {
    "Name": "Exempel AB",
    "Address1": "Storgatan 1",
    "Address2": None,
    "Zip_Code": "111 22",
    "City": "Stockholm",
    "Country_Code": "SE",
    "Contact_Name": "Anna Svensson",
    "Phone": "+46 8 123 456",
    "Email": "faktura@exempel.se",
    "CIN": "556838-4118",
    "GLN": "7350053850019",
    "VAT": "SE556838411801",
    "Bank_Giro": "5050-1055",
    "Plus_Giro": "",
    "IBAN": "SE45 5000 0000 0583 9825 7466",
    "BIC": "ESSESESS",
}
RECEIVER_CIN = "202100-5489"
PARTIES = {
    "SenderCin": "5568384118",
    "ReceiverCin": RECEIVER_CIN,
    "SenderGln": "",
    "ReceiverGln": "",
}
SENDER_MISSING = "The sender is not set up for EDI invoices: create the sender first."
RECEIVER_MISSING = (
    "The receiver has not approved a connection: send it an invitation and wait for its approval."
)


def _count(container: Container, table: Any) -> int:
    with container.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _with_edi(container: Container, tenant: Tenant) -> None:
    accounts.change_contract(uow=container.uow(), account_id=tenant.account_id, add=["edi"])


def _env(container: Container) -> dict[str, str]:
    """The CLI's settings: the test's data folder and database."""
    settings = container.settings
    env = {"POSTROOM_DATA_DIR": str(settings.data_dir)}
    if settings.database_url:
        env["POSTROOM_DATABASE_URL"] = settings.database_url
    return env


def _cli(container: Container, *args: str) -> dict[str, Any]:
    """Run `postroom ...` on the test's database; its JSON answer."""
    result = CliRunner().invoke(cli, list(args), env=_env(container))
    assert result.exit_code == 0, result.output
    answer: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return answer


def test_create_sender_keeps_the_seeds_fields_and_answers_a_message(
    eko: TestClient, tenant: Tenant, container: Container
) -> None:
    _with_edi(container, tenant)
    created = eko.post("/ekopost/edi/sender", json=SENDER, headers=tenant.headers)
    assert created.status_code == 200, created.text
    assert created.json() == {"message": "The sender 5568384118 was created."}
    with container.engine.connect() as conn:
        row = conn.execute(select(tables.edi_senders)).one()._mapping
    assert row["account_id"] == tenant.account_id
    assert (row["cin"], row["gln"], row["name"]) == ("5568384118", "7350053850019", "Exempel AB")
    assert (row["zip_code"], row["city"], row["country_code"]) == ("111 22", "Stockholm", "SE")
    assert (row["email"], row["iban"], row["bic"]) == (
        "faktura@exempel.se",
        "SE4550000000058398257466",
        "ESSESESS",
    )
    assert (row["address2"], row["plus_giro"], row["bank_giro"]) == ("", "", "5050-1055")
    # The same organisation number again updates that sender.
    again = eko.post(
        "/ekopost/edi/sender", json={**SENDER, "City": "Göteborg"}, headers=tenant.headers
    )
    assert again.json() == {"message": "The sender 5568384118 was updated."}
    with container.engine.connect() as conn:
        assert conn.execute(select(tables.edi_senders.c.city)).scalars().all() == ["Göteborg"]


def test_create_sender_without_edi_in_the_contract_is_136(
    eko: TestClient, tenant: Tenant, container: Container
) -> None:
    refused = eko.post("/ekopost/edi/sender", json=SENDER, headers=tenant.headers)
    assert_error(refused, 400, "136")
    assert refused.json()["error_message"] == "Invalid contract"
    assert "edi" in refused.json()["developer_message"]
    assert _count(container, tables.edi_senders) == 0


@pytest.mark.parametrize(
    "change, code, field",
    [
        ({"Name": ""}, "127", "Name"),
        ({"Name": None}, "127", "Name"),
        ({"CIN": None}, "127", "CIN"),
        ({"CIN": "556838-4119"}, "127", "CIN"),
        ({"CIN": "55683841"}, "127", "CIN"),
        ({"GLN": "7350053850018"}, "127", "GLN"),
        ({"BIC": "X" * 12}, "127", "BIC"),
        ({"Country_Code": "XX"}, "112", "XX"),
        ({"Email": "faktura.exempel.se"}, "123", "faktura.exempel.se"),
    ],
)
def test_a_wrong_sender_field_is_refused_naming_it_and_nothing_is_stored(
    eko: TestClient,
    tenant: Tenant,
    container: Container,
    change: dict[str, Any],
    code: str,
    field: str,
) -> None:
    _with_edi(container, tenant)
    refused = eko.post("/ekopost/edi/sender", json={**SENDER, **change}, headers=tenant.headers)
    assert_error(refused, 400, code)
    assert field in refused.json()["developer_message"]
    assert _count(container, tables.edi_senders) == 0


def test_invitations_are_listed_with_the_statuses_taken_in_by_the_update(
    eko: TestClient, tenant: Tenant, other_tenant: Tenant, container: Container
) -> None:
    _with_edi(container, tenant)
    assert eko.get("/ekopost/edi/invitations", headers=tenant.headers).json() == []
    # Checked step by step: nothing set up, then the sender, then the receiver.
    first = eko.post("/ekopost/reachable/einvoiceready", json=PARTIES, headers=tenant.headers)
    assert first.json()["ErrorMessage"] == f"{SENDER_MISSING} {RECEIVER_MISSING}"
    assert eko.post("/ekopost/edi/sender", json=SENDER, headers=tenant.headers).status_code == 200
    second = eko.post("/ekopost/reachable/einvoiceready", json=PARTIES, headers=tenant.headers)
    assert (second.json()["Success"], second.json()["ErrorMessage"]) == (False, RECEIVER_MISSING)

    invited = _cli(
        container, "edi", "invitation", "create", tenant.account_id, "--receiver-cin", RECEIVER_CIN
    )
    assert (invited["receiver_cin"], invited["status"]) == ("2021005489", 1001)
    [listed] = eko.get("/ekopost/edi/invitations", headers=tenant.headers).json()
    assert set(listed) == {"ReceiverCin", "ReceiverGln", "DateSent", "Status"}
    assert (listed["ReceiverCin"], listed["ReceiverGln"], listed["Status"]) == (
        "2021005489",
        "",
        "1001",
    )
    assert listed["DateSent"].endswith("Z")

    # The operator reports the receiver's approval: listed once updated, not before.
    for status in ("sent", "1003", "connection_approved"):
        _cli(container, "edi", "invitation", "set-status", invited["id"], status)
    [before] = eko.get("/ekopost/edi/invitations", headers=tenant.headers).json()
    assert before["Status"] == "1001"
    still = eko.post("/ekopost/reachable/einvoiceready", json=PARTIES, headers=tenant.headers)
    assert still.json()["Success"] is False
    [updated] = eko.post("/ekopost/edi/invitations/update", headers=tenant.headers).json()
    assert updated == {**listed, "Status": "1005"}
    assert eko.get("/ekopost/edi/invitations", headers=tenant.headers).json() == [updated]

    ready = eko.post("/ekopost/reachable/einvoiceready", json=PARTIES, headers=tenant.headers)
    assert ready.status_code == 200, ready.text
    assert ready.json() == {**PARTIES, "Success": True, "ErrorMessage": ""}
    # Another account has no sender and no invitation.
    assert eko.get("/ekopost/edi/invitations", headers=other_tenant.headers).json() == []
    theirs = eko.post(
        "/ekopost/reachable/einvoiceready", json=PARTIES, headers=other_tenant.headers
    )
    assert theirs.json()["Success"] is False


def test_a_denied_invitation_takes_no_report_and_a_new_one_can_be_sent(
    eko: TestClient, tenant: Tenant, container: Container
) -> None:
    _with_edi(container, tenant)
    assert eko.post("/ekopost/edi/sender", json=SENDER, headers=tenant.headers).status_code == 200
    create = ["edi", "invitation", "create", tenant.account_id, "--receiver-gln", "4000001000005"]
    invited = _cli(container, *create)
    # A second invitation to the same receiver while the first is live: refused.
    twice = CliRunner().invoke(cli, create, env=_env(container))
    assert twice.exit_code == 1 and "invitation_exists" in twice.output
    # Denied straight from registered is not a change an invitation makes.
    skipped = CliRunner().invoke(
        cli, ["edi", "invitation", "set-status", invited["id"], "1006"], env=_env(container)
    )
    assert skipped.exit_code == 1 and "illegal_transition" in skipped.output
    for status in ("sent", "connection_denied"):
        _cli(container, "edi", "invitation", "set-status", invited["id"], status)
    [denied] = eko.post("/ekopost/edi/invitations/update", headers=tenant.headers).json()
    assert (denied["ReceiverGln"], denied["Status"]) == ("4000001000005", "1006")
    late = CliRunner().invoke(
        cli,
        ["edi", "invitation", "set-status", invited["id"], "connection_approved"],
        env=_env(container),
    )
    assert late.exit_code == 1 and "illegal_transition" in late.output
    renewed = _cli(container, *create)
    assert renewed["status"] == 1001
    assert len(eko.get("/ekopost/edi/invitations", headers=tenant.headers).json()) == 2
    listed = CliRunner().invoke(
        cli, ["edi", "invitation", "list", tenant.account_id], env=_env(container)
    )
    assert listed.exit_code == 0, listed.output
    lines = [json.loads(line) for line in listed.stdout.strip().splitlines()]
    assert {(line["id"], line["status"]) for line in lines} == {
        (invited["id"], 1006),
        (renewed["id"], 1001),
    }


def test_a_second_insert_of_the_same_cin_is_retryable_and_the_retry_updates(
    tenant: Tenant, container: Container
) -> None:
    """Two concurrent creates of one sender: the loser's insert is retried as an update."""
    _with_edi(container, tenant)
    details = SenderDetails(name="Exempel AB", cin="5568384118")
    now = container.clock.now()

    def insert(name: str) -> None:
        with container.uow() as uow:
            sender = EdiSender(
                account_id=tenant.account_id,
                details=replace(details, name=name),
                created_at=now,
                updated_at=now,
            )
            uow.edi.save_sender(sender, new=True)
            uow.commit()

    insert("first")
    with pytest.raises(RetryableError):
        insert("second")
    saved = retrying(
        lambda: edi.save_sender(
            uow=container.uow(),
            clock=container.clock,
            account_id=tenant.account_id,
            details=replace(details, name="retried"),
        )
    )
    assert saved.created is False
    with container.engine.connect() as conn:
        assert conn.execute(select(tables.edi_senders.c.name)).scalars().all() == ["retried"]
