"""The Alembic migrations build exactly the schema tables.py declares, and re-running is safe."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.command import downgrade
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text

from postroom.storage.database import make_engine
from postroom.storage.migrate import alembic_config, is_current, newest_revision, upgrade
from postroom.storage.tables import metadata


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'schema.db'}")
    yield engine
    engine.dispose()


def schema_sql(engine: Engine) -> list[tuple[str, str, list[str]]]:
    """Each object's DDL as a sorted list of lines: SQLite's batch mode may rebuild a table
    with its constraints in another order, which changes nothing."""
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")
        )
        return sorted(
            (r.type, r.name, sorted(line.strip(" ,") for line in (r.sql or "").splitlines()))
            for r in rows
        )


def schema_differences(engine: Engine) -> list[Any]:
    """What autogenerate would write to bring the database to tables.metadata."""
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "target_metadata": metadata}
        )
        return list(compare_metadata(context, metadata))


def head_revision(engine: Engine) -> str:
    heads = ScriptDirectory.from_config(alembic_config(engine)).get_heads()
    assert len(heads) == 1, f"the migrations have several heads: {heads}"
    return heads[0]


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def test_upgrading_an_empty_database_matches_the_declared_tables(engine: Engine) -> None:
    upgrade(engine)
    differences = schema_differences(engine)
    assert differences == []


def test_every_declared_table_exists_after_upgrade(engine: Engine) -> None:
    upgrade(engine)
    names = set(inspect(engine).get_table_names())
    assert set(metadata.tables) <= names
    assert names - set(metadata.tables) == {"alembic_version"}


def test_the_comparison_does_find_a_missing_column(engine: Engine) -> None:
    # Guards the test above: an empty diff must mean "same schema", not "compared nothing".
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE lots DROP COLUMN pdf_sha256"))
    differences = schema_differences(engine)
    assert [d[0] for d in differences] == ["add_column"]
    assert differences[0][3].name == "pdf_sha256"


def test_the_comparison_does_find_a_changed_type(engine: Engine) -> None:
    # UTCDateTime is a TypeDecorator over DateTime; the compare must still look at the column.
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE stage_runs"))
        conn.execute(
            text(
                "CREATE TABLE stage_runs (subject_id VARCHAR(36) NOT NULL,"
                " stage VARCHAR(50) NOT NULL, finished_at INTEGER NOT NULL,"
                " CONSTRAINT pk_stage_runs PRIMARY KEY (subject_id, stage))"
            )
        )
    differences = schema_differences(engine)
    assert len(differences) == 1
    (change,) = differences[0]
    assert change[0] == "modify_type"
    assert (change[2], change[3]) == ("stage_runs", "finished_at")


def test_upgrade_reaches_the_single_head(engine: Engine) -> None:
    upgrade(engine)
    assert current_revision(engine) == head_revision(engine)


def test_the_newest_revision_by_file_name_is_alembics_head(engine: Engine) -> None:
    # upgrade() skips Alembic when the database is at newest_revision(): it must be the head.
    assert newest_revision() == head_revision(engine)


def test_a_database_one_revision_behind_is_upgraded_not_skipped(engine: Engine) -> None:
    previous = (
        ScriptDirectory.from_config(alembic_config(engine))
        .get_revision(newest_revision())
        .down_revision
    )
    assert isinstance(previous, str)
    upgrade(engine, previous)
    assert not is_current(engine)
    upgrade(engine)
    assert is_current(engine)
    assert current_revision(engine) == head_revision(engine)


def test_a_second_upgrade_changes_nothing(engine: Engine) -> None:
    upgrade(engine)
    before = schema_sql(engine)
    upgrade(engine)
    assert schema_sql(engine) == before
    assert current_revision(engine) == head_revision(engine)


def test_a_second_upgrade_keeps_the_data(engine: Engine) -> None:
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO accounts (id, name, sandbox, credit_minor, created_at)"
                " VALUES ('a1', 'Kommun', 0, 0, '2026-01-05 09:00:00')"
            )
        )
    upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT name FROM accounts")).scalars().all() == ["Kommun"]


def test_downgrade_to_base_removes_every_table_and_upgrade_rebuilds_them(engine: Engine) -> None:
    upgrade(engine)
    built = schema_sql(engine)
    downgrade(alembic_config(engine), "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    assert schema_sql(engine) == built


def insert_account(conn: Connection) -> None:
    """Account a1, as the revisions before 0010 have it."""
    conn.execute(
        text(
            "INSERT INTO accounts (id, name, sandbox, credit_minor, currency, operator,"
            " created_at, clock_offset_seconds)"
            " VALUES ('a1', 'Kommun', 0, 0, 'SEK', 0, '2026-01-05 09:00:00.000000', 0)"
        )
    )


def test_whole_second_times_of_bulk_inserts_get_the_common_text(engine: Engine) -> None:
    """Revision 0008: a time sqlite3 wrote without microseconds reads as SQLAlchemy's text."""
    upgrade(engine, "0007")
    with engine.begin() as conn:
        insert_account(conn)
        for seq, at in ((1, "2026-05-04 06:00:00"), (2, "2026-05-04 06:00:00.250000")):
            conn.execute(
                text(
                    "INSERT INTO changes (account_id, seq, created_at, subject_type,"
                    " subject_id, kind, status, data)"
                    f" VALUES ('a1', {seq}, '{at}', 'piece', 'p1', 'piece.moved', 'closed', '{{}}')"
                )
            )
    upgrade(engine)
    with engine.connect() as conn:
        texts = conn.execute(text("SELECT created_at FROM changes ORDER BY seq")).scalars().all()
    assert texts == ["2026-05-04 06:00:00.000000", "2026-05-04 06:00:00.250000"]


def test_a_batch_queued_before_the_id_ranges_keeps_its_events(engine: Engine) -> None:
    """Revision 0010: a batch waiting in the inbox gets the range of its rows, which is how
    the fold finds them from then on."""
    upgrade(engine, "0009")
    with engine.begin() as conn:
        insert_account(conn)
        for batch in ("b1", "b2"):
            conn.execute(
                text(
                    "INSERT INTO event_batches (id, account_id, carrier, received, received_at)"
                    f" VALUES ('{batch}', 'a1', 'postal', 2, '2026-05-04 06:00:00.000000')"
                )
            )
        for row_id, batch in ((1, "b1"), (2, "b2"), (3, "b1"), (4, "b2")):
            conn.execute(
                text(
                    "INSERT INTO event_inbox (id, batch_id, reference, occurred_at,"
                    " utc_offset_minutes, code, source)"
                    f" VALUES ({row_id}, '{batch}', 'R{row_id}', '2026-05-04 06:00:00.000000',"
                    " 120, '003', 'api')"
                )
            )
    upgrade(engine)
    with engine.connect() as conn:
        ranges = conn.execute(
            text("SELECT id, first_event_id, last_event_id FROM event_batches ORDER BY id")
        ).all()
    assert [tuple(r) for r in ranges] == [("b1", 1, 3), ("b2", 2, 4)]


def test_pieces_get_their_own_pages_as_composition_cut_them(engine: Engine) -> None:
    """Revision 0019: own_pages is what composition cut from the piece's document until
    then, its page_count never past its document's end: an Ekopost envelope's page_count
    held its attachments' pages too; a piece of a print file is its own range."""
    upgrade(engine, "0018")
    with engine.begin() as conn:
        insert_account(conn)
        for doc_id, pages in (("d1", 2), ("d2", 5)):
            conn.execute(
                text(
                    "INSERT INTO documents (id, account_id, blob_sha256, filename, size_bytes,"
                    " page_count, created_at, state, profile)"
                    f" VALUES ('{doc_id}', 'a1', '{'0' * 64}', 'a.pdf', 10, {pages},"
                    " '2026-05-04 06:00:00.000000', 'checked', 'default')"
                )
            )
        # (piece, document, first page, page_count): an envelope of a 2-page document and a
        # 3-page attachment; the second letter of a print file; an envelope with no content.
        for piece_id, doc, first, count in (
            ("p1", "'d1'", 1, 5),
            ("p2", "'d2'", 3, 2),
            ("p3", "NULL", 1, 0),
        ):
            conn.execute(
                text(
                    "INSERT INTO mail_pieces (id, account_id, document_id, options, page_count,"
                    " state, created_at, updated_at, version, first_page, address_source,"
                    " findings, sheets, weight_g, price_minor, annexes, delivery,"
                    " dialect_fields, return_line)"
                    f" VALUES ('{piece_id}', 'a1', {doc}, '{{}}', {count}, 'closed',"
                    " '2026-05-04 06:00:00.000000', '2026-05-04 06:00:00.000000', 1,"
                    f" {first}, 'given', '[]', 0, 0, 0, '[]', '{{}}', '{{}}', '')"
                )
            )
    upgrade(engine)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id, page_count, own_pages FROM mail_pieces ORDER BY id")
        ).all()
    assert [tuple(r) for r in rows] == [("p1", 5, 2), ("p2", 2, 2), ("p3", 0, 0)]


def test_webhook_deliveries_written_before_0021_know_their_subject(engine: Engine) -> None:
    """Revision 0021: an older delivery's subject is read from its payload (data.id), so a
    letter's page finds the deliveries made before the column existed."""
    upgrade(engine, "0018")
    with engine.begin() as conn:
        insert_account(conn)
        conn.execute(
            text(
                "INSERT INTO webhook_endpoints (id, account_id, url, description, event_types,"
                " secrets, state, created_at, version) VALUES ('e1', 'a1', 'https://h.example',"
                " '', '[\"*\"]', '[]', 'active', '2026-05-04 06:00:00.000000', 1)"
            )
        )
        for delivery, subject in (("msg_1", "piece-1"), ("msg_2", "shipment-7")):
            conn.execute(
                text(
                    "INSERT INTO webhook_deliveries (id, account_id, endpoint_id, event_type,"
                    " payload, state, attempts, created_at, version) VALUES"
                    f" ('{delivery}', 'a1', 'e1', 'piece.closed',"
                    f' \'{{"type": "piece.closed", "data": {{"id": "{subject}"}}}}\','
                    " 'succeeded', 1, '2026-05-04 06:00:00.000000', 1)"
                )
            )
    upgrade(engine)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, subject_id FROM webhook_deliveries ORDER BY id"))
        assert [tuple(r) for r in rows] == [("msg_1", "piece-1"), ("msg_2", "shipment-7")]
