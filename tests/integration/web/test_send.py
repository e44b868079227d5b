"""Sending a letter from the dashboard (issue 17): the same use case as POST /v1/letters,
with the address checked against the country's rules and every refusal said in the form,
next to the field it is about."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from postroom.bootstrap import Container
from postroom.services import accounts
from postroom.web.templating import money
from tests.conftest import Tenant
from tests.integration.web.conftest import csrf_of, sign_in
from tests.support.pdfs import make_pdf

ADDRESS = {
    "name": "Anna Svensson",
    "street": "Storgatan 1",
    "postal_code": "11122",
    "city": "Stockholm",
    "country": "Sweden",
}


def submission_of(html: str) -> str:
    found = re.search(r'name="submission" value="([0-9a-f]{32})"', html)
    assert found
    return found.group(1)


def post(web: TestClient, pdf: bytes | None, **form: str) -> object:
    page = web.get("/send").text
    fields = {"csrf_token": csrf_of(page), "submission": submission_of(page), **form}
    files = {"file": ("invoice.pdf", pdf, "application/pdf")} if pdf is not None else None
    return web.post("/send", data=fields, files=files, follow_redirects=False)


def test_send_a_letter_and_follow_it(web: TestClient, tenant: Tenant) -> None:
    sign_in(web, tenant.username, tenant.password)
    form = web.get("/send").text
    assert '<option value="letter_immediate" selected>' in form
    sent = post(web, make_pdf(2), **ADDRESS, plex="duplex", postage="priority", color="on")
    assert sent.status_code == 303  # type: ignore[attr-defined]
    letter_id = sent.headers["location"].rsplit("/", 1)[-1]  # type: ignore[attr-defined]
    page = web.get(f"/letters/{letter_id}").text
    assert "Anna Svensson<br>Storgatan 1<br>111 22" in page
    assert "Duplex, colour, Priority" in page
    api = web.get(f"/v1/letters/{letter_id}", headers=tenant.headers).json()
    assert api["recipient"]["postal_code"] == "111 22" and api["recipient"]["country"] == "SE"
    assert api["options"]["plex"] == "duplex" and api["page_count"] == 2
    assert api["state"] == "closed" and api["price"]["amount_minor"] > 0


def test_no_address_is_read_from_the_window(web: TestClient, tenant: Tenant) -> None:
    sign_in(web, tenant.username, tenant.password)
    sent = post(web, make_pdf(1))
    letter_id = sent.headers["location"].rsplit("/", 1)[-1]  # type: ignore[attr-defined]
    api = web.get(f"/v1/letters/{letter_id}", headers=tenant.headers).json()
    assert api["address_source"] == "window" and api["recipient"] is None


def test_refusals_are_said_by_the_field(web: TestClient, tenant: Tenant) -> None:
    sign_in(web, tenant.username, tenant.password)
    wrong_code = post(web, make_pdf(1), **{**ADDRESS, "postal_code": "ABC"})
    assert wrong_code.status_code == 422  # type: ignore[attr-defined]
    html = wrong_code.text  # type: ignore[attr-defined]
    assert re.search(r'<a href="#postal_code">The address is not valid: postal_code', html)
    assert 'value="ABC"' in html and "Anna Svensson</textarea>" in html  # kept as typed
    no_file = post(web, None, **ADDRESS)
    assert no_file.status_code == 422 and "Choose a PDF file." in no_file.text  # type: ignore[attr-defined]
    not_pdf = post(web, b"hello, not a PDF", **ADDRESS)
    assert not_pdf.status_code == 422  # type: ignore[attr-defined]
    assert '<a href="#file">' in not_pdf.text  # type: ignore[attr-defined]
    bad_option = post(web, make_pdf(1), **ADDRESS, plex="triplex")
    assert bad_option.status_code == 422  # type: ignore[attr-defined]
    assert "Choose the options from the lists." in bad_option.text  # type: ignore[attr-defined]
    token_less = web.post("/send", data=ADDRESS, files={"file": ("a.pdf", make_pdf(1))})
    assert token_less.status_code == 403
    assert web.get("/v1/letters", headers=tenant.headers).json()["data"] == []


def test_a_letter_the_account_cannot_pay_for_is_refused(
    web: TestClient, container: Container
) -> None:
    accounts.create_account(
        uow=container.uow(),
        clock=container.clock,
        name="Pank",
        username="broke",
        password="broke-password-1",
        credit_minor=0,
    )
    sign_in(web, "broke", "broke-password-1")
    refused = post(web, make_pdf(1), **ADDRESS)
    assert refused.status_code == 422  # type: ignore[attr-defined]
    assert "credit" in refused.text  # type: ignore[attr-defined]


def test_the_same_form_sent_twice_sends_one_letter(web: TestClient, tenant: Tenant) -> None:
    sign_in(web, tenant.username, tenant.password)
    page = web.get("/send").text
    fields = {**ADDRESS, "csrf_token": csrf_of(page), "submission": submission_of(page)}
    answers = [
        web.post(
            "/send",
            data=fields,
            files={"file": ("invoice.pdf", make_pdf(1), "application/pdf")},
            follow_redirects=False,
        )
        for _ in range(2)
    ]
    assert [a.status_code for a in answers] == [303, 303]
    assert answers[0].headers["location"] == answers[1].headers["location"]
    assert len(web.get("/v1/letters", headers=tenant.headers).json()["data"]) == 1
    # A refused form can be sent again with its submission id, and then sends its letter.
    again = web.get("/send").text
    retry = {**ADDRESS, "csrf_token": csrf_of(again), "submission": submission_of(again)}
    refused = web.post(
        "/send", data={**retry, "postal_code": "1"}, files={"file": ("a.pdf", make_pdf(1))}
    )
    assert refused.status_code == 422
    fixed = web.post(
        "/send", data=retry, files={"file": ("a.pdf", make_pdf(1))}, follow_redirects=False
    )
    assert fixed.status_code == 303
    assert len(web.get("/v1/letters", headers=tenant.headers).json()["data"]) == 2


def test_the_price_is_shown_before_the_letter_is_sent(
    web: TestClient, container: Container, tenant: Tenant
) -> None:
    sign_in(web, tenant.username, tenant.password)
    options = {"plex": "duplex", "postage": "priority", "color": "on"}
    priced = post(web, make_pdf(3), **ADDRESS, **options, action="price")
    html = priced.text  # type: ignore[attr-defined]
    assert priced.status_code == 200  # type: ignore[attr-defined]
    shown = re.search(r'<p class="note" id="letter-price">(.*?)</p>', html, re.S)
    assert shown, html
    # Nothing was sent or stored: the account has no letter, and the form is filled again.
    assert web.get("/v1/letters", headers=tenant.headers).json()["data"] == []
    assert 'value="Stockholm"' in html and "Choose the file again" in html
    sent = post(web, make_pdf(3), **ADDRESS, **options)
    letter_id = sent.headers["location"].rsplit("/", 1)[-1]  # type: ignore[attr-defined]
    api = web.get(f"/v1/letters/{letter_id}", headers=tenant.headers).json()
    # The price shown is the one charged, with its pages, sheets and weight.
    amount = money(api["price"]["amount_minor"], container.prices.currency)
    assert shown.group(1).startswith("invoice.pdf: 3 pages, 2 sheets, ")
    assert f"<strong>{amount}</strong>" in shown.group(1)
    assert f"{api['weight_g']} g" in shown.group(1) and api["sheets"] == 2


def test_a_letter_that_cannot_be_priced_says_why(web: TestClient, tenant: Tenant) -> None:
    sign_in(web, tenant.username, tenant.password)
    refused = post(web, make_pdf(1), **{**ADDRESS, "postal_code": "4119"}, action="price")
    html = refused.text  # type: ignore[attr-defined]
    assert refused.status_code == 422  # type: ignore[attr-defined]
    said = re.search(r'<p class="field-error" id="price-refused">No price: (.*?)</p>', html)
    assert said and "postal_code" in said.group(1), html
    assert 'href="#postal_code"' in html
    no_file = post(web, None, **ADDRESS, action="price")
    assert "No price: Choose a PDF file." in no_file.text  # type: ignore[attr-defined]
    assert web.get("/v1/letters", headers=tenant.headers).json()["data"] == []
