"""/docs and /redoc render every operation in a real browser with the network cut (issue 13)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from postroom.bootstrap import Container
from tests.conftest import Backend
from tests.support.browser import offline_page
from tests.support.served import Served


@pytest.fixture
def base(container: Container, backend: Backend) -> Iterator[str]:
    if backend.distributed:
        pytest.skip("the docs pages do not depend on the backend; the SQLite run covers them")
    with Served(container, run_worker=False) as served:
        yield served.base


def _operation_count(base: str) -> int:
    spec = httpx.get(f"{base}/openapi.json", timeout=30).json()
    return sum(
        1
        for item in spec["paths"].values()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    )


def test_swagger_ui_shows_every_operation_without_internet(base: str, tmp_path: Path) -> None:
    expected = _operation_count(base)
    with offline_page() as offline:
        page = offline.page
        page.goto(f"{base}/docs")
        page.wait_for_selector(".opblock", timeout=30_000)
        operations = page.locator(".opblock")
        assert operations.count() == expected
        assert page.locator(".opblock-summary-path", has_text="/v1/letters").count() >= 1
        assert "Postroom" in page.locator(".info .title").inner_text()
        page.screenshot(path=tmp_path / "docs.png", full_page=False)
        if shots := os.environ.get("POSTROOM_TEST_SCREENSHOTS"):
            page.screenshot(path=Path(shots) / "docs.png")
        assert offline.outside == []
    assert (tmp_path / "docs.png").stat().st_size > 10_000


def test_redoc_shows_every_operation_without_internet(base: str, tmp_path: Path) -> None:
    expected = _operation_count(base)
    with offline_page() as offline:
        page = offline.page
        page.goto(f"{base}/redoc")
        page.wait_for_selector("[data-section-id^='operation/']", timeout=60_000)
        assert page.locator("[data-section-id^='operation/']").count() == expected
        assert "/v1/letters" in page.content()
        page.screenshot(path=tmp_path / "redoc.png", full_page=False)
        if shots := os.environ.get("POSTROOM_TEST_SCREENSHOTS"):
            page.screenshot(path=Path(shots) / "redoc.png")
        assert offline.outside == []


def test_docs_pages_name_no_other_host(base: str) -> None:
    for path in ("/docs", "/redoc"):
        answer = httpx.get(f"{base}{path}", timeout=30)
        assert "default-src 'self'" in answer.headers["content-security-policy"]
        html = answer.text
        assert "cdn." not in html and "googleapis" not in html and "https://" not in html, path
    asset = httpx.get(f"{base}/docs-assets/swagger-ui-bundle.js", timeout=30)
    assert asset.status_code == 200 and len(asset.content) > 100_000
