"""Seed 000, "Create delivery (autocreateDeliveryCommand=false)", "Editing a packgroup" and
the worked example "Sending document sometimes in 1SIDE, then in 2SIDE"; the errors the
guide warns about (the channel's name instead of its label, an option id of the other
environment, a post date after the cut-off), each with nothing stored."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from tests.conftest import Tenant
from tests.integration.dialects.nirva.helpers import (
    ADDRESSES,
    LYON,
    assert_error,
    authenticate,
    blank_letter,
    letter,
    main_box,
    option_ids,
    post_job,
    print_file,
    service_of,
)

PARIS = ZoneInfo("Europe/Paris")


class Client:
    """The seed's client: what it stores after authenticating and reading the options."""

    def __init__(self, client: TestClient, tenant: Tenant, code: str = "nirva_lettre_verte"):
        profile = authenticate(client, tenant)
        self.http = client
        self.headers = {"X-Auth-Token": profile["token"]}
        self.service = service_of(profile, code)
        self.box = main_box(self.service)
        [channel] = self.service["properties"]["channels"]
        self.label, self.channel_name = channel["label"], channel["name"]
        self.output = channel["outputFilesConfig"][0]["name"]
        self.options = option_ids(client, self.headers)

    def job(self, files: list[bytes], *, autocreate: bool = False) -> dict[str, Any]:
        response = post_job(
            self.http,
            self.headers,
            {"jobName": "MyJobName", "serviceId": self.service["id"],
             "autocreateDeliveryCommand": autocreate},
            {f"file_main{self.box}_{i}": f for i, f in enumerate(files)},
        )  # fmt: skip
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()["result"]
        return result

    def groups(self, job_id: str) -> list[dict[str, Any]]:
        got = self.http.get(f"/nirva/jobs/{job_id}/packGroups", headers=self.headers)
        assert got.status_code == 200, got.text
        result: list[dict[str, Any]] = got.json()["result"]
        return result

    def deliveries(self, job_id: str) -> list[dict[str, Any]]:
        got = self.http.get("/nirva/deliveries", params={"jobId": job_id}, headers=self.headers)
        assert got.status_code == 200, got.text
        result: list[dict[str, Any]] = got.json()["result"]
        return result

    def overriding(
        self, job_id: str, *options: tuple[str, str], label: str | None = None
    ) -> dict[str, Any]:
        """A delivery command's body sending only the overridden option ids, as the seed's."""
        ids = [self.options[o] for o in options]
        return {"jobId": job_id, "serviceChannelOptions": {label or self.label: {self.output: ids}}}

    def command(self, body: dict[str, Any]) -> Any:
        return self.http.post("/nirva/deliveries/commands", json=body, headers=self.headers)


def test_check_options_lists_the_selectable_options_per_pack_group(
    client: TestClient, tenant: Tenant
) -> None:
    nirva = Client(client, tenant)
    job = nirva.job([print_file((ADDRESSES[0], 1), (ADDRESSES[1], 1))])
    checked = client.post(
        "/nirva/deliveries/CheckOptions", params={"jobId": job["jobId"]}, headers=nirva.headers
    )
    assert checked.status_code == 200, checked.text
    selectable = checked.json()["result"]["selectableOptions"]
    groups = nirva.groups(job["jobId"])
    assert set(selectable) == {g["id"] for g in groups}
    per_type = selectable[groups[0]["id"]][nirva.label][nirva.output]
    types = {
        t["name"]: t["id"]
        for t in client.get("/nirva/options/type", headers=nirva.headers).json()["result"]
    }
    assert set(per_type[types["print_mode"]]) == {
        nirva.options[("print_mode", "1SIDE")],
        nirva.options[("print_mode", "2SIDE")],
    }
    assert nirva.options[("envelope", "C4P")] in per_type[types["envelope"]]


def test_sending_documents_sometimes_in_1side_then_in_2side(
    client: TestClient, tenant: Tenant
) -> None:
    """The seed's worked example, as written: the service's default 1SIDE for a first job,
    2SIDE by its print_mode option id for a second, only the overridden value sent."""
    nirva = Client(client, tenant)
    first = nirva.job([letter(ADDRESSES[0], pages=3)])
    one_side = nirva.command(nirva.overriding(first["jobId"], ("print_mode", "1SIDE")))
    assert one_side.status_code == 200, one_side.text
    assert one_side.json()["result"]["status"] == "READY"
    second = nirva.job([letter(ADDRESSES[1], pages=3)])
    # The accessible options first, matched with the option types and options stored.
    checked = client.post(
        "/nirva/deliveries/CheckOptions", params={"jobId": second["jobId"]}, headers=nirva.headers
    ).json()["result"]["selectableOptions"]
    [(pack_id, per_channel)] = checked.items()
    offered = [i for ids in per_channel[nirva.label][nirva.output].values() for i in ids]
    assert nirva.options[("print_mode", "2SIDE")] in offered
    two_side = nirva.command(nirva.overriding(second["jobId"], ("print_mode", "2SIDE")))
    assert two_side.status_code == 200, two_side.text
    delivery = two_side.json()["result"]
    assert delivery["options"] == [nirva.options[("print_mode", "2SIDE")]]
    [g1] = nirva.groups(first["jobId"])
    [g2] = nirva.groups(second["jobId"])
    assert g2["id"] == pack_id
    assert g1["options"]["print_mode"] == "1SIDE" and g2["options"]["print_mode"] == "2SIDE"
    assert g2["options"]["color"] == "BW"  # not sent: the service's default stays
    assert (g1["status"], g2["status"]) == ("IN_DELIVERY", "IN_DELIVERY")
    assert [d["id"] for d in nirva.deliveries(second["jobId"])] == [delivery["id"]]


def test_the_channel_name_instead_of_its_label_is_the_common_error(
    client: TestClient, tenant: Tenant
) -> None:
    nirva = Client(client, tenant)
    job = nirva.job([letter(ADDRESSES[0])])
    wrong = nirva.command(
        nirva.overriding(job["jobId"], ("print_mode", "2SIDE"), label=nirva.channel_name)
    )
    body = assert_error(wrong, 400, "CHANNEL_NAME_NOT_LABEL")
    assert nirva.label in body["message"] and "label" in body["message"]
    assert nirva.deliveries(job["jobId"]) == []
    assert [g["status"] for g in nirva.groups(job["jobId"])] == ["ELIGIBLE"]


def test_unknown_option_values_and_output_files(
    client: TestClient, tenant: Tenant, make_tenant: Any
) -> None:
    nirva = Client(client, tenant)
    job = nirva.job([letter(ADDRESSES[0])])
    unknown = nirva.command(
        {"jobId": job["jobId"], "serviceChannelOptions": {nirva.label: {nirva.output: ["2SIDE"]}}}
    )
    assert "sandbox" in assert_error(unknown, 400, "UNKNOWN_OPTION_VALUE")["message"]
    output = nirva.command(
        {"jobId": job["jobId"], "serviceChannelOptions": {nirva.label: {"OTHER": []}}}
    )
    assert_error(output, 400, "UNKNOWN_OUTPUT_FILE")
    label = nirva.command(
        {"jobId": job["jobId"], "serviceChannelOptions": {"NO_SUCH_LABEL": {nirva.output: []}}}
    )
    assert_error(label, 400, "UNKNOWN_CHANNEL_LABEL")
    assert nirva.deliveries(job["jobId"]) == []


def test_a_provider_channel_offers_only_its_own_options(client: TestClient, tenant: Tenant) -> None:
    belgian = Client(client, tenant, "nirva_courrier_be")
    job = belgian.job([letter(("Jan Peeters", "Rue Neuve 1", "1000 BRUXELLES", "BELGIQUE"))])
    c4p = belgian.command(belgian.overriding(job["jobId"], ("envelope", "C4P")))
    assert "C4P" in assert_error(c4p, 400, "OPTION_NOT_AVAILABLE")["message"]
    assert belgian.deliveries(job["jobId"]) == []


def _next_working_day() -> date:
    day = datetime.now(PARIS).date() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def test_expected_post_date_must_be_before_the_channel_cut_off(
    client: TestClient, tenant: Tenant
) -> None:
    nirva = Client(client, tenant)
    job = nirva.job([letter(ADDRESSES[0])])
    day = _next_working_day()
    late = nirva.command(
        {"jobId": job["jobId"], "expectedPostDate": _ms(datetime.combine(day, time(18, 0), PARIS))}
    )
    assert "cut-off" in assert_error(late, 400, "EXPECTED_POST_DATE_AFTER_CUT_OFF")["message"]
    past = nirva.command({"jobId": job["jobId"], "expectedPostDate": 1733889600000})
    assert_error(past, 400, "EXPECTED_POST_DATE_IN_PAST")
    assert nirva.deliveries(job["jobId"]) == []
    # December 11, 5am, as the seed's example, on the next working day: taken.
    early = _ms(datetime.combine(day, time(5, 0), PARIS))
    ok = nirva.command({"jobId": job["jobId"], "expectedPostDate": early})
    assert ok.status_code == 200, ok.text
    assert ok.json()["result"]["expectedPostDate"] == early


def test_a_not_eligible_group_is_fixed_with_edit_then_delivered(
    client: TestClient, tenant: Tenant
) -> None:
    nirva = Client(client, tenant)
    job = nirva.job(
        [print_file((ADDRESSES[0], 1), (ADDRESSES[1], 2)), blank_letter()], autocreate=True
    )
    assert job["status"] == "PACK_GROUP_CREATED"
    assert job["packGroupCountPerStates"] == {"ELIGIBLE": 2, "NOT_ELIGIBLE": 1}
    groups = nirva.groups(job["jobId"])
    bad = next(g for g in groups if g["status"] == "NOT_ELIGIBLE")
    assert bad["eligibility"]["eligible"] is False
    assert [r["code"] for r in bad["eligibility"]["reasons"] if r["severity"] == "ERROR"]
    [first] = nirva.deliveries(job["jobId"])
    assert bad["id"] not in first["packGroupIds"] and len(first["packGroupIds"]) == 2

    # A group not eligible cannot be delivered as it is.
    refused = nirva.command({"jobId": job["jobId"], "packGroupIds": [bad["id"]]})
    assert_error(refused, 400, "PACK_GROUP_NOT_ELIGIBLE")

    edited = client.post(
        f"/nirva/packGroups/{bad['id']}/edit",
        json={"rawValues": {"POSTAL_ADDRESS_RECIPIENT": {"@type": "exv.Value", "value": LYON}}},
        headers=nirva.headers,
    )
    assert edited.status_code == 200, edited.text
    fixed = edited.json()["result"]
    assert fixed["status"] == "ELIGIBLE"
    assert fixed["rawValues"]["POSTAL_ADDRESS_RECIPIENT"]["value"] == LYON
    assert [r for r in fixed["eligibility"]["reasons"] if r["severity"] == "ERROR"] == []

    second = nirva.command({"jobId": job["jobId"], "packGroupIds": [bad["id"]]})
    assert second.status_code == 200, second.text
    assert second.json()["result"]["packGroupIds"] == [bad["id"]]
    deliveries = nirva.deliveries(job["jobId"])
    assert len(deliveries) == 2 and {d["status"] for d in deliveries} == {"READY"}
    assert {g["status"] for g in nirva.groups(job["jobId"])} == {"IN_DELIVERY"}
    # Once in a delivery a group is no longer edited.
    late = client.post(
        f"/nirva/packGroups/{bad['id']}/edit",
        json={"rawValues": {"POSTAL_ADDRESS_RECIPIENT": {"value": LYON}}},
        headers=nirva.headers,
    )
    assert_error(late, 409, "PACK_GROUP_NOT_EDITABLE")
    nothing = nirva.command({"jobId": job["jobId"]})
    assert_error(nothing, 400, "NOTHING_TO_DELIVER")


def test_an_edit_that_is_no_address_keeps_the_group_not_eligible(
    client: TestClient, tenant: Tenant
) -> None:
    nirva = Client(client, tenant)
    job = nirva.job([blank_letter()])
    [bad] = nirva.groups(job["jobId"])
    edited = client.post(
        f"/nirva/packGroups/{bad['id']}/edit",
        json={"rawValues": {"POSTAL_ADDRESS_RECIPIENT": {"value": "just a name"}}},
        headers=nirva.headers,
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["result"]["status"] == "NOT_ELIGIBLE"
    assert edited.json()["result"]["eligibility"]["reasons"]
