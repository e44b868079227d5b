"""Sending a print file from the dashboard (issue 17): a real 3-letter PDF cut into letters
by the pipeline, each letter with the address read from its window and the
findings in words; the broken address fixed in place and checked again; the price shown
before sending, then the batch sent (its letters accepted) or cancelled; refusals in the
form; another account's batch is the 404 page."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from postroom.bootstrap import Container
from postroom.domain.geometry import layout_for
from postroom.services import intake
from postroom.web import print_files
from postroom.web.templating import money
from tests.conftest import Tenant, wait_for
from tests.integration.intake.helpers import concat_pdfs
from tests.integration.web.conftest import csrf_of, sign_in
from tests.support.letters import make_letter
from tests.support.pdfs import make_pdf

FORM_A = layout_for("din5008_a")
ANNA = ["Anna Svensson", "Storgatan 1", "111 22 Stockholm"]
BROKEN = ["Bo Ek", "Kungsgatan 2"]  # no postal code or town: not an address
CARL = ["Carl Berg", "Drottninggatan 5", "411 14 Göteborg"]


def three_letters() -> bytes:
    """A print file of three letters of two pages, the second one's address broken (so
    it is cut every two pages: on address changes it would be part of the first)."""
    return concat_pdfs([make_letter(lines, FORM_A, pages=2) for lines in (ANNA, BROKEN, CARL)])


def upload(client: TestClient, data: bytes, **form: str) -> str:
    """Upload a print file through the form; the batch page's path it leads to."""
    page = client.get("/send/print-file").text
    answer = client.post(
        "/send/print-file",
        data={"split": "every_n", "every": "2", **form, "csrf_token": csrf_of(page)},
        files={"file": ("run-42.pdf", data, "application/pdf")},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    location: str = answer.headers["location"]
    return location


def checked(client: TestClient, path: str) -> str:
    """The batch page once its file is checked."""
    html: str = wait_for(
        lambda: 'id="checking"' not in (text := client.get(path).text) and text, timeout=60
    )
    return html


def pieces_of(html: str) -> list[tuple[str, str, list[str], str]]:
    """Each letter shown: its id, its pages, its address lines, ready or not."""
    found = []
    for piece_id, body in re.findall(
        r'<li class="piece" id="piece-([\w-]+)">(.*?)</li>\s*(?=<li class="piece"|</ol>)',
        html,
        re.S,
    ):
        pages = re.search(r"pages (\d+ to \d+)", body)
        address = re.search(r"<address>(.*?)</address>", body, re.S)
        state = re.search(r'<span class="state [^"]+">([^<]+)</span>', body)
        assert pages and state
        lines = address.group(1).split("<br>") if address else []
        found.append((piece_id, pages.group(1), lines, state.group(1)))
    return found


def test_upload_a_print_file_fix_an_address_see_the_price_and_send(
    client: TestClient, container: Container, tenant: Tenant
) -> None:
    sign_in(client, tenant.username, tenant.password)
    path = upload(client, three_letters())
    html = checked(client, path)

    pieces = pieces_of(html)
    assert [(p[1], p[3]) for p in pieces] == [
        ("1 to 2", "Ready"),
        ("3 to 4", "Not ready"),
        ("5 to 6", "Ready"),
    ]
    assert pieces[0][2] == ["Anna Svensson", "Storgatan 1", "111 22 STOCKHOLM", "Sweden"]
    assert pieces[2][2][:2] == ["Carl Berg", "Drottninggatan 5"]
    assert '<p id="piece-counts">3 letters: 2 ready to send, 1 not.' in html
    broken = html[html.index(f'id="piece-{pieces[1][0]}"') :]
    broken = broken[: broken.index("</li>\n    <li")]
    findings = re.findall(r'<ul class="findings"><li>(.*?)</li>', broken, re.S)
    assert findings and "postal code" in findings[0].lower(), broken
    # The preview is the file's page with the zones drawn.
    img = re.search(r'<img src="(/send/documents/[\w-]+/pages/3\.png)"', broken)
    assert img, broken
    png = client.get(img.group(1))
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    # The price before sending: two letters now.
    quote = re.search(r'<p id="quote">(.*?)</p>', html, re.S)
    assert quote and quote.group(1).startswith("2 letters will be sent for"), html

    fixed = client.post(
        f"{path}/pieces/{pieces[1][0]}/address",
        data={"address": "Bo Ek\nKungsgatan 2\n111 43 Stockholm", "csrf_token": csrf_of(html)},
    )
    assert fixed.status_code == 200
    after = pieces_of(fixed.text)
    assert [p[3] for p in after] == ["Ready"] * 3
    assert after[1][2][:3] == ["Bo Ek", "Kungsgatan 2", "111 43 STOCKHOLM"]
    quote_after = re.search(r'<p id="quote">(.*?)</p>', fixed.text, re.S)
    assert quote_after and quote_after.group(1).startswith("3 letters will be sent for")

    credit_before = client.get("/v1/account", headers=tenant.headers).json()
    sent = client.post(
        f"{path}/send",
        data={
            "service": container.settings.default_service,
            "plex": "simplex",
            "postage": "economy",
            "csrf_token": csrf_of(fixed.text),
        },
    )
    assert sent.status_code == 200
    state = re.search(r'id="batch-state">(\w+)</span>', sent.text)
    assert state and state.group(1) in ("Closed", "Transferred"), sent.text[:500]
    assert '<p id="sent">' in sent.text and 'id="quote"' not in sent.text
    letters = [client.get(f"/v1/letters/{p[0]}", headers=tenant.headers).json() for p in after]
    # Ordered: the in-process worker may already have taken them on to production.
    assert all(x["state"] in ("accepted", "allocated", "transferred") for x in letters), letters
    assert letters[1]["recipient"]["postal_code"] == "111 43"
    total = sum(x["price"]["amount_minor"] for x in letters)
    credit_after = client.get("/v1/account", headers=tenant.headers).json()
    assert credit_before["credit_minor"] - credit_after["credit_minor"] == total
    # The price shown before sending is what was charged.
    assert f"<strong>{money(total, container.prices.currency)}</strong>" in quote_after.group(1)
    for p in after:
        assert f'href="/letters/{p[0]}"' in sent.text


def test_cancel_a_print_file(client: TestClient, tenant: Tenant) -> None:
    sign_in(client, tenant.username, tenant.password)
    path = upload(client, three_letters())
    html = checked(client, path)
    ids = [p[0] for p in pieces_of(html)]
    cancelled = client.post(f"{path}/cancel", data={"csrf_token": csrf_of(html)})
    assert cancelled.status_code == 200
    assert 'id="batch-state">Cancelled</span>' in cancelled.text
    assert 'id="quote"' not in cancelled.text
    states = {client.get(f"/v1/letters/{i}", headers=tenant.headers).json()["state"] for i in ids}
    assert states == {"cancelled"}


def test_a_file_being_checked_shows_a_page_that_reloads_itself(
    web: TestClient, tenant: Tenant
) -> None:
    """Without a worker the file stays unchecked: the page says so and reloads itself."""
    sign_in(web, tenant.username, tenant.password)
    path = upload(web, three_letters())
    page = web.get(path)
    assert page.status_code == 200
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page.text
    assert "run-42.pdf: 6 pages being checked" in page.text
    assert "0 of 1 file checked." in page.text
    assert 'id="quote"' not in page.text
    # Nothing counted yet: the bar says it is busy, not how far it is.
    assert re.search(r'<progress id="progress-[\w-]+">Being checked</progress>', page.text)


def test_the_pages_checked_so_far_fill_the_progress_bar(
    web: TestClient, container: Container, tenant: Tenant
) -> None:
    """What the worker recorded of a large file's ranges checked, the page shows (the
    worker's recording itself: tests/unit/services/test_intake.py and the browser test)."""
    sign_in(web, tenant.username, tenant.password)
    path = upload(web, three_letters())
    batch_id = path.rsplit("/", 1)[1]
    _, [document], _ = intake.batch_summary(
        uow=container.uow(), account_id=tenant.account_id, batch_id=batch_id
    )
    with container.uow() as uow:
        stored = uow.pieces.document_by_id(document.id)
        assert stored is not None
        stored.record_progress(4)
        uow.commit()

    page = web.get(path).text

    assert "run-42.pdf: 4 of 6 pages checked" in page
    assert f'<progress id="progress-{document.id}" max="6" value="4">67 %</progress>' in page
    answer = web.get(f"/v1/documents/{document.id}", headers=tenant.headers).json()
    assert (answer["state"], answer["pages_checked"], answer["page_count"]) == ("received", 4, 6)


def test_a_refused_print_file_is_said_in_the_form(
    web: TestClient, container: Container, tenant: Tenant, make_tenant: Callable[[str], Tenant]
) -> None:
    sign_in(web, tenant.username, tenant.password)
    token = csrf_of(web.get("/send/print-file").text)
    for form, files, words, field in (
        ({"split": "address_change"}, None, "Choose a PDF file.", "file"),
        (
            {"split": "every_n", "every": "two"},
            ("a.pdf", make_pdf(4)),
            "as a number",
            "every",
        ),
        ({"split": "every_n", "every": "3"}, ("a.pdf", make_pdf(4)), "4", "every"),
        ({"split": "every_n", "every": "0"}, ("a.pdf", make_pdf(4)), "at least 1", "every"),
        ({"split": "marker", "marker": " "}, ("a.pdf", make_pdf(2)), "marker text", "marker"),
        ({"split": "lines"}, ("a.pdf", make_pdf(1)), "Choose how the letters", "split"),
        ({"split": "single"}, ("a.pdf", b"not a pdf"), "PDF", "file"),
        ({"split": "ranges", "ranges": "1-2, x"}, ("a.pdf", make_pdf(4)), "1-2, 3-5", "ranges"),
        ({"split": "ranges", "ranges": "1-2, 3-9"}, ("a.pdf", make_pdf(4)), "4", "ranges"),
        ({"split": "single", "layout": "us10"}, ("a.pdf", make_pdf(1)), "layout", "layout"),
        ({"split": "single", "country": "Atlantis"}, ("a.pdf", make_pdf(1)), "Atlantis", "country"),
    ):
        answer = web.post(
            "/send/print-file",
            data={**form, "csrf_token": token},
            files={"file": (files[0], files[1], "application/pdf")} if files else None,
        )
        assert answer.status_code == 422, (form, answer.text[:300])
        summary = answer.text[answer.text.index('class="error-summary"') :]
        summary = summary[: summary.index("</div>")]
        assert words in summary and f'href="#{field}"' in summary, (form, summary)
    # Nothing half-made is left: the batches opened for refused files (4 of them, the
    # others were refused before one was opened) were cancelled.
    now = container.clock.now()
    batches = intake.list_batches(
        uow=container.uow(),
        account_id=tenant.account_id,
        created_from=now - timedelta(days=1),
        created_to=now + timedelta(days=1),
    )
    assert len(batches) == 4 and {b.state.value for b, _ in batches} == {"cancelled"}
    # Another account's batch is the 404 page.
    other = make_tenant("other-print")
    sign_in(web, other.username, other.password)
    theirs = upload(web, three_letters())
    sign_in(web, tenant.username, tenant.password)
    page = web.get(theirs)
    assert page.status_code == 404 and "<h1>Page not found</h1>" in page.text


def test_the_letters_of_a_large_file_are_shown_a_page_at_a_time(
    client: TestClient, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(print_files, "PIECES_SHOWN", 2)
    sign_in(client, tenant.username, tenant.password)
    path = upload(client, three_letters())
    first = checked(client, path)
    assert [(p[1], p[2][:1]) for p in pieces_of(first)] == [("1 to 2", ANNA[:1]), ("3 to 4", [])]
    assert "Letters 1 to 2 are shown." in first
    link = re.search(r'<a rel="next" id="next-letters" href="([^"]+)"', first)
    assert link is not None
    second = client.get(link.group(1).replace("&amp;", "&")).text
    assert [(p[1], p[2][:1]) for p in pieces_of(second)] == [("5 to 6", CARL[:1])]
    assert "Letters 3 to 3 are shown." in second and "Letter 3: pages 5 to 6" in second
    assert 'id="next-letters"' not in second
    # A link that is not a cursor starts from the first letter again.
    again = client.get(path + "?after=nonsense").text
    assert [p[1] for p in pieces_of(again)] == ["1 to 2", "3 to 4"]


def test_the_same_upload_form_sent_twice_opens_one_batch(
    client: TestClient, container: Container, tenant: Tenant
) -> None:
    sign_in(client, tenant.username, tenant.password)
    page = client.get("/send/print-file").text
    submission = re.search(r'name="submission" value="([0-9a-f]+)"', page)
    assert submission is not None
    form = {"split": "every_n", "every": "2", "csrf_token": csrf_of(page)}
    form["submission"] = submission.group(1)
    sent = [
        client.post(
            "/send/print-file",
            data=form,
            files={"file": ("run-42.pdf", three_letters(), "application/pdf")},
            follow_redirects=False,
        )
        for _ in range(2)
    ]
    assert [r.status_code for r in sent] == [303, 303]
    assert sent[0].headers["location"] == sent[1].headers["location"]
    batch_id = sent[0].headers["location"].rsplit("/", 1)[1]
    now = container.clock.now()
    batches = intake.list_batches(
        uow=container.uow(),
        account_id=tenant.account_id,
        created_from=now - timedelta(days=1),
        created_to=now + timedelta(days=1),
    )
    assert [b.id for b, _ in batches] == [batch_id]


def test_letters_cut_by_the_page_ranges_given(client: TestClient, tenant: Tenant) -> None:
    sign_in(client, tenant.username, tenant.password)
    path = upload(client, three_letters(), split="ranges", ranges="1-2, 3-4, 5, 6")
    found = pieces_of(checked(client, path))
    assert [p[1] for p in found] == ["1 to 2", "3 to 4", "5 to 5", "6 to 6"]
    assert found[0][2][:1] == ANNA[:1] and found[2][2][:1] == CARL[:1]


def test_the_envelope_and_country_chosen_are_the_batchs(
    client: TestClient, container: Container, tenant: Tenant
) -> None:
    sign_in(client, tenant.username, tenant.password)
    form = client.get("/send/print-file").text
    # By default: the default profile, its own envelope and country.
    assert '<option value="postroom" selected>postroom: A4 pages; DL envelope, window' in form
    assert '<option value="" selected>The usual envelope of the rules chosen above' in form
    assert '<input id="country" name="country" type="text" value=""' in form
    # The letters' addresses sit in form A's window: in form B's they are not read.
    path = upload(client, three_letters(), layout="din5008_b", country="NO")
    assert [p[2] for p in pieces_of(checked(client, path))] == [[], [], []]
    batch_id = path.rsplit("/", 1)[1]
    batch, _, _ = intake.batch_summary(
        uow=container.uow(), account_id=tenant.account_id, batch_id=batch_id
    )
    assert (batch.layout, batch.default_country) == ("din5008_b", "NO")


def test_one_letters_own_options_before_sending(
    client: TestClient, container: Container, tenant: Tenant
) -> None:
    sign_in(client, tenant.username, tenant.password)
    path = upload(
        client,
        concat_pdfs(
            [make_letter(ANNA, FORM_A, pages=2)] * 2 + [make_letter(CARL, FORM_A, pages=2)]
        ),
    )
    html = checked(client, path)
    ids = [p[0] for p in pieces_of(html)]
    quote = re.search(r'<p id="quote">.*?<strong>(.*?)</strong>', html, re.S)
    assert quote and "letter 2: the batch's</summary>" in html.replace("Options of ", "")
    batch = {"batch_service": container.settings.default_service, "batch_plex": "simplex"}
    batch["batch_postage"] = "economy"

    chosen = client.post(
        f"{path}/pieces/{ids[1]}/options",
        data={"plex": "duplex", "color": "on", "postage": "priority", **batch,
              "csrf_token": csrf_of(html)},
        follow_redirects=False,
    )  # fmt: skip

    assert chosen.status_code == 303
    assert chosen.headers["location"].endswith(f"&postage=economy#piece-{ids[1]}")
    page = client.get(chosen.headers["location"]).text
    assert "Options of letter 2: its own, Duplex, colour, Priority</summary>" in page
    assert f'<details class="piece-options" id="options-{ids[1]}" open>' in page
    quote_after = re.search(r'<p id="quote">.*?<strong>(.*?)</strong>', page, re.S)
    assert quote_after and quote_after.group(1) != quote.group(1)
    sent = client.post(
        f"{path}/send",
        data={"service": container.settings.default_service, "plex": "simplex",
              "postage": "economy", "csrf_token": csrf_of(page)},
    )  # fmt: skip
    assert sent.status_code == 200 and '<p id="sent">' in sent.text
    letters = [client.get(f"/v1/letters/{i}", headers=tenant.headers).json() for i in ids]
    assert [(x["options"]["plex"], x["options"]["postage"]) for x in letters] == [
        ("simplex", "economy"),
        ("duplex", "priority"),
        ("simplex", "economy"),
    ]
    total = sum(x["price"]["amount_minor"] for x in letters)
    assert quote_after.group(1) == money(total, container.prices.currency)
    # Sent: the letters' options are settled.
    late = client.post(
        f"{path}/pieces/{ids[0]}/options", data={"reset": "1", "csrf_token": csrf_of(page)}
    )
    assert late.status_code == 409 and "settled" in late.text


def test_another_preflight_profile_checks_the_file(
    client: TestClient, container: Container, tenant: Tenant
) -> None:
    sign_in(client, tenant.username, tenant.password)
    # postroom_domestic posts to Swedish addresses only: the Norwegian letter is not ready.
    oslo = ["Kari Nordmann", "Karl Johans gate 1", "0154 Oslo", "Norway"]
    data = concat_pdfs([make_letter(lines, FORM_A, pages=2) for lines in (ANNA, oslo)])
    path = upload(client, data, profile="postroom_domestic")
    found = pieces_of(checked(client, path))
    assert [p[3] for p in found] == ["Ready", "Not ready"]
    batch, [document], _ = intake.batch_summary(
        uow=container.uow(), account_id=tenant.account_id, batch_id=path.rsplit("/", 1)[1]
    )
    assert (batch.profile, document.profile, batch.layout) == (
        "postroom_domestic",
        "postroom_domestic",
        "",
    )
    # The same file on the default profile: both are ready.
    again = pieces_of(checked(client, upload(client, data)))
    assert [p[3] for p in again] == ["Ready", "Ready"]


def test_an_envelope_or_profile_the_service_does_not_know_is_refused_by_its_field(
    web: TestClient, container: Container, tenant: Tenant
) -> None:
    sign_in(web, tenant.username, tenant.password)
    token = csrf_of(web.get("/send/print-file").text)
    for form, words, field in (
        ({"profile": "royal_mail"}, "royal_mail&#39;; known: click2mail, ekopost", "profile"),
        ({"profile": "click2mail", "layout": "din5008_a"}, "us10_double_window", "layout"),
    ):
        answer = web.post(
            "/send/print-file",
            data={"split": "single", **form, "csrf_token": token},
            files={"file": ("a.pdf", make_pdf(1), "application/pdf")},
        )
        assert answer.status_code == 422, answer.text[:300]
        summary = answer.text[answer.text.index('class="error-summary"') :]
        summary = summary[: summary.index("</div>")]
        assert words in summary and f'href="#{field}"' in summary, (form, summary)
        assert f'<option value="{form["profile"]}" selected>' in answer.text or field == "profile"
    # Refused before a batch was opened: nothing is left behind.
    now = container.clock.now()
    assert (
        intake.list_batches(
            uow=container.uow(),
            account_id=tenant.account_id,
            created_from=now - timedelta(days=1),
            created_to=now + timedelta(days=1),
        )
        == []
    )
