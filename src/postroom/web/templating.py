"""Jinja2 pages: one environment for the process, filters for times and money, and the
headers every dashboard page carries."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from postroom.bootstrap import Container
from postroom.web.security import csrf_token, keep_new_csrf_cookie

TEMPLATES = Path(__file__).parent / "templates"

# The pages load nothing from another host and run only the dashboard's own script file
# (static/dashboard.js; no inline script): a page injected with markup despite the escaping
# could still not run, load or send anything of its own.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; "
        "img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def when(value: datetime | None) -> str:
    """A time as people read it: 2026-12-07 14:05 UTC."""
    if value is None:
        return "—"
    return value.strftime("%Y-%m-%d %H:%M UTC")


def money(minor: int | None, currency: str = "SEK") -> str:
    """An amount in minor units as 1 234.50 SEK (no cap: "no limit")."""
    if minor is None:
        return "no limit"
    sign = "-" if minor < 0 else ""
    whole, cents = divmod(abs(minor), 100)
    return f"{sign}{whole:,}.{cents:02d} {currency}".replace(",", "\u202f")


def label(value: Any) -> str:
    """An enum value or code as words: not_eligible -> Not eligible."""
    text = str(getattr(value, "value", value)).replace("_", " ")
    return text[:1].upper() + text[1:]


def day(value: date) -> str:
    """A date as 7 Dec."""
    return f"{value.day} {value.strftime('%b')}"


@cache
def environment() -> Environment:
    """The process's template environment (templates are read once)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "svg"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(when=when, money=money, label=label, day=day)
    return env


def render(
    request: Request, c: Container, template: str, *, status: int = 200, **context: Any
) -> HTMLResponse:
    """A dashboard page: the template with the request's CSRF token, and its headers."""
    context.setdefault("visitor", None)
    context.setdefault("account", None)
    context.setdefault("nav", "")
    html = (
        environment()
        .get_template(template)
        .render(request=request, csrf_token=csrf_token(request, c), **context)
    )
    response = HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)
    keep_new_csrf_cookie(request, response, c)
    return response
