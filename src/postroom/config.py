"""Typed settings from POSTROOM_* environment variables; built in bootstrap, never at import."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET_KEY = "development-only-secret-change-me"
SQLITE_FILE = "postroom.db"  # the embedded database, in the data folder


class UnusableSetting(ValueError):
    """A setting this process cannot honour: the start stops with this message."""


class Settings(BaseSettings):
    """Everything an operator can set; one instance per process."""

    model_config = SettingsConfigDict(env_prefix="POSTROOM_", extra="ignore")

    env: Literal["development", "production"] = "development"
    data_dir: Path = Path("var")
    database_url: str = ""
    broker_url: str = ""
    storage_url: str = ""
    # Where the print channel's lots land: empty for <data dir>/output, file:///absolute/path
    # for a folder (the print room's hot folder), s3://bucket/prefix for a bucket.
    output_url: str = ""
    # With blobs in a bucket: how much of the local copies (<data dir>/blob-cache) a process
    # keeps; the least recently used go first (a copy used in the last ten minutes stays).
    blob_cache_bytes: int = Field(default=4 * 1024**3, ge=1024 * 1024)
    secret_key: str = DEFAULT_SECRET_KEY
    # Keys that sealed secrets before POSTROOM_SECRET_KEY did, as a JSON list: they still
    # open what they sealed (until `postroom secrets rotate` re-seals it), never seal.
    previous_secret_keys: list[str] = Field(default_factory=list)
    webhooks_allow_private: bool = False

    max_upload_bytes: int = Field(default=50 * 1024 * 1024, ge=1024)
    max_pages_per_document: int = Field(default=2000, ge=1)
    # Pieces one step-by-step batch (an Ekopost campaign) may hold (Ekopost error 121).
    max_pieces_per_batch: int = Field(default=100_000, ge=1)
    # An account's daily allowance of large documents (Ekopost error 143: "More than 50
    # documents over 8Mb sent current day"); the day is UTC.
    large_document_bytes: int = Field(default=8 * 1024 * 1024, ge=1)
    large_documents_per_day: int = Field(default=50, ge=0)
    lot_interval_seconds: float = Field(default=1.0, gt=0)
    lot_max_pieces: int = Field(default=1000, ge=1)
    lot_max_sheets: int = Field(default=5000, ge=1)
    outbox_poll_seconds: float = Field(default=0.2, gt=0)
    outbox_redeliver_after_seconds: float = Field(default=600.0, gt=0)
    worker_threads: int = Field(default=4, ge=1)
    idempotency_ttl_seconds: int = Field(default=24 * 3600, ge=60)
    idempotency_lock_seconds: int = Field(default=300, ge=1)
    session_ttl_seconds: int = Field(default=12 * 3600, ge=60)
    queue_namespace: str = "postroom"
    default_profile: str = "postroom"
    # The service of letters sent without one (a code of the catalog, e.g. letter_standard).
    default_service: str = "letter_immediate"
    # A JSON file overriding figures of the default price table (docs/production.md).
    price_table: Path | None = None
    preflight_timeout_seconds: float = Field(default=120.0, gt=0)
    preflight_memory_bytes: int = Field(default=1024 * 1024 * 1024, ge=64 * 1024 * 1024)
    # Children that share one large file's page scans (default: the machine's cores).
    preflight_processes: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1)

    # Tracking: a CSV of event codes replacing the shipped catalog (docs/tracking.md).
    event_codes_file: Path | None = None
    # Webhooks: how long one attempt may take, how often the sender looks for due
    # deliveries, and after how many days of failures an endpoint is disabled.
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    webhook_poll_seconds: float = Field(default=1.0, gt=0)
    webhook_disable_after_days: float = Field(default=5.0, gt=0)
    # Channels besides the installed plugins: {"name": {"plugin": "print_local", <options>}}
    # as JSON, e.g. a second print room with its own "output_dir" (docs/extending.md).
    channels: dict[str, dict[str, Any]] = Field(default_factory=dict)
    # Email channel (SMTP). An empty host leaves the channel unconfigured: its pieces wait.
    smtp_host: str = ""
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_security: Literal["none", "starttls", "tls"] = "starttls"
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_from: str = "Postroom <postroom@localhost>"
    smtp_timeout_seconds: float = Field(default=30.0, gt=0)
    # SMS channel (Kannel's sendsms interface, docs/sms.md). An empty URL leaves the channel
    # unconfigured: text messages wait. The report URL is Postroom's base URL as Kannel
    # reaches it (http://host:port): delivery reports come back to <it>/v1/sms/reports; empty,
    # none is asked for and recipients stay `sent`.
    kannel_sendsms_url: str = ""
    kannel_username: str = ""
    kannel_password: str = ""
    kannel_timeout_seconds: float = Field(default=10.0, gt=0)
    sms_report_url: str = ""
    # The country of phone numbers written without +country code (ISO 3166-1 alpha-2).
    sms_default_region: str = Field(default="SE", min_length=2, max_length=2)
    # Hand-off channel (docs/handoff.md): where pieces go that need a network Postroom does
    # not reach (Peppol, banks, signing, Mastercard): a folder (file:///absolute/path; empty
    # for <data dir>/handoff) or an HTTP endpoint (http:// or https://) they are POSTed to.
    # The report URL is Postroom's base URL as that side reaches it: reports come back to
    # <it>/v1/handoff/reports (empty: the metadata names no URL, only the report token).
    handoff_url: str = ""
    handoff_timeout_seconds: float = Field(default=30.0, gt=0)
    handoff_report_url: str = ""
    # A folder the worker reads report files from (one JSON report a file, as POSTed to
    # /v1/handoff/reports); read ones go to done/, refused ones to refused/. Empty: none.
    handoff_reports_dir: Path | None = None
    # Retention: finished pieces' recipients, spent documents (bytes, name, report), proofs'
    # bytes and the evidence log's content are dropped after this many days (hashes stay,
    # so the chain still verifies). None keeps all. The worker applies it every interval.
    retention_days: int | None = Field(default=None, ge=1)
    retention_interval_seconds: float = Field(default=3600.0, gt=0)
    # Sandbox accounts: the time between the automatic steps printed, posted, in transit
    # and delivered, on the sandbox account's own clock.
    sandbox_step_seconds: float = Field(default=3600.0, gt=0)
    # Development and tests only: the processes' clock reads its time from this file (the
    # wall clock while it does not exist), so an API and separate worker processes share a
    # time a test moves. Refused in production.
    clock_file: Path | None = None
    # How costly a password hash is: "standard" is argon2id at RFC 9106's low-memory profile
    # (about 0.1-0.2 s a hash or check); "fast" is argon2id at its minimum cost, for test
    # suites that make thousands of users (refused in production). A hash carries its own
    # parameters, so either checks the other's hashes.
    password_hashing: Literal["standard", "fast"] = "standard"

    @field_validator("storage_url", "output_url")
    @classmethod
    def _only_storage_we_have(cls, url: str, info: ValidationInfo) -> str:
        """A store this version cannot write to stops the start: files written to the local
        folder while the operator believes they are in a bucket would be lost with it."""
        folder = url.startswith("file:///") and len(url) > len("file:///")
        bucket = url.startswith("s3://") and bool(urlsplit(url).netloc)
        if url and not (folder or bucket):
            name = f"POSTROOM_{str(info.field_name).upper()}"
            raise ValueError(
                f"{name} {url!r} cannot be used: give a folder (file:///absolute/path; empty "
                "for the data folder's own) or an S3-compatible bucket (s3://bucket or "
                "s3://bucket/prefix)"
            )
        return url

    @field_validator("handoff_url")
    @classmethod
    def _handoff_we_can_reach(cls, url: str) -> str:
        """A hand-off target this version cannot write to stops the start."""
        folder = url.startswith("file:///") and len(url) > len("file:///")
        http = url.startswith(("http://", "https://")) and bool(urlsplit(url).netloc)
        if url and not (folder or http):
            raise ValueError(
                f"POSTROOM_HANDOFF_URL {url!r} cannot be used: give a folder "
                "(file:///absolute/path; empty for the data folder's own) or an HTTP endpoint "
                "(http://host/path or https://host/path)"
            )
        return url

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.env != "development" and self.secret_key == DEFAULT_SECRET_KEY:
            raise ValueError(
                "POSTROOM_SECRET_KEY must be set to a secret of your own outside development"
            )
        if self.env != "development" and len(self.secret_key) < 32:
            raise ValueError("POSTROOM_SECRET_KEY must be at least 32 characters in production")
        if self.env != "development" and self.password_hashing != "standard":
            raise ValueError(
                "POSTROOM_PASSWORD_HASHING=fast makes password hashes cheap to guess; it is "
                "for test suites: unset it in production"
            )
        if self.env != "development" and self.clock_file is not None:
            raise ValueError(
                "POSTROOM_CLOCK_FILE moves the clock for development and tests; "
                "unset it in production"
            )
        return self

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file in the data folder."""
        return self.database_url or f"sqlite:///{(self.data_dir / SQLITE_FILE).resolve()}"

    @property
    def blob_dir(self) -> Path:
        """Where the content-addressed blobs live when no object store is configured."""
        if self.storage_url.startswith("file://"):
            return Path(self.storage_url.removeprefix("file://"))
        return self.data_dir / "blobs"

    @property
    def object_store(self) -> bool:
        """True when blobs go to an S3-compatible bucket (POSTROOM_STORAGE_URL=s3://...)."""
        return self.storage_url.startswith("s3://")

    @property
    def blob_cache_dir(self) -> Path:
        """This process's local copies of blobs read from the object store."""
        return self.data_dir / "blob-cache"

    @property
    def output_dir(self) -> Path:
        """The print room's hot folder: one sub-folder per lot (with POSTROOM_OUTPUT_URL
        s3://..., where lots are composed before they go to the bucket)."""
        if self.output_url.startswith("file://"):
            return Path(self.output_url.removeprefix("file://"))
        return self.data_dir / "output"
