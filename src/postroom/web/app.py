"""The dashboard's place in the app: its pages at / and its own stylesheet."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from postroom.web import (
    developers,
    home,
    letters,
    print_files,
    print_room,
    sandbox,
    send,
    signin,
    webhooks,
)

STATIC = Path(__file__).parent / "static"
STATIC_PATH = "/dashboard-assets"


def install_dashboard(app: FastAPI) -> None:
    """Serve the dashboard's pages and stylesheet (after the API's routes, so /v1, the
    dialects and the health checks keep their paths)."""
    pages = (signin, home, letters, send, print_files, developers, webhooks, sandbox, print_room)
    for module in pages:
        app.include_router(module.router)
    app.mount(STATIC_PATH, StaticFiles(directory=STATIC), name="dashboard-assets")
