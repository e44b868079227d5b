"""Address objects of the hand-off types as an Ekopost client writes them (the seed's
fields), with identifiers that pass their checks, and the e-bank sender they need."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

FUI = "1234567"
EINVOICE = {
    "$type": "einvoice",
    "format": "peppol-bis-billing-3.0",
    "sender": "556838-4118",
    "sender_type": "SE.REGNO",
    "recipient": "7350053850019",
    "recipient_type": "GS1.GLN",
    "intermediator": "peppol",
}
EBANK = {
    "$type": "ebank",
    "recipient": "FMI-99887766",
    "customer_number": "10042",
    "customer_name": "Anna Svensson",
    "invoice_number": "F-2026-0042",
    "reference_type": "ocr",
    "reference_value": "4200010042",
    "giro_number": "56781234",
    "autogiro": False,
    "amount": "1250.00",
    "invoice_date": "2026-12-01",
    "due_date": "2026-12-31",
    "issuer": FUI,
}
SIGNER = {
    "$type": "einbox_signer",
    "info_mail": "avtal@example.se",
    "signers": [
        {"email": "chef@example.se", "recipient": "811218-9876", "issuer": True},
        {"email": "anna@example.se", "recipient": "121212-1212", "issuer": False},
    ],
}
MASTERCARD = {
    "$type": "einvoice_mastercard",
    "sender_id": "kund-7",
    "kid": "0042000123",
    "credit_account": "12345678903",
    "issuer": "Kommunen",
    "shipment_id": "0f8fad5b-d9cb-469f-a165-70867728950e",
    "account_number": "12345678903",
    "amount": 1250.5,
    "due_date": "2026-12-31T00:00:00Z",
    "payment_type": "EFAKTURA",
    "document_type": 0,
    "efaktura_identifier": "EF-778899",
    "brand_name": "Kommunen",
    "atg_notification": False,
}
ADDRESSES: dict[str, dict[str, Any]] = {
    "einvoice": EINVOICE,
    "ebank": EBANK,
    "einbox_signer": SIGNER,
    "einvoice_mastercard": MASTERCARD,
}


def register_fui(
    client: TestClient, headers: dict[str, str], receivers: list[str], fui: str = FUI
) -> None:
    """The account's e-bank sender, with these receivers, over the native API."""
    answer = client.post(
        "/v1/reachability/ebank-senders", json={"fui": fui, "receivers": receivers}, headers=headers
    )
    assert answer.status_code == 200, answer.text
