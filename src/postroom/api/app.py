"""The ASGI application: native /v1, health, every installed dialect at its mount point,
and the dashboard at /."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from postroom.api.docs_pages import install_docs_pages
from postroom.api.errors import install_error_handlers
from postroom.api.middleware import BodySizeLimit
from postroom.api.routes import (
    account,
    address_lists,
    batches,
    catalog,
    documents,
    health,
    keys,
    letters,
    lots,
    orders,
    reachability,
    sandbox,
    sessions,
    shops,
    sms,
    tracking,
    webhooks,
)
from postroom.bootstrap import Container
from postroom.dialects.registry import load_dialects
from postroom.http.logs import redact_access_log
from postroom.web.app import install_dashboard
from postroom.worker.runtime import WorkerRuntime


def create_app(container: Container, *, run_worker: bool = True) -> FastAPI:
    """Build the app on a container; with run_worker the pipeline runs in this process."""
    runtime = WorkerRuntime(container) if run_worker else None

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        redact_access_log()  # after the server configured its loggers
        if runtime is not None:
            runtime.start()
        try:
            yield
        finally:
            if runtime is not None:
                runtime.stop()

    app = FastAPI(
        title="Postroom",
        version="0.1.0",
        description="Native API of Postroom: send letters, follow them, manage credentials.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.container = container
    app.state.runtime = runtime
    install_error_handlers(app)
    install_docs_pages(app, title="Postroom")
    app.add_middleware(BodySizeLimit, max_bytes=container.settings.max_upload_bytes)

    v1 = APIRouter(prefix="/v1")
    for module in (
        letters,
        documents,
        batches,
        keys,
        sessions,
        catalog,
        lots,
        tracking,
        webhooks,
        sandbox,
        reachability,
        account,
        orders,
        shops,
        sms,
        address_lists,
    ):
        v1.include_router(module.router)
    app.include_router(v1)
    # Each dialect from its entry point (dialects/registry.py): its routes, under its mount
    # point, answering in its own error form (its router's route class).
    for dialect in load_dialects():
        app.include_router(dialect.router(), prefix=dialect.mount)
    app.include_router(health.router)
    install_dashboard(app)  # at /: sign in, home, letters (web/)

    return app
