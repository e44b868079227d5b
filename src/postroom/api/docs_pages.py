"""`/docs` (Swagger UI) and `/redoc` served from files installed with Postroom, no CDN.

FastAPI's own pages load Swagger UI, ReDoc, a favicon and Google Fonts from the internet;
a self-hosted Postroom often runs where there is none. The assets come from the
fastapi-offline package (its `static/` folder, a copy of swagger-ui-dist and ReDoc's
standalone bundle, installed from PyPI and pinned in uv.lock), mounted at
`/docs-assets`; the pages are FastAPI's own HTML pointed at them (ADR 0016).
"""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS_MOUNT = "/docs-assets"
# The browser is told to fetch nothing from elsewhere: ReDoc's bundle hard-codes its own
# logo at cdn.redoc.ly (no option turns it off), and a page that asks a CDN is slow to give
# up where there is no internet. Inline scripts and styles are the pages' own start-up
# code; ReDoc runs its search index in a worker made from a blob.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; "
    "connect-src 'self'; frame-ancestors 'self'"
)


def assets_folder() -> Path:
    """The installed fastapi-offline package's static folder (found without importing it)."""
    spec = find_spec("fastapi_offline")
    if spec is None or spec.origin is None:
        raise RuntimeError("fastapi-offline is not installed: run `make install`")
    return Path(spec.origin).parent / "static"


def install_docs_pages(app: FastAPI, *, title: str) -> None:
    """Route /docs and /redoc to pages whose every asset this server serves itself."""
    app.mount(ASSETS_MOUNT, StaticFiles(directory=assets_folder()), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"
    favicon = f"{ASSETS_MOUNT}/favicon.png"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return _local_only(
            get_swagger_ui_html(
                openapi_url=openapi_url,
                title=f"{title} — API",
                swagger_js_url=f"{ASSETS_MOUNT}/swagger-ui-bundle.js",
                swagger_css_url=f"{ASSETS_MOUNT}/swagger-ui.css",
                swagger_favicon_url=favicon,
            )
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return _local_only(
            get_redoc_html(
                openapi_url=openapi_url,
                title=f"{title} — API reference",
                redoc_js_url=f"{ASSETS_MOUNT}/redoc.standalone.js",
                redoc_favicon_url=favicon,
                with_google_fonts=False,
            )
        )


def _local_only(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return page
