"""The dashboard's home page (issue 17): letters by state today and this month, what needs
attention with a link to each, the credit left, and the letters-per-day chart, all counted
by the database on a clock the test sets."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from postroom.bootstrap import Container
from postroom.config import Settings
from postroom.domain.clock import FixedClock
from postroom.domain.states import PieceState
from postroom.services import accounts
from tests.conftest import Tenant, clean_container
from tests.integration.web.conftest import add_letters, sign_in

NOW = datetime(2026, 12, 15, 12, 0, tzinfo=UTC)


@pytest.fixture
def container(make_settings: Callable[..., Settings]) -> Iterator[Container]:
    """The suite's container on a clock stopped at NOW (mid-month, midday in Stockholm)."""
    c = clean_container(make_settings(), clock=FixedClock(NOW))
    yield c
    c.close()


def row(html: str, state: str) -> tuple[int, int]:
    """The (today, this month) counts the page shows for a state."""
    found = re.search(
        rf'<tr id="state-{state}">.*?<td class="num">(\d+)</td>\s*<td class="num">(\d+)</td>',
        html,
        re.S,
    )
    assert found, f"no row for {state}"
    return int(found.group(1)), int(found.group(2))


def bars(html: str) -> dict[str, int]:
    """Day -> count, as the chart's bars carry them."""
    return {d: int(n) for d, n in re.findall(r'data-day="([\d-]+)" data-count="(\d+)"', html)}


def test_home_counts_today_and_this_month_by_state(
    web: TestClient, container: Container, tenant: Tenant, other_tenant: Tenant
) -> None:
    add_letters(container, tenant.account_id, 3, state=PieceState.CLOSED)
    add_letters(container, tenant.account_id, 2, state=PieceState.DELIVERED)
    add_letters(container, tenant.account_id, 4, at=NOW - timedelta(days=5))  # this month
    add_letters(
        container, tenant.account_id, 6, at=NOW - timedelta(days=20), state=PieceState.POSTED
    )  # 25 November: last month, still on the chart
    add_letters(container, other_tenant.account_id, 7)  # another account's: never counted
    sign_in(web, tenant.username, tenant.password)
    page = web.get("/").text
    assert row(page, "closed") == (3, 7)
    assert row(page, "delivered") == (2, 2)
    assert 'id="state-posted"' not in page  # none this month
    assert re.search(r"<tfoot>.*?>5</td>.*?>9</td>", page, re.S)
    days = bars(page)
    assert len(days) == 30
    assert days["2026-12-15"] == 5 and days["2026-12-10"] == 4 and days["2026-11-25"] == 6
    assert sum(days.values()) == 15
    assert "15 letters in all; the busiest day was 25 Nov with 6" in page
    assert min(days) == "2026-11-16" and max(days) == "2026-12-15"


def test_home_lists_what_needs_attention_with_links(
    web: TestClient, container: Container, tenant: Tenant
) -> None:
    [failed] = add_letters(
        container,
        tenant.account_id,
        state=PieceState.FAILED,
        failure_code="unreadable_pdf",
        failure_reason="the PDF could not be opened",
        client_reference="INV-FAILED",
    )
    add_letters(container, tenant.account_id, 2, state=PieceState.RETURNED)
    [stuck] = add_letters(container, tenant.account_id, state=PieceState.OPENED, eligible=False)
    add_letters(container, tenant.account_id, state=PieceState.OPENED, eligible=True)
    add_letters(container, tenant.account_id, state=PieceState.FAILED, at=NOW - timedelta(days=40))
    sign_in(web, tenant.username, tenant.password)
    page = web.get("/").text
    assert re.search(r'id="attention-failed"><a href="/letters\?state=failed">1 failed</a>', page)
    assert '<a href="/letters?state=returned">2 returned</a>' in page
    assert '<a href="/letters?attention=not-eligible">1 not eligible</a>' in page
    assert f'<a href="/letters/{failed.id}">INV-FAILED</a>' in page
    assert "the PDF could not be opened" in page
    assert f'href="/letters/{stuck.id}"' in page
    # The links lead to exactly those letters.
    listed = web.get("/letters?attention=not-eligible").text
    assert "1 letter;" in listed and f"/letters/{stuck.id}" in listed


def test_home_shows_the_credit_left(web: TestClient, container: Container) -> None:
    accounts.create_account(
        uow=container.uow(),
        clock=container.clock,
        name="Kommunen",
        username="clerk",
        password="clerk-password-1",
        credit_minor=1_234_567,
    )
    sign_in(web, "clerk", "clerk-password-1")
    page = web.get("/").text
    assert "<h1>Kommunen</h1>" in page
    assert '<dd id="credit-left">12\u202f345.67 SEK</dd>' in page
    assert "Nothing needs attention" in page and "No letters this month yet." in page


def test_home_shows_each_services_next_cut_off(
    web: TestClient, container: Container, tenant: Tenant
) -> None:
    sign_in(web, tenant.username, tenant.password)
    page = web.get("/").text
    cut_offs = page[page.index('<ul class="plain" id="cut-offs">') :]
    cut_offs = cut_offs[: cut_offs.index("</ul>")]
    # NOW is Tuesday 15 December, 13:00 in Stockholm: today's 16:00 cut-off is still ahead.
    assert re.search(
        r'datetime="2026-12-15T16:00:00\+01:00">Tue 15 Dec, 16:00 CET</time>', cut_offs
    )
    assert "at once, no cut-off" in cut_offs
    container.clock.advance(timedelta(hours=4))  # type: ignore[attr-defined]
    later = web.get("/").text
    assert 'datetime="2026-12-16T16:00:00+01:00"' in later  # tomorrow's, now today's passed
