"""The ASGI application: native /v1, health, every installed dialect at its mount point,
and the dashboard at /."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache

from fastapi import APIRouter, FastAPI
from starlette.routing import BaseRoute

from postroom.api.docs_pages import install_docs_pages
from postroom.api.errors import install_error_handlers
from postroom.api.middleware import BodySizeLimit, DurableAnswers
from postroom.api.routes import (
    account,
    address_lists,
    batches,
    catalog,
    documents,
    edi,
    handoff,
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
    wait = container.durable_wait()
    if wait is not None:
        app.add_middleware(DurableAnswers, wait=wait)

    app.router.routes.extend(_api_routes())
    install_dashboard(app)  # at /: sign in, home, letters (web/)

    return app


@cache
def _api_routes() -> tuple[BaseRoute, ...]:
    """The routes of /v1, of every installed dialect under its mount point (its routes
    answering in its own error form, dialects/registry.py) and of health, built once a
    process: building them (FastAPI analyses every endpoint's signature and models) took
    about 0.25 s, paid again by every app made on a new container (each test makes one).
    A route keeps nothing of the app it serves: the container is read from `app.state`."""
    table = APIRouter()
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
        handoff,
        edi,
    ):
        v1.include_router(module.router)
    table.include_router(v1)
    for dialect in load_dialects():
        table.include_router(dialect.router(), prefix=dialect.mount)
    table.include_router(health.router)
    return tuple(table.routes)
