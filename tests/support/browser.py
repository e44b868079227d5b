"""Debian's Chromium driven by Playwright, with the network cut: only 127.0.0.1 answers.

Playwright cannot download its own browser here; it drives /usr/bin/chromium (installed by
.ci/run from Debian's packages). Every name resolves to nothing but 127.0.0.1, and each
request the page makes elsewhere is aborted and recorded, so a test can say that a page
asked nothing of the internet.
"""

from __future__ import annotations

import base64
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Route, sync_playwright

from tests.support import services

CHROMIUM = os.environ.get("POSTROOM_TEST_CHROMIUM", "/usr/bin/chromium")
LOCAL_HOSTS = {"127.0.0.1"}


@dataclass
class OfflinePage:
    """A page in a browser that reaches only 127.0.0.1; `outside` lists what it tried."""

    page: Page
    outside: list[str] = field(default_factory=list)


def _chromium() -> str:
    path = shutil.which(CHROMIUM) or (CHROMIUM if os.access(CHROMIUM, os.X_OK) else None)
    if path is None:
        services.missing(f"Chromium ({CHROMIUM}; Debian package chromium)")
        raise AssertionError("unreachable")  # missing() skips or fails
    return path


@contextmanager
def offline_page() -> Iterator[OfflinePage]:
    """A fresh headless Chromium page with the network cut."""
    executable = _chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable,
            headless=True,
            # DNS answers nothing but localhost: a CDN could not be reached even if asked.
            args=["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--no-sandbox"],
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            offline = OfflinePage(page)

            def guard(route: Route) -> None:
                if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
                    route.continue_()
                else:
                    offline.outside.append(route.request.url)
                    route.abort("internetdisconnected")

            page.route("**/*", guard)
            yield offline
        finally:
            browser.close()


def skip_without_playwright() -> None:
    """Playwright's Python package is a dev dependency; say so if it is absent."""
    try:
        import playwright  # noqa: F401
    except ImportError:  # pragma: no cover - make install puts it there
        pytest.skip("playwright is not installed: run `make install`")


# A drop as the page sees one: a DataTransfer built in the page holding the file, on a
# `drop` event sent to the element. A trusted drop from the operating system's file manager
# cannot be synthesised (Playwright's drag_and_drop moves elements within the page), so
# this is what a test can do: the page's own handling of the drop is what runs.
DROP = """([selector, name, type, data]) => {
  const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], name, { type }));
  const target = document.querySelector(selector);
  for (const kind of ["dragenter", "dragover", "drop"]) {
    target.dispatchEvent(
      new DragEvent(kind, { bubbles: true, cancelable: true, dataTransfer: transfer })
    );
  }
}"""


def drop_file(page: Page, selector: str, name: str, data: bytes, mime: str) -> None:
    """Drop a file named `name` holding `data` onto the element `selector` finds (once the
    page's script has made it)."""
    page.locator(selector).wait_for(timeout=10_000)
    page.evaluate(DROP, [selector, name, mime, base64.b64encode(data).decode("ascii")])
