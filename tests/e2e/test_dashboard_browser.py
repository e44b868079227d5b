"""The dashboard in a real Chromium with the network cut (issue 17): sign in, Home, the
letters list, a delivered letter's timeline and preview, an API key created and revoked,
a webhook endpoint added and a delivery sent again, the sandbox clock, a letter sent
through the form after fixing its postal code, a 3-letter print file sent after fixing
one address; the print room as the operator sees it, its print file downloaded; a wrong
password; another account's letter URL is the 404 page. One served app for the module.

With POSTROOM_TEST_SCREENSHOTS=docs/dashboard the run writes the screenshots that
docs/dashboard.md shows."""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pikepdf
import pytest
from playwright.sync_api import Page

from postroom.bootstrap import Container, build_container
from postroom.config import SQLITE_FILE, Settings
from postroom.documents import analysis
from postroom.documents.analysis import AnalysisRequest, DocumentAnalysis, Progress
from postroom.domain.geometry import layout_for
from postroom.domain.states import PieceState
from postroom.services import accounts
from postroom.services.intake import Analyser
from tests.conftest import TEST_CREDIT_MINOR, Backend, letter_form, wait_for
from tests.integration.email.mailbox import Mailbox, smtp_server, smtp_settings_for
from tests.integration.intake.helpers import concat_pdfs
from tests.integration.web.conftest import add_letters
from tests.integration.webhooks.receiver import Receiver, running_receiver
from tests.support.accessibility import overflows_at_200_percent, serious_violations
from tests.support.browser import drop_file, offline_page, skip_without_playwright
from tests.support.letters import make_letter
from tests.support.pdfs import make_pdf
from tests.support.served import Served

STEP = 3600  # the sandbox's step between printed, posted, in transit and delivered
CLERK, CLERK_PASSWORD = "clerk", "clerk-password-1"
OPERATOR, OPERATOR_PASSWORD = "operator", "operator-password-1"


@dataclass(frozen=True)
class World:
    base: str
    container: Container
    account_id: str  # account A, the clerk's
    letter_id: str  # account A's delivered letter
    others_letter_id: str  # account B's
    receiver: Receiver  # a webhook receiver on 127.0.0.1
    mailbox: Mailbox  # what the SMTP server on 127.0.0.1 took, and answers it will give


@pytest.fixture(scope="module")
def world(
    backend: Backend, migrated_sqlite: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """One app served on 127.0.0.1 with its worker: a sandbox account whose letter the
    pipeline delivered, a few more letters, and another account's letter."""
    if backend.distributed:
        pytest.skip("the pages are the same on both backends; tests/integration/web runs on both")
    skip_without_playwright()
    data = tmp_path_factory.mktemp("dashboard") / "data"
    data.mkdir()
    shutil.copyfile(migrated_sqlite, data / SQLITE_FILE)
    mailbox = Mailbox()
    with smtp_server(mailbox) as smtp:
        settings = Settings(
            data_dir=data,
            password_hashing="fast",
            lot_interval_seconds=0.2,
            outbox_poll_seconds=0.05,
            webhooks_allow_private=True,
            webhook_poll_seconds=0.05,
            **smtp_settings_for(smtp.port),  # type: ignore[arg-type]
        )
        container = build_container(settings)
        try:
            with Served(container) as served, running_receiver() as receiver:
                yield _fill(container, served.base, receiver, mailbox)
        finally:
            container.close()


def _fill(c: Container, base: str, receiver: Receiver, mailbox: Mailbox) -> World:
    account = accounts.create_account(
        uow=c.uow(),
        clock=c.clock,
        name="Skolan i Norrby",
        sandbox=True,
        credit_minor=TEST_CREDIT_MINOR,
        username=CLERK,
        password=CLERK_PASSWORD,
    )
    _, key = accounts.create_api_key(uow=c.uow(), clock=c.clock, account_id=account.id)
    api = httpx.Client(base_url=base, headers={"Authorization": f"api-key {key}"}, timeout=30)
    with api:
        letter = api.post("/v1/letters", **letter_form()).json()

        def state() -> str:
            found: str = api.get(f"/v1/letters/{letter['id']}").json()["state"]
            return found

        wait_for(lambda: state() == "transferred", timeout=60)
        api.post("/v1/sandbox/clock", json={"advance_seconds": 4 * STEP})
        wait_for(lambda: state() == "delivered", timeout=60)
    add_letters(
        c,
        account.id,
        state=PieceState.FAILED,
        failure_code="unreadable_pdf",
        failure_reason="the PDF could not be opened",
        client_reference="INV-2041",
    )
    add_letters(c, account.id, 3, state=PieceState.POSTED)
    accounts.create_account(
        uow=c.uow(),
        clock=c.clock,
        name="Tryckeriet",
        operator=True,
        username=OPERATOR,
        password=OPERATOR_PASSWORD,
    )
    other = accounts.create_account(
        uow=c.uow(), clock=c.clock, name="Another account", credit_minor=TEST_CREDIT_MINOR
    )
    [theirs] = add_letters(c, other.id, client_reference="THEIRS-1")
    # A live account's letter goes into a lot the print room sees (a sandbox's does not).
    _, other_key = accounts.create_api_key(uow=c.uow(), clock=c.clock, account_id=other.id)
    live = httpx.Client(base_url=base, headers={"Authorization": f"api-key {other_key}"})
    with live:
        produced = live.post("/v1/letters", **letter_form()).json()
        wait_for(
            lambda: live.get(f"/v1/letters/{produced['id']}").json()["state"] == "transferred",
            timeout=60,
        )
    return World(base, c, account.id, letter["id"], theirs.id, receiver, mailbox)


def shot(page: Page, tmp_path: Path, name: str) -> None:
    """A full-page screenshot, kept in docs/ when POSTROOM_TEST_SCREENSHOTS says where;
    first, axe-core finds no serious or critical violation on the page, and it reads at
    200 % zoom without scrolling sideways."""
    assert serious_violations(page) == [], name
    assert not overflows_at_200_percent(page), name
    page.screenshot(path=tmp_path / name, full_page=True)
    assert (tmp_path / name).stat().st_size > 5_000
    if folder := os.environ.get("POSTROOM_TEST_SCREENSHOTS"):
        page.screenshot(path=Path(folder) / name, full_page=True)


def sign_in(page: Page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/")
    assert page.url == f"{base}/signin"
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_sign_in_home_letters_and_a_letters_timeline(world: World, tmp_path: Path) -> None:
    with offline_page() as offline:
        page = offline.page
        page.goto(f"{world.base}/signin")
        shot(page, tmp_path, "signin.png")
        sign_in(page, world.base, CLERK, CLERK_PASSWORD)
        page.wait_for_url(f"{world.base}/")
        assert page.get_by_role("heading", level=1).inner_text() == "Skolan i Norrby"
        assert page.locator("#state-delivered td").nth(1).inner_text() == "1"
        assert page.locator("#state-posted td").nth(1).inner_text() == "3"
        assert "1 failed" in page.locator("#attention-failed").inner_text()
        assert page.locator("svg.chart rect.bar").count() == 30
        shot(page, tmp_path, "home.png")

        page.get_by_role("link", name="Letters", exact=True).click()
        page.wait_for_url(f"{world.base}/letters")
        assert "5 letters" in page.locator("#letter-count").inner_text()
        assert page.get_by_role("link", name="INV-2041").count() == 1
        shot(page, tmp_path, "letters.png")

        page.goto(f"{world.base}/letters?state=delivered")
        page.locator("table.list tbody a").first.click()
        page.wait_for_url(f"{world.base}/letters/{world.letter_id}")
        assert page.locator("#letter-state").inner_text() == "Delivered"
        assert "Anna Svensson" in page.locator("#recipient").inner_text()
        timeline = page.locator("#timeline").inner_text()
        for seen in ("Closed", "Transferred", "Posted", "Delivered", "Deposit certificate"):
            assert seen in timeline, seen
        preview = page.locator("figure.preview img")
        preview.wait_for()
        wait_for(lambda: preview.evaluate("img => img.complete && img.naturalWidth") > 0)
        shot(page, tmp_path, "letter.png")

        page.get_by_role("link", name="API keys").click()
        page.get_by_label("Name").fill("invoicing system")
        page.get_by_role("button", name="Create a key").click()
        secret = page.locator("#new-key-value").inner_text()
        assert secret.startswith("pr_")
        shot(page, tmp_path, "api-keys.png")
        page.get_by_role("button", name="Revoke the key invoicing system").click()
        page.wait_for_url(f"{world.base}/developers/api-keys?done=revoked")
        assert secret not in page.content()
        row = page.locator("tr", has_text="invoicing system")
        assert "Revoked" in row.inner_text()
        page.get_by_role("button", name=re.compile("Remove the key invoicing system")).click()
        page.wait_for_url(f"{world.base}/developers/api-keys?done=removed")
        assert page.locator("tr", has_text="invoicing system").count() == 0

        page.get_by_role("link", name="Sandbox").click()
        assert page.locator("#sandbox-offset").inner_text() == "4 h 0 min"
        shot(page, tmp_path, "sandbox.png")
        assert offline.outside == []


def test_add_a_webhook_endpoint_and_send_a_delivery_again(world: World, tmp_path: Path) -> None:
    with offline_page() as offline:
        page = offline.page
        sign_in(page, world.base, CLERK, CLERK_PASSWORD)
        page.get_by_role("link", name="Webhooks").click()
        page.get_by_label("URL").fill(world.receiver.url)
        page.get_by_label("Description (optional)").fill("invoicing system")
        page.get_by_label("Event types").fill("piece.*")
        page.get_by_role("button", name="Add the endpoint").click()
        assert page.locator("#new-secret-value").inner_text().startswith("whsec_")
        shot(page, tmp_path, "webhooks.png")
        add_letters(world.container, world.account_id, client_reference="INV-2042")
        wait_for(lambda: world.receiver.of_type("piece.closed"), timeout=30)
        page.get_by_role("link", name=world.receiver.url).click()
        wait_for(lambda: page.reload() and "Succeeded" in page.locator("#deliveries").inner_text())
        page.locator("#deliveries button").first.click()
        assert "sent again shortly" in page.locator(".note").inner_text()
        wait_for(lambda: len(world.receiver.of_type("piece.closed")) == 2, timeout=30)
        page.reload()
        shot(page, tmp_path, "webhook.png")
        page.get_by_role("button", name="Give it a new signing secret").click()
        assert page.locator("#new-secret-value").inner_text().startswith("whsec_")
        shot(page, tmp_path, "webhook-secret.png")
        page.get_by_role("button", name="Disable the endpoint").click()
        assert "Disabled" in page.locator("dl.facts").inner_text()
        page.get_by_role("button", name="Enable the endpoint").click()
        assert "Active" in page.locator("dl.facts").inner_text()
        assert offline.outside == []


def test_a_wrong_password_is_said_plainly(world: World, tmp_path: Path) -> None:
    with offline_page() as offline:
        page = offline.page
        sign_in(page, world.base, CLERK, "not-my-password")
        summary = page.locator(".error-summary")
        assert "The username or password is wrong" in summary.inner_text()
        assert page.url == f"{world.base}/signin"
        assert page.get_by_label("Username").input_value() == CLERK
        shot(page, tmp_path, "signin-wrong-password.png")
        page.goto(f"{world.base}/")
        assert page.url == f"{world.base}/signin"  # still not signed in
        assert offline.outside == []


def test_another_accounts_letter_is_the_404_page(world: World, tmp_path: Path) -> None:
    with offline_page() as offline:
        page = offline.page
        sign_in(page, world.base, CLERK, CLERK_PASSWORD)
        page.wait_for_url(f"{world.base}/")
        answer = page.goto(f"{world.base}/letters/{world.others_letter_id}")
        assert answer is not None and answer.status == 404
        assert page.get_by_role("heading", level=1).inner_text() == "Page not found"
        assert "THEIRS-1" not in page.content()
        shot(page, tmp_path, "not-found.png")
        assert offline.outside == []


def test_the_print_room_shows_lots_to_the_operator(world: World, tmp_path: Path) -> None:
    with offline_page() as offline:
        page = offline.page
        sign_in(page, world.base, OPERATOR, OPERATOR_PASSWORD)
        page.get_by_role("link", name="Print room").click()
        page.wait_for_url(f"{world.base}/print-room")
        assert page.locator("#lots tbody tr").count() >= 1
        shot(page, tmp_path, "print-room.png")
        page.locator("#lots tbody a").first.click()
        assert "print.pdf" in page.locator("main").inner_text()
        shot(page, tmp_path, "lot.png")
        with page.expect_download() as download:
            page.get_by_role("link", name="print.pdf").click()
        with pikepdf.open(download.value.path()) as printed:
            assert len(printed.pages) >= 1
        assert download.value.suggested_filename.endswith("-print.pdf")
        assert offline.outside == []


class HeldAnalyser:
    """The app's own analyser, its worker held after each range of pages it reports checked
    (once that progress is recorded) until the test lets it go on."""

    def __init__(self, real: Analyser) -> None:
        self.real = real
        self.go = threading.Semaphore(0)

    def __call__(
        self,
        request: AnalysisRequest,
        /,
        *,
        share_as: str = "",
        on_progress: Progress | None = None,
    ) -> DocumentAnalysis:
        def told(pages: int) -> None:
            if on_progress is not None:
                on_progress(pages)
            assert self.go.acquire(timeout=120), "the test never let the check go on"

        return self.real(request, share_as=share_as, on_progress=told)


def test_send_a_print_file_fixing_one_address(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Ranges of 2 pages: the 6-page file is checked as pages 1-2, 3-4 and 5-6.
    monkeypatch.setattr(analysis, "PREFLIGHT_CHUNK_PAGES", 2)
    monkeypatch.setattr(analysis, "RANGE_PAGES", 2)
    held = HeldAnalyser(world.container.analyse)
    monkeypatch.setattr(world.container, "analyse", held)
    form_a = layout_for("din5008_a")
    letters = [
        ["Anna Svensson", "Storgatan 1", "111 22 Stockholm"],
        ["Bo Ek", "Kungsgatan 2"],  # no postal code or town
        ["Carl Berg", "Drottninggatan 5", "411 14 Göteborg"],
    ]
    data = concat_pdfs([make_letter(lines, form_a, pages=2) for lines in letters])
    with offline_page() as offline:
        page = offline.page
        sign_in(page, world.base, CLERK, CLERK_PASSWORD)
        page.get_by_role("link", name="Send", exact=True).click()
        page.get_by_role("link", name="Send a print file").click()
        # Dropped onto the file's box: the script puts it into the file field.
        drop_file(page, ".drop-zone", "run-42.pdf", data, "application/pdf")
        chosen = page.locator("#file-chosen")
        assert chosen.inner_text() == f"Chosen: run-42.pdf ({-(-len(data) // 1024)} KB)"
        assert (
            page.get_by_label("The print file (PDF)").evaluate(
                "input => input.files.length === 1 && input.files[0].name"
            )
            == "run-42.pdf"
        )
        page.get_by_label("Checked against").select_option("postroom")
        page.get_by_label("A new letter every few pages").check()
        page.get_by_label('Pages in each letter (for "every few pages")').fill("2")
        shot(page, tmp_path, "print-file.png")
        page.get_by_role("button", name="Upload and check").click()
        page.wait_for_url(re.compile(rf"{re.escape(world.base)}/send/batches/[0-9a-f-]+$"))
        # The page reloads itself every 2 s; the bar fills as each range is recorded.
        bar = page.locator("#checking progress")
        for checked in (2, 4, 6):
            page.locator(f'#checking progress[value="{checked}"]').wait_for(timeout=60_000)
            assert bar.get_attribute("max") == "6"
            assert f"{checked} of 6 pages checked" in page.locator("#checking").inner_text()
            assert bar.evaluate("bar => bar.position") == pytest.approx(checked / 6)
            if checked == 4:
                shot(page, tmp_path, "print-file-checking.png")
            held.go.release()
        page.locator("#pieces").wait_for(timeout=60_000)  # the page reloads until checked
        pieces = page.locator("li.piece")
        assert pieces.count() == 3
        assert "Anna Svensson" in pieces.nth(0).locator("address").inner_text()
        assert "Not ready" in pieces.nth(1).inner_text()
        assert "Carl Berg" in pieces.nth(2).locator("address").inner_text()
        assert page.locator("#quote").inner_text().startswith("2 letters will be sent for")
        image = pieces.nth(1).locator("img")
        wait_for(lambda: image.evaluate("img => img.complete && img.naturalWidth") > 0)
        shot(page, tmp_path, "print-file-pieces.png")
        page.get_by_label("Fix the address of letter 2").fill(
            "Bo Ek\nKungsgatan 2\n111 43 Stockholm"
        )
        pieces.nth(1).get_by_role("button", name="Check this address").click()
        page.locator("#quote").wait_for()
        assert page.locator("li.piece .state").all_inner_texts() == ["Ready"] * 3
        assert page.locator("#quote").inner_text().startswith("3 letters will be sent for")
        # Letter 3 on both sides, by priority post: its own options, the price shown again.
        before = page.locator("#quote").inner_text()
        pieces.nth(2).locator("summary").click()
        page.get_by_label("Printing of letter 3").select_option("duplex")
        page.get_by_label("Postage of letter 3").select_option("priority")
        pieces.nth(2).get_by_role("button", name="Use these for letter 3").click()
        summary = pieces.nth(2).locator("summary")
        assert (
            summary.inner_text()
            == "Options of letter 3: its own, Duplex, black and white, Priority"
        )
        assert page.locator("#quote").inner_text() != before
        shot(page, tmp_path, "print-file-options.png")
        page.get_by_role("button", name="Send 3 letters").click()
        # Closed, or already on its way (the worker builds lots every 0.2 s here).
        assert page.locator("#batch-state").inner_text() in ("Closed", "Transferred")
        assert page.locator("#sent").is_visible()
        assert page.get_by_role("link", name=re.compile("Follow letter")).count() == 3
        assert offline.outside == []


def test_send_a_letter_fixing_its_postal_code(world: World, tmp_path: Path) -> None:
    data = make_pdf(1)
    pdf = {"name": "invoice.pdf", "mimeType": "application/pdf", "buffer": data}
    with offline_page() as offline:
        page = offline.page
        sign_in(page, world.base, CLERK, CLERK_PASSWORD)
        page.get_by_role("link", name="Send", exact=True).click()
        page.get_by_label("The letter (PDF)").set_input_files(pdf)  # type: ignore[arg-type]
        page.get_by_label("Name").fill("Bo Ek")
        page.get_by_label("Street address").fill("Kungsgatan 5")
        page.get_by_label("Postal code").fill("4119")
        page.get_by_label("City").fill("Göteborg")
        page.get_by_label("Country").fill("SE")
        page.get_by_role("button", name="Send the letter").click()
        summary = page.locator(".error-summary")
        assert "postal_code" in summary.inner_text()
        shot(page, tmp_path, "send.png")
        page.get_by_label("Postal code").fill("411 19")
        drop_file(page, ".drop-zone", "invoice.pdf", data, "application/pdf")
        assert page.locator("#file-chosen").inner_text().startswith("Chosen: invoice.pdf (")
        # The price, asked in the background: the page stays, the file stays chosen.
        page.get_by_role("button", name="Show the price").click()
        price = page.locator("#letter-price")
        price.wait_for()
        assert re.match(
            r"invoice\.pdf: 1 page, 1 sheet, \d+ g, sent with .+: \d", price.inner_text()
        )
        assert page.get_by_label("The letter (PDF)").evaluate("input => input.files.length") == 1
        assert page.locator(".error-summary, .field-error").count() == 0  # fixed, and priced
        shot(page, tmp_path, "send-price.png")
        page.get_by_role("button", name="Send the letter").click()
        page.wait_for_url(re.compile(rf"{re.escape(world.base)}/letters/[0-9a-f-]+$"))
        assert "Bo Ek" in page.locator("#recipient").inner_text()
        assert offline.outside == []


def test_an_email_letters_smtp_attempts_in_its_timeline(world: World, tmp_path: Path) -> None:
    """A live account's letter by email: the server refuses it once (451), then takes it;
    both tries are on the letter's page with the server's words."""
    c = world.container
    account = accounts.create_account(
        uow=c.uow(), clock=c.clock, name="Kommunen", credit_minor=TEST_CREDIT_MINOR,
        username="mailer", password="mailer-password-1",
    )  # fmt: skip
    _, key = accounts.create_api_key(uow=c.uow(), clock=c.clock, account_id=account.id)
    world.mailbox.data_answers.append("451 4.3.0 Mail server temporarily busy, try later")
    with httpx.Client(base_url=world.base, headers={"Authorization": f"api-key {key}"}) as api:
        letter = api.post(
            "/v1/letters",
            data={"service": "email", "email": '{"to": "anna@example.se"}'},
            files={"file": ("invoice.pdf", make_pdf(1), "application/pdf")},
        ).json()
        wait_for(
            lambda: api.get(f"/v1/letters/{letter['id']}").json()["state"] == "sent", timeout=60
        )
    with offline_page() as offline:
        page = offline.page
        sign_in(page, world.base, "mailer", "mailer-password-1")
        page.wait_for_url(f"{world.base}/")
        page.goto(f"{world.base}/letters/{letter['id']}")
        timeline = page.locator("#timeline").inner_text()
        busy = timeline.index("Email not taken yet: tried again later")
        taken = timeline.index("Email sent: the server took it")
        assert busy < taken
        assert "451 4.3.0 Mail server temporarily busy" in timeline
        assert "250 Message accepted for delivery" in timeline
        shot(page, tmp_path, "letter-email.png")
        assert offline.outside == []
