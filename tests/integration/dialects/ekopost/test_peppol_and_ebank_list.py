"""Ekopost's Peppol lookup and ebank list (issue 18), against registries the account keeps
in Postroom (no Peppol directory or bank is reached): participants registered over
/v1/peppol/participants and found by name, organisation number or VAT number, answered in
the Peppol Directory's JSON; e-bank senders (FUI numbers) and their receivers registered
over /v1/reachability/ebank-senders, answered with 124 and 125 as the seed says."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Tenant
from tests.integration.dialects.ekopost.handoff_cases import register_fui
from tests.integration.dialects.ekopost.helpers import assert_error

INVOICE = (
    "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2::Invoice##urn:cen.eu:en16931:2017"
    "#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0::2.1"
)


def _register(client: TestClient, tenant: Tenant, identifier: str, name: str) -> None:
    answer = client.post(
        "/v1/peppol/participants",
        json={"identifier": identifier, "name": name, "country": "SE", "document_types": [INVOICE]},
        headers=tenant.headers,
    )
    assert answer.status_code == 201, answer.text


def _lookup(client: TestClient, tenant: Tenant, recipient: str) -> list[str]:
    answer = client.post(
        "/ekopost/reachable/peppol", json={"Recipient": recipient}, headers=tenant.headers
    )
    assert answer.status_code == 200, answer.text
    return [m["participantID"]["value"] for m in answer.json()["matches"]]


def test_peppol_lookup_answers_the_directorys_json_for_a_registered_participant(
    eko: TestClient, tenant: Tenant
) -> None:
    _register(eko, tenant, "0007:5568384118", "Ekopost AB")
    answer = eko.post(
        "/ekopost/reachable/peppol", json={"Recipient": "Ekopost"}, headers=tenant.headers
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["total-result-count"] == 1 and body["query-terms"] == "Ekopost"
    (match,) = body["matches"]
    assert match["participantID"] == {"scheme": "iso6523-actorid-upis", "value": "0007:5568384118"}
    assert match["docTypes"] == [{"scheme": "busdox-docid-qns", "value": INVOICE}]
    (entity,) = match["entities"]
    assert entity["name"] == [{"name": "Ekopost AB"}] and entity["countryCode"] == "SE"


def test_peppol_lookup_finds_by_name_organisation_number_and_vat_number(
    eko: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    _register(eko, tenant, "0007:5568384118", "Ekopost AB")
    _register(eko, tenant, "0088:7350053850019", "Kommunen Norrby")
    _register(eko, other_tenant, "0007:2120000142", "Ekopost Konkurrent")
    assert _lookup(eko, tenant, "ekopost") == ["0007:5568384118"]
    assert _lookup(eko, tenant, "5568384118") == ["0007:5568384118"]
    assert _lookup(eko, tenant, "SE556838411801") == ["0007:5568384118"]  # its VAT number
    assert _lookup(eko, tenant, "7350053850019") == ["0088:7350053850019"]
    assert _lookup(eko, tenant, "Nobody Inc") == []  # no match: an empty list, as the directory
    assert _lookup(eko, tenant, "2120000142") == []  # another account's registry


def test_peppol_lookup_without_a_search_string_is_119(eko: TestClient, tenant: Tenant) -> None:
    answer = eko.post("/ekopost/reachable/peppol", json={}, headers=tenant.headers)
    assert_error(answer, 400, "119")
    assert answer.json()["error_message"] == "Missing recipient."
    assert_error(
        eko.post("/ekopost/reachable/peppol", json={"Recipient": 5.5}, headers=tenant.headers),
        400,
        "127",
    )


def test_the_native_peppol_registry_lists_replaces_and_removes(
    eko: TestClient, tenant: Tenant
) -> None:
    _register(eko, tenant, "iso6523-actorid-upis::0007:5568384118", "Ekopost")
    _register(eko, tenant, "0007:5568384118", "Ekopost AB")  # replaces
    listed = eko.get("/v1/peppol/participants", headers=tenant.headers).json()
    assert [(p["identifier"], p["name"]) for p in listed] == [("0007:5568384118", "Ekopost AB")]
    found = eko.get("/v1/peppol/participants?q=ekopost ab", headers=tenant.headers).json()
    assert [p["identifier"] for p in found] == ["0007:5568384118"]
    bad = eko.post(
        "/v1/peppol/participants",
        json={"identifier": "5568384118", "name": "X", "country": "SE"},
        headers=tenant.headers,
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_participant"
    gone = eko.delete("/v1/peppol/participants/0007:5568384118", headers=tenant.headers)
    assert gone.status_code == 204
    again = eko.delete("/v1/peppol/participants/0007:5568384118", headers=tenant.headers)
    assert again.status_code == 404
    assert eko.get("/v1/peppol/participants", headers=tenant.headers).json() == []


def test_ebank_list_answers_the_receivers_of_a_registered_fui(
    eko: TestClient, tenant: Tenant
) -> None:
    register_fui(eko, tenant.headers, ["FMI-1", "FMI 2", "FMI-1"], fui="5501234")
    answer = eko.post(
        "/ekopost/reachable/ebanklist", json={"sender": "5501234"}, headers=tenant.headers
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"recipient": ["FMI1", "FMI2"]}
    listed = eko.get("/v1/reachability/ebank-senders", headers=tenant.headers).json()
    assert listed == [{"fui": "5501234", "receivers": ["FMI1", "FMI2"]}]


def test_ebank_list_is_124_for_an_unknown_fui_and_125_for_one_without_receivers(
    eko: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    register_fui(eko, other_tenant.headers, ["FMI-1"], fui="5501234")
    url = "/ekopost/reachable/ebanklist"
    unknown = eko.post(url, json={"sender": "5501234"}, headers=tenant.headers)
    assert_error(unknown, 400, "124")
    assert unknown.json()["error_message"] == "FUI-number is not registrered"
    register_fui(eko, tenant.headers, [], fui="5501234")
    empty = eko.post(url, json={"sender": "5501234"}, headers=tenant.headers)
    assert_error(empty, 400, "125")
    assert empty.json()["error_message"] == "No applicants registrered for this FUI"
    assert_error(eko.post(url, json={}, headers=tenant.headers), 400, "127")
    removed = eko.delete("/v1/reachability/ebank-senders/5501234", headers=tenant.headers)
    assert removed.status_code == 204
    assert_error(eko.post(url, json={"sender": "5501234"}, headers=tenant.headers), 400, "124")
