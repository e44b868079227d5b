"""Signing in to the dashboard (issue 17): the API's users and password check, the login
throttle, the session cookie's flags, CSRF on every form, signing out."""

from __future__ import annotations

import httpx
from fastapi.testclient import TestClient

from postroom.bootstrap import Container
from postroom.web.security import CSRF_COOKIE, SESSION_COOKIE
from tests.conftest import Tenant
from tests.integration.web.conftest import csrf_of, sign_in


def test_a_page_asks_to_sign_in_first_and_comes_back_after(web: TestClient, tenant: Tenant) -> None:
    answer = web.get("/letters?state=failed", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/signin?next=/letters%3Fstate%3Dfailed"
    form = web.get(answer.headers["location"])
    assert 'name="next" value="/letters?state=failed"' in form.text
    signed = web.post(
        "/signin",
        data={
            "username": tenant.username,
            "password": tenant.password,
            "csrf_token": csrf_of(form.text),
            "next": "/letters?state=failed",
        },
        follow_redirects=False,
    )
    assert signed.status_code == 303
    assert signed.headers["location"] == "/letters?state=failed"
    page = web.get("/letters?state=failed")
    assert page.status_code == 200
    assert '<option value="failed" selected>' in page.text


def test_the_session_cookie_is_httponly_and_lax_and_the_api_accepts_its_session(
    web: TestClient, tenant: Tenant
) -> None:
    answer = sign_in(web, tenant.username, tenant.password)
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    cookie = next(
        c for c in answer.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE + "=")
    )
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert "httponly" in flags and "samesite=lax" in flags and "path=/" in flags
    assert "secure" not in flags  # development serves plain HTTP (make run)
    # The same session as POST /v1/sessions opens: the API takes its token.
    token = web.cookies[SESSION_COOKIE]
    account = web.get("/v1/account", headers={"X-Auth-Token": token})
    assert account.status_code == 200 and account.json()["id"] == tenant.account_id


def test_cookies_are_secure_outside_development(
    container: Container, web: TestClient, tenant: Tenant
) -> None:
    container.settings = container.settings.model_copy(
        update={"env": "production", "secret_key": "s" * 40}
    )
    web.base_url = httpx.URL("https://testserver")  # a browser sends Secure cookies on HTTPS
    form = web.get("/signin")
    csrf_cookie = form.headers["set-cookie"]
    assert csrf_cookie.startswith(CSRF_COOKIE + "=") and "Secure" in csrf_cookie
    answer = web.post(
        "/signin",
        data={
            "username": tenant.username,
            "password": tenant.password,
            "csrf_token": csrf_of(form.text),
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert "Secure" in answer.headers["set-cookie"] and "HttpOnly" in answer.headers["set-cookie"]


def test_a_wrong_password_says_so_and_opens_no_session(web: TestClient, tenant: Tenant) -> None:
    answer = sign_in(web, tenant.username, "not-the-password")
    assert answer.status_code == 401
    assert "The username or password is wrong" in answer.text
    assert 'class="error-summary"' in answer.text
    assert f'value="{tenant.username}"' in answer.text  # the name is kept, the password not
    assert SESSION_COOKIE not in web.cookies
    assert web.get("/", follow_redirects=False).status_code == 303
    unknown = sign_in(web, "nobody-at-all", "whatever-password")
    assert unknown.status_code == 401 and "The username or password is wrong" in unknown.text


def test_empty_fields_are_named_by_the_field(web: TestClient) -> None:
    form = web.get("/signin")
    answer = web.post(
        "/signin", data={"username": " ", "password": "", "csrf_token": csrf_of(form.text)}
    )
    assert answer.status_code == 422
    assert "Enter your username." in answer.text and "Enter your password." in answer.text
    assert 'href="#username"' in answer.text and 'aria-invalid="true"' in answer.text


def test_failed_sign_ins_are_throttled_as_the_api_throttles_them(
    web: TestClient, tenant: Tenant
) -> None:
    for _ in range(6):  # five are free; the sixth makes the name wait
        assert sign_in(web, tenant.username, "wrong-password").status_code == 401
    refused = sign_in(web, tenant.username, tenant.password)
    assert refused.status_code == 429
    assert "too many failed logins" in refused.text
    assert SESSION_COOKIE not in web.cookies
    # The API counts the same failures: its login is refused too.
    api = web.post("/v1/sessions", json={"username": tenant.username, "password": tenant.password})
    assert api.status_code == 429


def test_sign_in_without_the_csrf_token_is_refused(web: TestClient, tenant: Tenant) -> None:
    web.get("/signin")  # the browser has its CSRF cookie, but the form lacks the token
    answer = web.post(
        "/signin",
        data={"username": tenant.username, "password": tenant.password},
        follow_redirects=False,
    )
    assert answer.status_code == 403
    assert "This form could not be accepted" in answer.text
    assert SESSION_COOKIE not in web.cookies


def test_a_token_from_another_browser_is_refused(
    web: TestClient, other_web: TestClient, tenant: Tenant
) -> None:
    theirs = csrf_of(other_web.get("/signin").text)
    web.get("/signin")
    answer = web.post(
        "/signin",
        data={"username": tenant.username, "password": tenant.password, "csrf_token": theirs},
        follow_redirects=False,
    )
    assert answer.status_code == 403
    assert SESSION_COOKIE not in web.cookies


def test_sign_out_ends_the_session_and_needs_the_token(web: TestClient, tenant: Tenant) -> None:
    assert sign_in(web, tenant.username, tenant.password).status_code == 303
    token = web.cookies[SESSION_COOKIE]
    refused = web.post("/signout", data={}, follow_redirects=False)
    assert refused.status_code == 403
    assert web.get("/").status_code == 200  # still signed in
    home = web.get("/")
    answer = web.post("/signout", data={"csrf_token": csrf_of(home.text)}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/signin"
    assert SESSION_COOKIE not in web.cookies
    assert web.get("/", follow_redirects=False).headers["location"] == "/signin"
    # The session is over for the API as well, not just forgotten by the browser.
    assert web.get("/v1/account", headers={"X-Auth-Token": token}).status_code == 401


def test_next_never_leaves_the_site(web: TestClient, tenant: Tenant) -> None:
    form = web.get("/signin?next=//evil.example/steal")
    assert 'name="next" value="/"' in form.text
    answer = web.post(
        "/signin",
        data={
            "username": tenant.username,
            "password": tenant.password,
            "csrf_token": csrf_of(form.text),
            "next": "https://evil.example/",
        },
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/"


def test_pages_carry_a_strict_content_security_policy(web: TestClient) -> None:
    page = web.get("/signin")
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "form-action 'self'" in policy
    # Only the dashboard's own script file runs: no inline script, nothing from elsewhere.
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy
    assert '<script src="/dashboard-assets/dashboard.js" defer></script>' in page.text
    assert page.headers["cache-control"] == "no-store"
    css = web.get("/dashboard-assets/dashboard.css")
    assert css.status_code == 200 and "text/css" in css.headers["content-type"]
    script = web.get("/dashboard-assets/dashboard.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
