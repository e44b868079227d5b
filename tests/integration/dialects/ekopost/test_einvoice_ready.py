"""Seed 004, "Check Einvoice Complience" (`POST reachable/einvoiceready`): the four
parameters echoed with `Success` and an `ErrorMessage` naming each missing set-up step,
not a lookup in the reachability registry. The set-up made step by step until `Success` is
true (an EDI sender, an invitation the receiver approved) is in test_edi.py."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Tenant
from tests.integration.dialects.ekopost.helpers import assert_error

PATH = "/ekopost/reachable/einvoiceready"
PARTIES = {
    "ReceiverCin": "202100-5489",
    "SenderCin": "5568384118",
    "ReceiverGln": "4000001000005",
    "SenderGln": "7350053850019",
}
SENDER_MISSING = "The sender is not set up for EDI invoices: create the sender first."
RECEIVER_MISSING = (
    "The receiver has not approved a connection: send it an invitation and wait for its approval."
)


def test_well_formed_parties_are_echoed_with_the_missing_setup_steps(
    eko: TestClient, tenant: Tenant
) -> None:
    # The reachability registry knowing the receiver does not make the set-up complete.
    registered = eko.post(
        "/v1/reachability",
        json={"kind": "einvoice", "recipients": ["202100-5489"]},
        headers=tenant.headers,
    )
    assert registered.status_code == 201, registered.text
    answer = eko.post(PATH, json=PARTIES, headers=tenant.headers)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        **PARTIES,
        "Success": False,
        "ErrorMessage": f"{SENDER_MISSING} {RECEIVER_MISSING}",
    }


def test_identifiers_are_checked_before_the_setup(eko: TestClient, tenant: Tenant) -> None:
    body = {"SenderCin": "5568384119", "SenderGln": None, "ReceiverGln": "7300009043213"}
    answer = eko.post(PATH, json=body, headers=tenant.headers)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "ReceiverCin": "",
        "SenderCin": "5568384119",
        "ReceiverGln": "7300009043213",
        "SenderGln": "",
        "Success": False,
        "ErrorMessage": (
            "SenderCin is not an organisation number (a wrong check digit). "
            "ReceiverGln is not a global location number (a wrong check digit)."
        ),
    }
    nobody = eko.post(PATH, json={}, headers=tenant.headers).json()
    assert nobody["ErrorMessage"] == (
        "SenderCin or SenderGln is required. ReceiverCin or ReceiverGln is required."
    )


def test_a_wrong_type_is_127_and_no_credentials_0(eko: TestClient, tenant: Tenant) -> None:
    assert_error(eko.post(PATH, json={"SenderCin": 5568384118}, headers=tenant.headers), 400, "127")
    assert_error(eko.post(PATH, json=PARTIES), 400, "0")
