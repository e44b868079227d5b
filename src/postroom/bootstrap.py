"""Composition root: builds engine, stores, broker and clock from settings; nothing at import.

What only some processes use (the broker, the PDF engines, the dialects' hooks) is imported
and built on first use: an admin command such as `postroom accounts list` starts in half
the time it took (docs/benchmarks.md, "CLI start-up")."""

from __future__ import annotations

import json
import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from postroom import plugins
from postroom.channels.base import RetryableChannelError
from postroom.channels.registry import ChannelRegistry, build_registry
from postroom.config import Settings, UnusableSetting
from postroom.domain.clock import Clock, FileClock, SystemClock
from postroom.domain.errors import Conflict, RetryableError
from postroom.domain.pricing import DEFAULT_PRICE_TABLE, PriceTable
from postroom.domain.tracking import EventCatalog
from postroom.services import accounts
from postroom.services.catalog import ensure_default_catalog
from postroom.services.credentials import use_password_hashing
from postroom.services.ports import BlobStore
from postroom.storage.blobs import LocalBlobStore
from postroom.storage.database import durable_waiter, make_engine
from postroom.storage.migrate import upgrade
from postroom.storage.orm import start_mappers
from postroom.storage.sealing import Sealer
from postroom.storage.uow import SqlUnitOfWork

if TYPE_CHECKING:
    import dramatiq

    from postroom.documents.analysis import AnalysisRequest, DocumentAnalysis, Progress
    from postroom.documents.preview import PiecePreviewRequest, PreviewRequest
    from postroom.services.email import EmailSender
    from postroom.services.letters import Limits
    from postroom.services.sms import SmsSender

log = logging.getLogger(__name__)

DEMO_ACCOUNT = "demo"
DEMO_KEY_FILE = "demo-api-key"
DEMO_USER = "demo"  # the demo account's user, to sign in to the dashboard
DEMO_PASSWORD_FILE = "demo-password"
DEMO_CREDIT_MINOR = 100_000_000  # 1,000,000.00 SEK: the demo never runs out


def broker_kind(settings: Settings) -> Literal["stub", "rabbitmq", "redis"]:
    """The broker the settings ask for: stub (in memory, no URL), rabbitmq or redis;
    ValueError for any other URL (checked when the container is built, the broker itself
    made on first use)."""
    url = settings.broker_url
    if not url:
        return "stub"
    if url.startswith(("amqp://", "amqps://")):
        return "rabbitmq"
    if url.startswith(("redis://", "rediss://")):
        return "redis"
    raise ValueError(f"POSTROOM_BROKER_URL must start with amqp:// or redis://, not {url!r}")


def make_broker(settings: Settings) -> dramatiq.Broker:
    """StubBroker in memory when no URL is set, else RabbitMQ (amqp://) or Redis (redis://)."""
    # Dramatiq and its brokers are imported here: only the API and the workers use them.
    kind = broker_kind(settings)
    if kind == "rabbitmq":
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        return RabbitmqBroker(url=settings.broker_url)
    if kind == "redis":
        from dramatiq.brokers.redis import RedisBroker

        return RedisBroker(url=settings.broker_url, namespace=settings.queue_namespace)  # type: ignore[no-untyped-call]
    from dramatiq.brokers.stub import StubBroker

    return StubBroker()


@dataclass
class Container:
    """Everything a process needs, built once from settings; the broker on first use."""

    settings: Settings
    clock: Clock
    engine: Engine
    session_factory: sessionmaker[Session]
    blobs: BlobStore
    channels: ChannelRegistry
    sealer: Sealer
    extras: dict[str, Any] = field(default_factory=dict)
    prices: PriceTable = DEFAULT_PRICE_TABLE
    events: EventCatalog = field(default_factory=EventCatalog.load)
    _broker: dramatiq.Broker | None = field(default=None, init=False, repr=False)
    _broker_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @property
    def broker(self) -> dramatiq.Broker:
        """The message broker, made (and set as Dramatiq's global one) on first use."""
        with self._broker_lock:
            if self._broker is None:
                import dramatiq

                self._broker = make_broker(self.settings)
                dramatiq.set_broker(self._broker)
            return self._broker

    @property
    def email_channel(self) -> EmailSender:
        """The email channel (its pieces take their own stage, SEND_EMAIL)."""
        from postroom.services.email import EMAIL_CHANNEL, EmailSender

        channel = self.channels.get(EMAIL_CHANNEL)
        if not isinstance(channel, EmailSender):
            name = type(channel).__name__
            raise TypeError(f"the {EMAIL_CHANNEL} channel ({name}) cannot send messages")
        return channel

    @property
    def sms_channel(self) -> SmsSender:
        """The SMS channel (text messages take their own stage, SEND_SMS)."""
        from postroom.services.sms import SMS_CHANNEL, SmsSender

        channel = self.channels.get(SMS_CHANNEL)
        if not isinstance(channel, SmsSender):
            name = type(channel).__name__
            raise TypeError(f"the {SMS_CHANNEL} channel ({name}) cannot send text messages")
        return channel

    def uow(self) -> SqlUnitOfWork:
        """A fresh unit of work."""
        return SqlUnitOfWork(self.session_factory, self.clock, sealer=self.sealer)

    @property
    def limits(self) -> Limits:
        """Intake limits from settings."""
        from postroom.services.letters import Limits

        return Limits(
            max_bytes=self.settings.max_upload_bytes,
            max_pages=self.settings.max_pages_per_document,
            max_pieces_per_batch=self.settings.max_pieces_per_batch,
            large_document_bytes=self.settings.large_document_bytes,
            large_documents_per_day=self.settings.large_documents_per_day,
        )

    @property
    def broker_is_in_memory(self) -> bool:
        """True in embedded mode, where queued messages die with the process."""
        return broker_kind(self.settings) == "stub"

    @staticmethod
    def is_retryable(exc: BaseException) -> bool:
        """Failures worth another attempt: lost races, busy or unreachable database."""
        # StaleDataError can escape an autoflush before the unit of work's commit translates
        # it: a duplicate delivery that lost the race to a concurrent one; retrying finds it done.
        if isinstance(
            exc, RetryableError | RetryableChannelError | OperationalError | StaleDataError
        ):
            return True
        return isinstance(exc, DBAPIError) and exc.connection_invalidated

    def run_in_child(self, func: Callable[..., Any], request: AnalysisRequest, *args: Any) -> Any:
        """func(request, *args) in a sandboxed child within the configured limits; the
        child's memory limit is sized from the file's page count, at most the setting's."""
        from postroom.documents.sandbox import run_limited

        return run_limited(
            func,
            request,
            *args,
            timeout_s=self.settings.preflight_timeout_seconds,
            memory_bytes=request.child_memory_bytes(cap=self.settings.preflight_memory_bytes),
        )

    @cached_property
    def range_slots(self) -> threading.BoundedSemaphore:
        """The ranges of shared analyses this process reads at once, whoever asked: at
        most one a child (POSTROOM_PREFLIGHT_PROCESSES)."""
        return threading.BoundedSemaphore(self.settings.preflight_processes)

    def analyse(
        self,
        request: AnalysisRequest,
        /,
        *,
        share_as: str = "",
        on_progress: Progress | None = None,
    ) -> DocumentAnalysis:
        """Run a document analysis in child processes within the configured limits. With
        `share_as` (the document's id), a large file's page ranges are shared with the other
        worker processes (services/shared_ranges.py); `on_progress` hears of the pages
        checked as a large file's ranges are done."""
        from postroom.documents.analysis import analyse_in_children, read_ranges_here

        limits = self.limits
        request = replace(request, max_pages=limits.max_pages, max_bytes=limits.max_bytes)
        read = read_ranges_here
        if share_as:
            from postroom.services.shared_ranges import SharedRangeReader, stale_after_for

            read = SharedRangeReader(
                uow_factory=self.uow,
                blobs=self.blobs,
                clock=self.clock,
                document_id=share_as,
                slots=self.range_slots,
                stale_after=stale_after_for(self.settings.preflight_timeout_seconds),
            )
        return analyse_in_children(
            request,
            self.run_in_child,
            workers=self.settings.preflight_processes,
            read_ranges=read,
            on_progress=on_progress,
        )

    def render_preview(self, request: PreviewRequest) -> bytes:
        """Render a page preview in a child process (a hostile page cannot stall the API)."""
        from postroom.documents.preview import render_preview
        from postroom.documents.sandbox import run_limited

        return run_limited(
            render_preview,
            request,
            timeout_s=min(30.0, self.settings.preflight_timeout_seconds),
            memory_bytes=self.settings.preflight_memory_bytes,
        )

    def render_piece_preview(self, request: PiecePreviewRequest) -> bytes:
        """Compose a letter alone and render one of its pages, in a child process."""
        from postroom.documents.preview import render_piece_preview
        from postroom.documents.sandbox import run_limited

        return run_limited(
            render_piece_preview,
            request,
            timeout_s=min(30.0, self.settings.preflight_timeout_seconds),
            memory_bytes=self.settings.preflight_memory_bytes,
        )

    def durable_wait(self) -> Callable[[], None] | None:
        """What makes every commit so far survive a power cut where a commit alone does not
        (SQLite: one sync of its log, shared by all who wait at once); None on PostgreSQL."""
        return durable_waiter(self.engine)

    def session_ttl(self) -> timedelta:
        """How long a login session lasts."""
        return timedelta(seconds=self.settings.session_ttl_seconds)

    def readiness(self) -> dict[str, str]:
        """Check the database, broker and storage; each is 'ok' or the error met."""
        checks: dict[str, str] = {}
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as exc:  # report, do not raise: this feeds /readyz
            checks["database"] = f"error: {exc}"
        try:
            _ping_broker(self.broker)
            checks["broker"] = "ok"
        except Exception as exc:
            checks["broker"] = f"error: {exc}"
        try:
            self.blobs.check()
            checks["storage"] = "ok"
        except Exception as exc:
            checks["storage"] = f"error: {exc}"
        return checks

    def close(self) -> None:
        """Release connections."""
        if self._broker is not None:
            self._broker.close()
        self.engine.dispose()


def _ping_broker(broker: dramatiq.Broker) -> None:
    from dramatiq.brokers.stub import StubBroker

    if isinstance(broker, StubBroker):
        return
    from dramatiq.brokers.rabbitmq import RabbitmqBroker
    from dramatiq.brokers.redis import RedisBroker

    if isinstance(broker, RabbitmqBroker):
        import pika

        pika.BlockingConnection(broker.parameters).close()
    elif isinstance(broker, RedisBroker):
        broker.client.ping()


def build_container(
    settings: Settings, *, clock: Clock | None = None, dialects: bool = True
) -> Container:
    """Build every component, create folders, and bring the database schema up to date.

    `dialects=False` skips the dialects' startup hooks: what they set up (webhook shapes and
    signatures) serves only the API and the workers, not an admin command."""
    channels = build_registry(settings)  # first: a channel setting it cannot honour stops it
    use_password_hashing(settings.password_hashing)
    start_mappers()
    if dialects:
        start_dialects()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    blobs = open_blob_store(settings)  # before the engine: a bucket it cannot write stops it
    check_output_bucket(settings)
    engine = make_engine(settings.resolved_database_url)
    sealer = Sealer(settings.secret_key, settings.previous_secret_keys)
    upgrade(engine, sealer=sealer)
    broker_kind(settings)  # a broker URL it cannot use stops it here, not at first message
    container = Container(
        settings=settings,
        clock=clock or settings_clock(settings),
        engine=engine,
        session_factory=sessionmaker(engine, expire_on_commit=False),
        blobs=blobs,
        channels=channels,
        sealer=sealer,
        prices=load_price_table(settings.price_table),
        events=EventCatalog.load(settings.event_codes_file),
    )
    try:
        check_sealing_keys(container)
    except UnusableSetting:
        container.close()
        raise
    ensure_default_catalog(container.uow(), container.clock)
    return container


def open_blob_store(settings: Settings) -> BlobStore:
    """The folder store, or the bucket of POSTROOM_STORAGE_URL=s3://... once it has taken a
    probe write (a bucket that cannot be written stops the start, UnusableSetting)."""
    if not settings.object_store:
        return LocalBlobStore(settings.blob_dir)
    from postroom.storage.objects import ObjectStoreError, S3BlobStore

    store = S3BlobStore.from_url(
        settings.storage_url, settings.blob_cache_dir, cache_bytes=settings.blob_cache_bytes
    )
    try:
        store.check()
    except ObjectStoreError as exc:
        raise UnusableSetting(f"POSTROOM_STORAGE_URL: {exc}") from exc
    return store


def check_output_bucket(settings: Settings) -> None:
    """With POSTROOM_OUTPUT_URL=s3://..., stop the start (UnusableSetting) when the bucket
    cannot be written: lots would be composed, then wait on it one by one."""
    if not settings.output_url.startswith("s3://"):
        return
    from postroom.storage.objects import BucketFolder, ObjectStoreError

    try:
        BucketFolder.from_url(settings.output_url).check()
    except ObjectStoreError as exc:
        raise UnusableSetting(f"POSTROOM_OUTPUT_URL: {exc}") from exc


def check_sealing_keys(container: Container) -> None:
    """Stop the start (UnusableSetting) when a stored secret was sealed with a key this
    process does not hold: every webhook would fail to sign, one by one, later. Only key ids
    are compared; no secret is opened (and cryptography is not loaded when none is stored)."""
    with container.uow() as uow:
        sealed_by = uow.webhooks.sealing_key_ids()
    sealed_by.pop("clear", None)
    if not sealed_by:
        return
    held = container.sealer.keys
    lacking = {key_id: n for key_id, n in sealed_by.items() if key_id not in held}
    if lacking:
        count = sum(lacking.values())
        raise UnusableSetting(
            f"POSTROOM_SECRET_KEY cannot open {count} stored webhook signing secret(s): they "
            f"were sealed with key id {', '.join(sorted(lacking))}, and this process holds key "
            f"id {', '.join(held)}. Start with the POSTROOM_SECRET_KEY that sealed them (or "
            "list it in POSTROOM_PREVIOUS_SECRET_KEYS); see docs/webhooks.md, 'Sealed secrets'"
        )


def settings_clock(settings: Settings) -> Clock:
    """The wall clock, or in development the shared clock file's (POSTROOM_CLOCK_FILE)."""
    if settings.clock_file is not None:
        return FileClock(settings.clock_file)
    return SystemClock()


def start_dialects() -> None:
    """Run every installed dialect's startup hook: the API and the workers both need what
    they set up (the shapes of their webhooks, ...). Loaded by entry point at run time, as
    the API mounts them: a dialect's routes use the container, so bootstrap never imports
    the dialects package (import-linter's acyclic contract)."""
    for entry in plugins.installed(plugins.DIALECTS):
        entry.load().on_startup()


def load_price_table(path: Path | None) -> PriceTable:
    """The default price table, with the figures of the JSON file at `path` replacing its own."""
    if path is None:
        return DEFAULT_PRICE_TABLE
    return PriceTable.from_dict(json.loads(path.read_text(encoding="utf-8")))


def ensure_demo_account(container: Container) -> str:
    """Create the demo account and its API key on first start; return the key (development only)."""
    key_file: Path = container.settings.data_dir / DEMO_KEY_FILE
    with container.uow() as uow:
        account = uow.accounts.find_by_name(DEMO_ACCOUNT)
        # A data folder from before letters were charged: the demo must still produce them.
        if account is not None and account.credit_minor < DEMO_CREDIT_MINOR // 2:
            account.credit_minor = DEMO_CREDIT_MINOR
            uow.commit()
    if account is not None and key_file.exists():
        return key_file.read_text().strip()
    if account is None:
        account = accounts.create_account(
            uow=container.uow(),
            clock=container.clock,
            name=DEMO_ACCOUNT,
            credit_minor=DEMO_CREDIT_MINOR,
        )
    _, key = accounts.create_api_key(
        uow=container.uow(), clock=container.clock, account_id=account.id, name="demo"
    )
    key_file.write_text(key + "\n")
    key_file.chmod(0o600)
    return key


def ensure_demo_user(container: Container) -> tuple[str, str] | None:
    """The demo account's dashboard user and password, made on first start (development
    only; call ensure_demo_account first); None when the name is another account's."""
    password_file: Path = container.settings.data_dir / DEMO_PASSWORD_FILE
    if password_file.exists():
        return DEMO_USER, password_file.read_text().strip()
    account = accounts.find_account(uow=container.uow(), ref=DEMO_ACCOUNT)
    password = secrets.token_urlsafe(12)
    try:
        accounts.add_user(
            uow=container.uow(),
            clock=container.clock,
            account_id=account.id,
            username=DEMO_USER,
            password=password,
        )
    except Conflict:
        return None  # a data folder where someone already took the name
    password_file.write_text(password + "\n")
    password_file.chmod(0o600)
    return DEMO_USER, password
