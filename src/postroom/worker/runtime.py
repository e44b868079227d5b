"""The worker side of a process: Dramatiq worker threads, the outbox relay and the lot scheduler."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

import dramatiq

from postroom.domain.records import OutboxMessage
from postroom.services import handoff, pipeline, production, retention, sandbox, webhooks
from postroom.worker.actors import queue_of, register_actors

if TYPE_CHECKING:
    from postroom.bootstrap import Container

log = logging.getLogger(__name__)


class _Loop(threading.Thread):
    """Runs `step` until stopped; sleeps `interval` after a step that found nothing to do,
    or after every step when `always_wait` (a periodic job rather than a queue drain)."""

    def __init__(
        self, name: str, step: Callable[[], int], interval: float, *, always_wait: bool = False
    ) -> None:
        super().__init__(name=name, daemon=True)
        self._step = step
        self._interval = interval
        self._always_wait = always_wait
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            try:
                busy = self._step() > 0
            except Exception:
                log.exception("%s: step failed; trying again shortly", self.name)
                busy = False
            if self._always_wait or not busy:
                self._stop_event.wait(self._interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=10)


class WorkerRuntime:
    """Everything a worker process runs; `serve` embeds one, `postroom worker` runs one alone."""

    def __init__(self, container: Container) -> None:
        self.container = container
        register_actors(container)
        self._worker: dramatiq.Worker | None = None
        self._loops: list[_Loop] = []

    def _publish(self, message: OutboxMessage) -> None:
        self.container.broker.enqueue(
            dramatiq.Message(
                queue_name=queue_of(message.actor),
                actor_name=message.actor,
                args=(),
                kwargs={"message_id": message.id, **message.payload},
                options={},
            )
        )

    def relay_once(self) -> int:
        """Publish what the outbox holds; returns how many messages went out."""
        c = self.container
        return pipeline.relay_outbox(
            uow=c.uow(),
            clock=c.clock,
            publish=self._publish,
            redeliver_after=timedelta(seconds=c.settings.outbox_redeliver_after_seconds),
        )

    def build_lots_once(self) -> int:
        """Allocate due accepted pieces to lots; returns how many lots were made."""
        c = self.container
        lots = production.build_lots(
            uow_factory=c.uow,
            clock=c.clock,
            channels=c.channels,
            max_pieces=c.settings.lot_max_pieces,
            max_sheets=c.settings.lot_max_sheets,
        )
        return len(lots)

    def send_webhooks_once(self) -> int:
        """Send the webhook deliveries that are due; returns how many attempts were made."""
        c = self.container
        policy = webhooks.SenderPolicy(
            timeout_seconds=c.settings.webhook_timeout_seconds,
            allow_private=c.settings.webhooks_allow_private,
            disable_after=timedelta(days=c.settings.webhook_disable_after_days),
        )
        return webhooks.deliver_due(uow_factory=c.uow, clock=c.clock, policy=policy)

    def play_sandbox_once(self) -> int:
        """Move sandbox letters along their story on their accounts' clocks."""
        c = self.container
        return sandbox.progress(
            uow_factory=c.uow,
            clock=c.clock,
            catalog=c.events,
            channels=production.lot_channels(c.channels),
            step=timedelta(seconds=c.settings.sandbox_step_seconds),
        )

    def apply_retention_once(self) -> int:
        """Remove personal content older than the retention period; returns how many pieces
        and documents were redacted."""
        c = self.container
        if c.settings.retention_days is None:
            return 0
        result = retention.apply_retention(
            uow_factory=c.uow, blobs=c.blobs, clock=c.clock, days=c.settings.retention_days
        )
        return result.pieces_redacted + result.documents_redacted

    def import_handoff_reports_once(self) -> int:
        """Apply the report files the hand-off channel's receiving side left."""
        c = self.container
        if c.settings.handoff_reports_dir is None:
            return 0
        return handoff.import_report_files(
            uow_factory=c.uow, clock=c.clock, folder=c.settings.handoff_reports_dir
        )

    def start(self) -> None:
        """Recover unfinished work, then start consuming, relaying and scheduling."""
        c = self.container
        if c.broker_is_in_memory:
            recovered = pipeline.recover_in_memory_queue(uow=c.uow())
            if recovered:
                log.info("recovered %d unfinished pipeline messages", recovered)
        production.sweep_interrupted_compositions(uow_factory=c.uow, channels=c.channels)
        # worker_timeout: how long an idle consumer or worker thread waits for a message
        # before it looks whether it must stop. Stopping waits that long: in memory, where a
        # wake-up costs nothing, 50 ms (an embedded server, each test's app, stops in
        # 0.08 s instead of 0.28 s); 200 ms on a broker connection.
        timeout_ms = 50 if c.broker_is_in_memory else 200
        self._worker = dramatiq.Worker(
            c.broker, worker_threads=c.settings.worker_threads, worker_timeout=timeout_ms
        )
        self._worker.start()
        self._loops = [
            _Loop("outbox-relay", self.relay_once, c.settings.outbox_poll_seconds),
            _Loop(
                "lot-builder",
                self.build_lots_once,
                c.settings.lot_interval_seconds,
                always_wait=True,
            ),
            _Loop("webhook-sender", self.send_webhooks_once, c.settings.webhook_poll_seconds),
            _Loop(
                "sandbox-story",
                self.play_sandbox_once,
                c.settings.lot_interval_seconds,
                always_wait=True,
            ),
        ]
        if c.settings.retention_days is not None:
            self._loops.append(
                _Loop(
                    "retention",
                    self.apply_retention_once,
                    c.settings.retention_interval_seconds,
                    always_wait=True,
                )
            )
        if c.settings.handoff_reports_dir is not None:
            self._loops.append(
                _Loop(
                    "handoff-reports",
                    self.import_handoff_reports_once,
                    c.settings.lot_interval_seconds,
                    always_wait=True,
                )
            )
        for loop in self._loops:
            loop.start()

    def stop(self) -> None:
        """Stop scheduling and relaying, then let the worker threads finish."""
        for loop in self._loops:
            loop.stop()
        if self._worker is not None:
            self._worker.stop(timeout=10_000)
        self._loops = []
        self._worker = None
