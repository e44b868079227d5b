"""The relational schema; Alembic migrations are checked against it by a test."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

from postroom.domain.states import ApiKeyState, BatchState, DocumentState, LotState, PieceState
from postroom.domain.tracking import ProofKind, ShipmentStatus
from postroom.storage.types import PieceOptionsType, RecipientType, UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

ID = String(36)


def _enum(enum_class: type, name: str) -> Enum:
    return Enum(
        enum_class,
        name=name,
        values_callable=lambda e: [m.value for m in e],
        native_enum=False,
        length=20,
        validate_strings=True,
    )


accounts = Table(
    "accounts",
    metadata,
    Column("id", ID, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("sandbox", Boolean, nullable=False, default=False),
    Column("credit_minor", BigInteger, nullable=False, default=0),
    Column("monthly_limit_minor", BigInteger, nullable=True),
    Column("currency", String(3), nullable=False, default="SEK"),
    Column("operator", Boolean, nullable=False, default=False),
    Column("created_at", UTCDateTime, nullable=False),
    # Sandbox accounts only: how far their clock runs ahead of the real one.
    Column("clock_offset_seconds", BigInteger, nullable=False, default=0),
    Column("return_address", String(200), nullable=False, default=""),  # migration 0011
    # The contract's features (domain/contract.Feature values), migration 0025.
    # Set by the database when not written (rows inserted by older code, migration tests).
    Column("features", JSON, nullable=False, server_default="[]"),
)

users = Table(
    "users",
    metadata,
    Column("id", ID, primary_key=True),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("username", String(200), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", ID, primary_key=True),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("prefix", String(32), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("state", _enum(ApiKeyState, "api_key_state"), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_used_at", UTCDateTime, nullable=True),
    Index("ix_api_keys_account", "account_id"),
)

session_tokens = Table(
    "session_tokens",
    metadata,
    Column("id", ID, primary_key=True),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", ID, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("ended_at", UTCDateTime, nullable=True),
)

shops = Table(
    "shops",
    metadata,
    Column("id", ID, primary_key=True),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("account_id", "name", name="uq_shops_account_name"),
)

# A user with rows here reaches only these shops of its account; a user with none, every
# shop (services/accounts.reachable_shops).
user_shops = Table(
    "user_shops",
    metadata,
    Column("user_id", ID, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("shop_id", ID, ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_user_shops_shop", "shop_id"),
)

batches = Table(
    "batches",
    metadata,
    Column("id", ID, primary_key=True),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("profile", String(50), nullable=False),
    Column("layout", String(50), nullable=False),
    Column("default_country", String(2), nullable=False),
    Column("state", _enum(BatchState, "batch_state"), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("service_id", ID, ForeignKey("services.id"), nullable=True),
    Column("output_date", Date, nullable=True),
    Column("cost_center", String(100), nullable=False, default=""),
    Column("state_changed_at", UTCDateTime, nullable=False),
    Column("reply_mail", Boolean, nullable=False, server_default=false()),  # migration 0025
    Column("markup_required", Boolean, nullable=False, server_default=false()),  # 0025
    Index("ix_batches_account", "account_id"),
)

documents = Table(
    "documents",
    metadata,
    Column("id", ID, primary_key=True),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("blob_sha256", String(64), nullable=False),
    Column("filename", String(255), nullable=False),
    Column("size_bytes", BigInteger, nullable=False),
    Column("page_count", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("state", _enum(DocumentState, "document_state"), nullable=False),
    Column("profile", String(50), nullable=False),
    Column("report", JSON, nullable=True),
    Column("batch_id", ID, ForeignKey("batches.id", ondelete="CASCADE"), nullable=True),
    Column("split_rule", JSON, nullable=True),
    Column("print_sha256", String(64), nullable=True),
    Column("redacted_at", UTCDateTime, nullable=True),  # migration 0009
    Column("pages_checked", Integer, nullable=False, default=0, server_default="0"),  # 0027
    Index("ix_documents_account", "account_id"),
    # Retention walks an account's documents in this order, and asks whether any document
    # still holds a blob (migration 0009).
    Index("ix_documents_account_created", "account_id", "created_at", "id"),
    Index("ix_documents_blob", "blob_sha256"),
    Index("ix_documents_print", "print_sha256"),
    Index("ix_documents_batch", "batch_id"),
)

lots = Table(
    "lots",
    metadata,
    Column("id", ID, primary_key=True),
    Column("state", _enum(LotState, "lot_state"), nullable=False),
    Column("piece_count", Integer, nullable=False),
    Column("page_count", Integer, nullable=False),
    Column("pdf_sha256", String(64), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("composed_at", UTCDateTime, nullable=True),
    Column("version", Integer, nullable=False),
    Column("channel", String(50), nullable=False, default="print_local"),
    Column("group_key", JSON, nullable=False, default=dict),
    Column("sheet_count", Integer, nullable=False, default=0),
    Column("files", JSON, nullable=False, default=dict),
    Column("printed_at", UTCDateTime, nullable=True),
    Column("posted_at", UTCDateTime, nullable=True),
    Column("deposit_proof_sha256", String(64), nullable=True),
    Index("ix_lots_state", "state"),
)

services = Table(
    "services",
    metadata,
    Column("id", ID, primary_key=True),
    Column("environment", String(10), nullable=False),
    Column("code", String(100), nullable=False),
    Column("name", String(200), nullable=False),
    Column("channel", String(50), nullable=False),
    Column("profile", String(50), nullable=False),
    Column("layout", String(50), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("address_page", Boolean, nullable=False),
    Column("immediate", Boolean, nullable=False),
    Column("cut_off", String(5), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("boxes", JSON, nullable=False),
    Column("default_options", JSON, nullable=False),
    Column("output", JSON, nullable=False),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=True),
    # Pieces one order of the service may hold (migration 0018): fewer or more are refused.
    Column("min_quantity", Integer, nullable=False, default=1, server_default="1"),
    Column("max_quantity", Integer, nullable=True),
    Index("ix_services_environment_code", "environment", "code"),
)

option_types = Table(
    "option_types",
    metadata,
    Column("id", ID, primary_key=True),
    Column("environment", String(10), nullable=False),
    Column("code", String(50), nullable=False),
    Column("name", String(200), nullable=False),
    UniqueConstraint("environment", "code", name="uq_option_types_environment_code"),
)

options = Table(
    "options",
    metadata,
    Column("id", ID, primary_key=True),
    Column("environment", String(10), nullable=False),
    Column("type_code", String(50), nullable=False),
    Column("code", String(50), nullable=False),
    Column("label", String(200), nullable=False),
    UniqueConstraint("environment", "type_code", "code", name="uq_options_environment_type_code"),
)

charges = Table(
    "charges",
    metadata,
    Column("id", ID, primary_key=True),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    # A piece's or a text message's (migration 0029): exactly one of the two.
    Column("piece_id", ID, ForeignKey("mail_pieces.id", ondelete="CASCADE"), nullable=True),
    Column("amount_minor", BigInteger, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sms_id", ID, ForeignKey("sms_messages.id", ondelete="CASCADE"), nullable=True),
    UniqueConstraint("piece_id", name="uq_charges_piece_id"),
    UniqueConstraint("sms_id", name="uq_charges_sms_id"),
    CheckConstraint("(piece_id IS NULL) <> (sms_id IS NULL)", name="one_subject"),
    Index("ix_charges_account_created", "account_id", "created_at"),
)

mail_pieces = Table(
    "mail_pieces",
    metadata,
    Column("id", ID, primary_key=True),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    # None while a piece built step by step (an Ekopost envelope) has no content yet.
    Column("document_id", ID, ForeignKey("documents.id"), nullable=True),
    Column("recipient", RecipientType, nullable=True),
    Column("options", PieceOptionsType, nullable=False),
    Column("page_count", Integer, nullable=False),
    Column("state", _enum(PieceState, "piece_state"), nullable=False),
    Column("lot_id", ID, ForeignKey("lots.id"), nullable=True),
    Column("failure_code", String(64), nullable=True),
    Column("failure_reason", Text, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("version", Integer, nullable=False),
    Column("batch_id", ID, ForeignKey("batches.id", ondelete="CASCADE"), nullable=True),
    Column("first_page", Integer, nullable=False),
    Column("address_source", String(10), nullable=False),
    Column("eligible", Boolean, nullable=True),
    Column("findings", JSON, nullable=False),
    Column("service_id", ID, ForeignKey("services.id"), nullable=True),
    Column("sheets", Integer, nullable=False, default=0),
    Column("weight_g", Integer, nullable=False, default=0),
    Column("price_minor", BigInteger, nullable=False, default=0),
    Column("output_date", Date, nullable=True),
    Column("expected_post_date", Date, nullable=True),
    Column("tracking_reference", String(35), nullable=True),
    Column("annexes", JSON, nullable=False, default=list),
    # Channel-specific facts: {"email": {"to", "subject", "body"}} for the email channel.
    Column("delivery", JSON, nullable=False, default=dict),
    # What the channel that took the piece calls it (an email's Message-ID, a provider id).
    Column("external_reference", String(255), nullable=True),
    # The sender's own id for the piece (Ekopost's unique_id): unique in an account.
    Column("client_reference", String(100), nullable=True),
    # What a dialect keeps that the core does not use (an envelope's name, REK services).
    Column("dialect_fields", JSON, nullable=False, default=dict),
    Column("redacted_at", UTCDateTime, nullable=True),  # migration 0009
    Column("return_line", String(200), nullable=False, default=""),  # migration 0011
    # Its own document's pages (domain/model.MailPiece; page_count is every page it prints
    # from content): migration 0019.
    Column("own_pages", Integer, nullable=False, default=0, server_default="0"),
    # Its XML markup (an Ekopost envelope's `markup` content), kept, not printed: 0025.
    Column("markup_id", ID, nullable=True),
    # Its plex, colour and postage chosen for it alone in its batch: migration 0027.
    Column("own_options", Boolean, nullable=False, default=False, server_default=false()),
    Index("ix_mail_pieces_account_created", "account_id", "created_at", "id"),
    Index("ix_mail_pieces_batch", "batch_id", "document_id", "first_page"),
    # A document's pieces in a batch by page and id, a page at a time (a mail merge's share
    # one document and page): PieceRepository.pieces_of_batch; migration 0022.
    Index("ix_mail_pieces_batch_order", "batch_id", "document_id", "first_page", "id"),
    Index("ix_mail_pieces_state", "state"),
    Index("ix_mail_pieces_lot", "lot_id"),
    Index("ix_mail_pieces_document", "document_id"),  # migration 0009
    Index("ux_mail_pieces_client_reference", "account_id", "client_reference", unique=True),
)

# Digital recipients an account can reach (domain/reachability.py), in normalised form.
reachable_recipients = Table(
    "reachable_recipients",
    metadata,
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("kind", String(20), primary_key=True),
    Column("recipient", String(100), primary_key=True),
    Column("created_at", UTCDateTime, nullable=False),
)

# An account's e-bank senders (FUI numbers) and the receivers each has: the bank customers
# who asked for its invoices in their internet bank (Ekopost's "ebank list").
ebank_senders = Table(
    "ebank_senders",
    metadata,
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("fui", String(100), primary_key=True),
    Column("receivers", JSON, nullable=False, default=list),
    Column("created_at", UTCDateTime, nullable=False),
)

# The Peppol participants an account knows of (Postroom reaches no Peppol directory): a
# participant identifier (ISO 6523 scheme code and value), name, country, document types.
peppol_participants = Table(
    "peppol_participants",
    metadata,
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("scheme", String(4), primary_key=True),
    Column("value", String(100), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("country", String(2), nullable=False),
    Column("document_types", JSON, nullable=False, default=list),
    Column("created_at", UTCDateTime, nullable=False),
)

# EDI invoicing (migration 0026, domain/edi.py): an account's senders, one per organisation
# number, and the invitations it sent to receivers with their statuses (Ekopost 1001-1010).
_SENDER_TEXT = {
    "address1": 200, "address2": 200, "zip_code": 20, "city": 100, "country_code": 2,
    "contact_name": 200, "phone": 50, "email": 254, "gln": 13, "vat": 20, "bank_giro": 20,
    "plus_giro": 20, "iban": 34, "bic": 11,
}  # fmt: skip
edi_senders = Table(
    "edi_senders",
    metadata,
    Column("id", ID, primary_key=True),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("cin", String(10), nullable=False),
    Column("name", String(200), nullable=False),
    *(Column(name, String(size), nullable=False) for name, size in _SENDER_TEXT.items()),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("account_id", "cin", name="uq_edi_senders_account_cin"),
)

edi_invitations = Table(
    "edi_invitations",
    metadata,
    Column("id", ID, primary_key=True),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("receiver_cin", String(10), nullable=False),
    Column("receiver_gln", String(13), nullable=False),
    Column("date_sent", UTCDateTime, nullable=False),
    Column("status", Integer, nullable=False),
    Column("status_changed_at", UTCDateTime, nullable=False),
    Column("reported", Integer, nullable=True),
    Column("reported_at", UTCDateTime, nullable=True),
    Index("ix_edi_invitations_account_sent", "account_id", "date_sent"),
)

# Messages asking for the next pipeline stage, written in the same transaction as the state
# change; the relay publishes them, the stage marks them done when it has run.
outbox = Table(
    "outbox",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("actor", String(100), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("published_at", UTCDateTime, nullable=True),
    Column("done_at", UTCDateTime, nullable=True),
    Column("publish_count", Integer, nullable=False, default=0),
    Index("ix_outbox_pending", "done_at", "published_at"),
)

# Each SMTP attempt of an email letter, with the server's answer (migration 0027).
email_attempts = Table(
    "email_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("piece_id", ID, ForeignKey("mail_pieces.id", ondelete="CASCADE"), nullable=False),
    Column("attempted_at", UTCDateTime, nullable=False),
    Column("outcome", String(20), nullable=False),
    Column("answer", String(1000), nullable=False),
    Column("server", String(300), nullable=False),
    Index("ix_email_attempts_piece", "piece_id", "attempted_at", "id"),
)

# Which (subject, stage) pairs have run: the key that makes every stage idempotent.
# A large file's analysis shared between workers (migration 0030, services/shared_ranges.py):
# the request, and its page ranges, each taken by one process at a time; a range's result
# (pickled, as it crosses the sandbox's pipe) is a blob until the analysis has read it.
shared_analyses = Table(
    "shared_analyses",
    metadata,
    Column("document_id", ID, ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True),
    Column("request", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

shared_ranges = Table(
    "shared_ranges",
    metadata,
    Column(
        "document_id",
        ID,
        ForeignKey("shared_analyses.document_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("seq", Integer, primary_key=True),
    Column("call", JSON, nullable=False),
    Column("state", String(10), nullable=False),  # pending, taken, done, failed
    Column("taken_by", String(100), nullable=True),
    Column("taken_at", UTCDateTime, nullable=True),
    Column("result_sha256", String(64), nullable=True),
    Column("error_code", String(50), nullable=True),
    Column("error_message", String(500), nullable=True),
    Index("ix_shared_ranges_state", "document_id", "state", "seq"),
)

stage_runs = Table(
    "stage_runs",
    metadata,
    Column("subject_id", ID, primary_key=True),
    Column("stage", String(50), primary_key=True),
    Column("finished_at", UTCDateTime, nullable=False),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("response_body", JSON, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("locked_until", UTCDateTime, nullable=True),
)


AUTO_ID = BigInteger().with_variant(Integer, "sqlite")  # SQLite autoincrements INTEGER only

# --- tracking, change feeds, the evidence log, webhooks (migration 0004) ----------------

shipments = Table(
    "shipments",
    metadata,
    Column("id", ID, primary_key=True),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("piece_id", ID, ForeignKey("mail_pieces.id", ondelete="SET NULL"), nullable=True),
    Column("shop_id", ID, ForeignKey("shops.id", ondelete="SET NULL"), nullable=True),
    Column("reference", String(35), nullable=False),
    Column("carrier", String(50), nullable=False),
    Column("status", _enum(ShipmentStatus, "shipment_status"), nullable=False),
    Column("status_at", UTCDateTime, nullable=True),
    Column("status_code", String(20), nullable=True),
    Column("details", JSON, nullable=False, default=dict),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("version", Integer, nullable=False),
    UniqueConstraint("account_id", "reference", name="uq_shipments_account_reference"),
    Index("ix_shipments_piece", "piece_id"),
    Index("ix_shipments_account_created", "account_id", "created_at", "id"),
)


def _event_columns() -> list[Column[Any]]:
    """A tracking event's own columns (Posten's Parcel Register Event fields), as the event
    log and the inbox both hold them."""
    return [
        Column("reference", String(35), nullable=False),
        Column("occurred_at", UTCDateTime, nullable=False),
        Column("utc_offset_minutes", Integer, nullable=False),
        Column("code", String(20), nullable=False),
        Column("additional_code", String(20), nullable=True),
        Column("source", String(50), nullable=False),
        Column("latitude", Float, nullable=True),
        Column("longitude", Float, nullable=True),
        Column("location", String(255), nullable=True),
        Column("location_id", String(50), nullable=True),
        Column("channel", String(50), nullable=True),
        Column("message", String(1000), nullable=True),
    ]


tracking_events = Table(
    "tracking_events",
    metadata,
    Column("id", AUTO_ID, primary_key=True, autoincrement=True),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("shipment_id", ID, ForeignKey("shipments.id", ondelete="CASCADE"), nullable=False),
    *_event_columns(),
    Column("received_at", UTCDateTime, nullable=False),
    # Same reference, code, time and source: one event told twice.
    UniqueConstraint(
        "account_id", "reference", "code", "occurred_at", "source", name="uq_tracking_events_key"
    ),
    Index("ix_tracking_events_shipment", "shipment_id", "occurred_at"),
)

# Events accepted for later folding (POST /v1/tracking/events with Prefer: respond-async):
# a batch row holds the call and, once folded, what it did; its events wait in the inbox
# and leave it when folded into shipments, the event log, the feed and the evidence log.
event_batches = Table(
    "event_batches",
    metadata,
    Column("id", ID, primary_key=True),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("carrier", String(50), nullable=False),
    Column("received", Integer, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Column("folded_at", UTCDateTime, nullable=True),
    Column("stored", Integer, nullable=True),
    Column("duplicates", Integer, nullable=True),
    Column("shipments_created", Integer, nullable=True),
    Column("status_changes", Integer, nullable=True),
    Column("error", String(500), nullable=True),
    # The ids of the batch's first and last inbox rows (migration 0010): its events are
    # found by this primary-key range, so the inbox needs no index of its own (keeping one
    # on batch_id cost a third of a respond-async call).
    Column("first_event_id", BigInteger, nullable=True),
    Column("last_event_id", BigInteger, nullable=True),
    Index("ix_event_batches_account_received", "account_id", "received_at"),
)

# No foreign key on batch_id (migration 0010): the rows are written only with their batch
# row, in its transaction, and deleted by its fold; checking the key for every event cost
# as much as storing the events on PostgreSQL.
event_inbox = Table(
    "event_inbox",
    metadata,
    Column("id", AUTO_ID, primary_key=True, autoincrement=True),
    Column("batch_id", ID, nullable=False),
    *_event_columns(),
)

proofs = Table(
    "proofs",
    metadata,
    Column("id", ID, primary_key=True),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("shipment_id", ID, ForeignKey("shipments.id", ondelete="CASCADE"), nullable=False),
    Column("piece_id", ID, ForeignKey("mail_pieces.id", ondelete="SET NULL"), nullable=True),
    Column("kind", _enum(ProofKind, "proof_kind"), nullable=False),
    Column("media_type", String(50), nullable=False),
    Column("blob_sha256", String(64), nullable=False),
    Column("size_bytes", BigInteger, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("redacted_at", UTCDateTime, nullable=True),
    UniqueConstraint("shipment_id", "kind", name="uq_proofs_shipment_kind"),
    Index("ix_proofs_blob", "blob_sha256"),  # migration 0009
)

# Named counters handed out in commit order (registered-mail serials).
# Failed logins per key ("user:<name>", "addr:<client address>"): how many in a row, the
# last one, and until when the key is refused (domain/throttle.py).
login_throttle = Table(
    "login_throttle",
    metadata,
    Column("key", String(310), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_failed_at", UTCDateTime, nullable=False),
    Column("refused_until", UTCDateTime, nullable=True),
)

counters = Table(
    "counters",
    metadata,
    Column("name", String(50), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

# Per account: the last change-feed number and the evidence log's head. Writers lock the
# row, so numbers are handed out in commit order and a reader never skips one.
feed_heads = Table(
    "feed_heads",
    metadata,
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("change_seq", BigInteger, nullable=False),
    Column("audit_seq", BigInteger, nullable=False),
    Column("audit_hash", String(64), nullable=False),
)

changes = Table(
    "changes",
    metadata,
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("subject_type", String(30), nullable=False),
    Column("subject_id", String(64), nullable=False),
    Column("kind", String(50), nullable=False),
    Column("status", String(30), nullable=False),
    Column("data", JSON, nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("kind", String(50), nullable=False),
    Column("subject_id", String(64), nullable=False),
    Column("content", JSON, nullable=True),
    Column("content_sha256", String(64), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("redacted_at", UTCDateTime, nullable=True),
)

webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("id", ID, primary_key=True),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("url", String(2000), nullable=False),
    Column("description", String(200), nullable=False, default=""),
    # Whose signature headers go on top of the Standard Webhooks ones (None: native only).
    Column("dialect", String(30), nullable=True),
    Column("event_types", JSON, nullable=False),  # ["*"] for every type
    # [{"secret": "sealed:v1:...", "created_at": iso, "expires_at": iso | null}], newest
    # first; each secret sealed by storage/webhooks.py (ADR 0017), never whsec_... in clear
    Column("secrets", JSON, nullable=False),
    Column("state", String(20), nullable=False),
    Column("disabled_reason", String(200), nullable=True),
    Column("disabled_at", UTCDateTime, nullable=True),
    Column("failing_since", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("version", Integer, nullable=False),
    Index("ix_webhook_endpoints_account", "account_id"),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", String(64), primary_key=True),  # the webhook-id header: msg_...
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column(
        "endpoint_id", ID, ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), nullable=False
    ),
    Column("event_type", String(100), nullable=False),
    # The piece or shipment the change was about (payload data.id; migration 0021).
    Column("subject_id", String(64), nullable=True),
    Column("payload", JSON, nullable=False),
    Column("state", String(20), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime, nullable=True),
    Column("last_attempt_at", UTCDateTime, nullable=True),
    Column("last_status_code", Integer, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("version", Integer, nullable=False),
    Index("ix_webhook_deliveries_due", "state", "next_attempt_at"),
    Index("ix_webhook_deliveries_endpoint", "endpoint_id", "created_at"),
    Index("ix_webhook_deliveries_subject", "account_id", "subject_id"),
)

webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column("id", AUTO_ID, primary_key=True, autoincrement=True),
    Column(
        "delivery_id",
        String(64),
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("attempted_at", UTCDateTime, nullable=False),
    Column("request_headers", JSON, nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("response_body", Text, nullable=True),  # the first 4 KB
    Column("error", String(500), nullable=True),
    Column("duration_ms", Integer, nullable=False),
    Index("ix_webhook_attempts_delivery", "delivery_id", "attempted_at"),
)

# Parcel orders a provider prepares for a delivery hub (MDelivery; domain/orders.py),
# migration 0015. A service is the hub's serviceID, chosen by the account.
delivery_services = Table(
    "delivery_services",
    metadata,
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("service_id", String(64), primary_key=True),
    Column("pickup_points", JSON, nullable=False),
    Column("products", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

orders = Table(
    "orders",
    metadata,
    Column("id", ID, primary_key=True),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("service_id", String(64), nullable=False),
    Column("reference", String(64), nullable=False),
    Column("status", String(20), nullable=False),
    Column("message", String(1000), nullable=True),
    Column("is_paid", Boolean, nullable=False),
    Column("receiver", JSON, nullable=False),
    Column("pickup_point_code", String(64), nullable=True),
    Column("products", JSON, nullable=False),
    Column("submitted_at", UTCDateTime, nullable=False),
    Column("delivery_accepted_until", UTCDateTime, nullable=False),
    Column("estimated_ready_at", UTCDateTime, nullable=False),
    Column("carrier", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("account_id", "service_id", "reference", name="uq_orders_reference"),
    Index("ix_orders_account_created", "account_id", "created_at", "id"),
)

order_history = Table(
    "order_history",
    metadata,
    Column("id", AUTO_ID, primary_key=True, autoincrement=True),
    Column("order_id", ID, ForeignKey("orders.id", ondelete="CASCADE"), nullable=False),
    Column("status", String(20), nullable=False),
    Column("party", String(20), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("message", String(1000), nullable=True),
    Column("details", JSON, nullable=False),
    Index("ix_order_history_order", "order_id", "id"),
)

# The provider's own status changes, waiting for the hub's next GET delivery/changes. A
# poll claims the unclaimed rows of its service with one UPDATE (claim = the poll's token),
# so two polls at once never both take a row and none is skipped.
order_changes = Table(
    "order_changes",
    metadata,
    Column("id", AUTO_ID, primary_key=True, autoincrement=True),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("service_id", String(64), nullable=False),
    Column("order_id", ID, ForeignKey("orders.id", ondelete="CASCADE"), nullable=False),
    Column("reference", String(64), nullable=False),
    Column("status", String(20), nullable=False),
    Column("claim", String(36), nullable=True),
    Index("ix_order_changes_pending", "account_id", "service_id", "claim"),
    Index("ix_order_changes_claim", "claim"),
)

# Text messages (domain/sms.py): one row per message, one per recipient. A recipient is
# named by its message and its position in the sender's list (the delivery report's URL
# carries both), so 100,000 recipients need no id of their own.
sms_messages = Table(
    "sms_messages",
    metadata,
    Column("id", ID, primary_key=True),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("sender", String(20), nullable=False),
    Column("text", Text, nullable=False),
    Column("recipient_count", Integer, nullable=False),
    Column("sandbox", Boolean, nullable=False),
    Column("client_reference", String(100), nullable=True),
    Column("dialect_fields", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("price_minor", BigInteger, nullable=False, server_default="0"),
    Index("ix_sms_messages_account_created", "account_id", "created_at", "id"),
)

sms_recipients = Table(
    "sms_recipients",
    metadata,
    Column("sms_id", ID, ForeignKey("sms_messages.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("number", String(20), nullable=False),
    Column("state", String(10), nullable=False),
    Column("state_changed_at", UTCDateTime, nullable=False),
    Column("reason", String(500), nullable=True),
    Index("ix_sms_recipients_state", "sms_id", "state", "position"),
)


# Address lists for mail merge (migration 0018): the list, and one entry per row with what
# checking it found (domain/address_lists.py).
address_lists = Table(
    "address_lists",
    metadata,
    Column("id", ID, primary_key=True),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("mapping", String(50), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("row_count", Integer, nullable=False),
    Column("valid_count", Integer, nullable=False),
    Column("corrected_count", Integer, nullable=False),
    Column("invalid_count", Integer, nullable=False),
    Index("ix_address_lists_account_created", "account_id", "created_at", "id"),
)

address_list_entries = Table(
    "address_list_entries",
    metadata,
    Column(
        "list_id",
        ID,
        ForeignKey("address_lists.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("row", Integer, primary_key=True),
    Column("status", String(10), nullable=False),
    Column("given", JSON, nullable=False),
    Column("recipient", JSON, nullable=True),
    Column("problems", JSON, nullable=False),
    Index("ix_address_list_entries_status", "list_id", "status", "row"),
)

# A dialect's own integer key for a core object (Click2Mail's <id>13331417</id>): one
# sequence for every dialect and kind, looked up with the account so no key crosses one.
dialect_keys = Table(
    "dialect_keys",
    metadata,
    Column("number", AUTO_ID, primary_key=True, autoincrement=True),
    Column("dialect", String(32), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("core_id", ID, nullable=False),
    Column("fields", JSON, nullable=True),  # what only the dialect knows of the object
    UniqueConstraint("dialect", "kind", "core_id", name="uq_dialect_keys_core_id"),
)
