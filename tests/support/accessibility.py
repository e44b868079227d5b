"""axe-core in the page under test (the script axe-playwright-python ships, from PyPI):
the serious and critical violations it finds, in words a failing test can show."""

from __future__ import annotations

from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

BLOCKING = {"serious", "critical"}
# WCAG 2.1 A and AA, and axe's best practices.
OPTIONS = {
    "resultTypes": ["violations"],
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"],
    },
}


def serious_violations(page: Page) -> list[str]:
    """Every serious or critical violation on the page: rule, impact, the elements."""
    found: dict[str, Any] = Axe().run(page, options=OPTIONS).response
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(" ".join(n["target"]) for n in v["nodes"][:5])
        for v in found["violations"]
        if v["impact"] in BLOCKING
    ]


def overflows_at_200_percent(page: Page) -> bool:
    """True when the page needs sideways scrolling at 200 % zoom (half the width)."""
    size = page.viewport_size or {"width": 1280, "height": 900}
    page.set_viewport_size({"width": size["width"] // 2, "height": size["height"] // 2})
    try:
        wide: bool = page.evaluate(
            "document.documentElement.scrollWidth > document.documentElement.clientWidth"
        )
    finally:
        page.set_viewport_size(size)
    return wide
