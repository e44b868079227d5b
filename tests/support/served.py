"""The app served over real HTTP: uvicorn on 127.0.0.1 in a thread, for clients that need a
socket (connectors, webhooks to and fro, a browser)."""

from __future__ import annotations

import threading

import uvicorn

from postroom.api.app import create_app
from postroom.bootstrap import Container
from tests.conftest import wait_for
from tests.support.services import free_port


class Served:
    """The app with (or without) its in-process worker, served by uvicorn on 127.0.0.1."""

    def __init__(
        self, container: Container, *, run_worker: bool = True, port: int | None = None
    ) -> None:
        # A port chosen beforehand lets the settings name the app's own URL (SMS reports).
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            create_app(container, run_worker=run_worker),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="on",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Served:
        self.thread.start()
        wait_for(lambda: self.server.started, timeout=30)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
