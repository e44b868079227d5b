"""`make run`'s demo account has a user for the dashboard (issue 17: a new user signs in
without the command line): made on first start with a random password kept beside the
demo key, the same on every later start."""

from __future__ import annotations

from fastapi.testclient import TestClient

from postroom.bootstrap import (
    DEMO_PASSWORD_FILE,
    Container,
    ensure_demo_account,
    ensure_demo_user,
)
from tests.integration.web.conftest import sign_in


def test_the_demo_account_has_a_dashboard_user(container: Container, web: TestClient) -> None:
    key = ensure_demo_account(container)
    made = ensure_demo_user(container)
    assert made is not None
    username, password = made
    assert username == "demo" and len(password) >= 16
    stored = container.settings.data_dir / DEMO_PASSWORD_FILE
    assert stored.read_text().strip() == password
    assert stored.stat().st_mode & 0o777 == 0o600
    assert ensure_demo_user(container) == made  # a later start: the same user
    assert sign_in(web, username, password).status_code == 303
    assert "<h1>demo</h1>" in web.get("/").text
    # The user's session and the demo key are the same account's.
    ours = web.get("/v1/account", headers={"Authorization": f"api-key {key}"}).json()
    assert f'<dd id="credit-left">{ours["credit_minor"] // 100:,}'.replace(",", "\u202f") in (
        web.get("/").text
    )
