"""The dashboard's letters (issue 17): the list paged and filtered by the database, a
letter's page scoped to its account (another account's id is the 404 page), bad
addresses answered by an error page."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import event

from postroom.bootstrap import Container
from postroom.domain.model import Recipient
from postroom.domain.states import PieceState
from tests.conftest import Tenant
from tests.integration.web.conftest import add_letters, csrf_of, sign_in

ROW_LINK = re.compile(r'<td><a href="/letters/([0-9a-f-]{36})">')


def listed_ids(html: str) -> list[str]:
    return ROW_LINK.findall(html)


def test_the_list_is_paged_by_the_database_newest_first(
    web: TestClient, container: Container, tenant: Tenant
) -> None:
    start = container.clock.now() - timedelta(hours=2)
    pieces = []
    for i in range(120):
        pieces += add_letters(container, tenant.account_id, at=start + timedelta(seconds=i))
    newest_first = [p.id for p in reversed(pieces)]
    sign_in(web, tenant.username, tenant.password)
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, sql: str, *_: object) -> None:
        statements.append(sql)

    event.listen(container.engine, "before_cursor_execute", seen)
    try:
        first = web.get("/letters").text
    finally:
        event.remove(container.engine, "before_cursor_execute", seen)
    assert listed_ids(first) == newest_first[:50]
    assert "120 letters; showing 1 to 50, page 1 of 3." in first
    assert 'rel="next" href="/letters?page=2"' in first and 'rel="prev"' not in first
    # The page is cut and counted in SQL: one query with LIMIT and OFFSET, one with count().
    reads = [s for s in statements if "FROM mail_pieces" in s]
    assert any("LIMIT" in s and "OFFSET" in s for s in reads), reads
    assert any("count(" in s.lower() for s in reads), reads
    assert all("LIMIT" in s or "count(" in s.lower() for s in reads), reads
    second = web.get("/letters?page=2").text
    assert listed_ids(second) == newest_first[50:100]
    last = web.get("/letters?page=3").text
    assert listed_ids(last) == newest_first[100:]
    assert "showing 101 to 120, page 3 of 3." in last
    assert 'rel="next"' not in last and 'rel="prev" href="/letters?page=2"' in last
    beyond = web.get("/letters?page=9")
    assert beyond.status_code == 200
    assert "There is no page 9: the letters fill 3 pages." in beyond.text


def test_filters_by_state_and_search_by_reference(
    web: TestClient, container: Container, tenant: Tenant, other_tenant: Tenant
) -> None:
    add_letters(container, tenant.account_id, 5)
    [failed] = add_letters(
        container, tenant.account_id, state=PieceState.FAILED, client_reference="INV-0042"
    )
    [other] = add_letters(container, tenant.account_id, client_reference="INV-0043")
    add_letters(container, other_tenant.account_id, state=PieceState.FAILED)
    sign_in(web, tenant.username, tenant.password)
    only_failed = web.get("/letters?state=failed").text
    assert listed_ids(only_failed) == [failed.id]
    assert "1 letter;" in only_failed
    found = web.get("/letters?q=inv-004").text  # any case, part of the reference
    assert set(listed_ids(found)) == {failed.id, other.id}
    assert listed_ids(web.get("/letters?q=INV-0042").text) == [failed.id]
    assert listed_ids(web.get("/letters?q=INV-0042&state=closed").text) == []
    assert "No letters match these filters." in web.get("/letters?q=%25").text  # % is literal
    by_id = web.get(f"/letters?q={other.id}").text
    assert listed_ids(by_id) == [other.id]
    assert "INV-0043" in by_id


def test_bad_filters_get_an_error_page_not_a_crash(web: TestClient, tenant: Tenant) -> None:
    sign_in(web, tenant.username, tenant.password)
    bogus = web.get("/letters?state=lost")
    assert bogus.status_code == 422
    assert "There is no letter state called &#39;lost&#39;." in bogus.text
    for query in ("page=0", "page=abc", "q=" + "x" * 101, "attention=maybe"):
        answer = web.get(f"/letters?{query}")
        assert answer.status_code in (400, 422), query
        assert answer.headers["content-type"].startswith("text/html"), query
        assert "<h1>" in answer.text


def test_another_accounts_letter_is_the_404_page(
    web: TestClient, container: Container, tenant: Tenant, other_tenant: Tenant
) -> None:
    [theirs] = add_letters(container, other_tenant.account_id, client_reference="SECRET-REF")
    sign_in(web, tenant.username, tenant.password)
    for path in (
        f"/letters/{theirs.id}",
        f"/letters/{theirs.id}/pages/1.png",
        "/letters/not-a-letter-id",
        "/proofs/not-a-proof-id",
    ):
        answer = web.get(path)
        assert answer.status_code == 404, path
        assert "<h1>Page not found</h1>" in answer.text, path
        assert "SECRET-REF" not in answer.text and "Anna" not in answer.text
    assert listed_ids(web.get("/letters").text) == []
    assert listed_ids(web.get(f"/letters?q={theirs.id}").text) == []


def test_a_letter_not_checked_yet_says_why_it_has_no_preview(
    web: TestClient, container: Container, tenant: Tenant
) -> None:
    [letter] = add_letters(container, tenant.account_id, client_reference="INV-7")
    sign_in(web, tenant.username, tenant.password)
    page = web.get(f"/letters/{letter.id}").text
    assert "<h1>Letter INV-7</h1>" in page
    assert re.search(
        r'<address id="recipient">Anna Svensson<br>Storgatan 1<br>111 22 (STOCKHOLM|Stockholm)'
        r"<br>(Sweden|SWEDEN)</address>",
        page,
    ), page
    assert '<p id="preview-problem">No preview: the letter has no printed pages' in page
    assert "Nothing has happened to this letter yet." not in page  # its creation is a state
    assert re.search(r"<span class=\"kind\">State</span>\s*<span class=\"what\">Closed", page)


def test_cancel_a_letter_while_it_can_be_cancelled(
    web: TestClient, container: Container, tenant: Tenant, other_tenant: Tenant
) -> None:
    [letter] = add_letters(container, tenant.account_id, state=PieceState.ACCEPTED)
    [sent] = add_letters(container, tenant.account_id, state=PieceState.POSTED)
    [theirs] = add_letters(container, other_tenant.account_id, state=PieceState.ACCEPTED)
    sign_in(web, tenant.username, tenant.password)
    page = web.get(f"/letters/{letter.id}").text
    assert "Cancel this letter" in page
    token = csrf_of(page)
    assert web.post(f"/letters/{letter.id}/cancel", data={}).status_code == 403
    cancelled = web.post(f"/letters/{letter.id}/cancel", data={"csrf_token": token})
    assert cancelled.status_code == 200
    assert '<span class="state state-cancelled" id="letter-state">Cancelled</span>' in (
        cancelled.text
    )
    assert "Cancel this letter" not in cancelled.text
    assert web.get(f"/v1/letters/{letter.id}", headers=tenant.headers).json()["state"] == (
        "cancelled"
    )
    assert "Cancel this letter" not in web.get(f"/letters/{sent.id}").text
    late = web.post(f"/letters/{sent.id}/cancel", data={"csrf_token": token})
    assert late.status_code == 409
    assert "the letter is posted and can no longer be cancelled" in late.text
    assert 'href="/letters"' in late.text  # a signed-in error page keeps its menu
    other = web.post(f"/letters/{theirs.id}/cancel", data={"csrf_token": token})
    assert other.status_code == 404
    assert (
        web.get(f"/v1/letters/{theirs.id}", headers=other_tenant.headers).json()["state"]
        == "accepted"
    )


def test_search_by_name_or_postal_code_and_filter_by_days(
    web: TestClient, container: Container, tenant: Tenant
) -> None:
    now = container.clock.now()
    [anna] = add_letters(container, tenant.account_id, at=now - timedelta(days=3))
    [bo] = add_letters(
        container,
        tenant.account_id,
        recipient=Recipient(
            name_lines=("Bo Ek",),
            street_lines=("Kungsgatan 5",),
            postal_code="411 19",
            city="Göteborg",
            country="SE",
        ),
    )
    sign_in(web, tenant.username, tenant.password)
    assert listed_ids(web.get("/letters?q=bo ek").text) == [bo.id]
    assert listed_ids(web.get("/letters?q=411 19").text) == [bo.id]
    assert listed_ids(web.get("/letters?q=svensson").text) == [anna.id]
    three_days_ago = (now - timedelta(days=3)).date().isoformat()
    today = now.date().isoformat()
    assert listed_ids(web.get(f"/letters?from={three_days_ago}&to={three_days_ago}").text) == [
        anna.id
    ]
    assert listed_ids(web.get(f"/letters?from={today}").text) == [bo.id]
    assert set(listed_ids(web.get(f"/letters?to={today}").text)) == {anna.id, bo.id}
    backwards = web.get(f"/letters?from={today}&to={three_days_ago}")
    assert backwards.status_code == 422 and "is after the last" in backwards.text
    not_a_day = web.get("/letters?from=yesterday")
    assert not_a_day.status_code == 422 and "not a date like 2026-12-07" in not_a_day.text


def test_a_letter_sent_by_email_shows_its_address_and_message_id(
    web: TestClient, container: Container, tenant: Tenant
) -> None:
    [letter] = add_letters(
        container,
        tenant.account_id,
        state=PieceState.SENT,
        recipient=None,
        delivery={"email": {"to": "anna@example.se", "subject": "Invoice", "body": "Hi"}},
        external_reference="<20261207.1@postroom.example>",
    )
    sign_in(web, tenant.username, tenant.password)
    page = web.get(f"/letters/{letter.id}").text
    assert '<p id="recipient">By email to anna@example.se</p>' in page
    assert "<dt>Message-ID</dt><dd><code>&lt;20261207.1@postroom.example&gt;</code></dd>" in page
    assert "No preview: the letter has no printed pages: it is sent by email" in page
    assert "anna@example.se" in web.get("/letters").text
