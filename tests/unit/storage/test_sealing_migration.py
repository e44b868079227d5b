"""Revision 0013 seals the webhook secrets stored in clear before it (ADR 0017): afterwards a
grep of the database finds none of them, the repository still reads them, and a downgrade
gives them back in clear. On SQLite and, with POSTROOM_TEST_BACKEND=postgres, PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.command import downgrade
from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

from postroom.domain.webhooks import new_secret
from postroom.storage import tables
from postroom.storage.database import make_engine
from postroom.storage.migrate import alembic_config, upgrade
from postroom.storage.sealing import Sealer, SealingKey, is_sealed, key_id_of
from postroom.storage.webhooks import WebhookRepository
from tests.conftest import BACKEND
from tests.support import services
from tests.support.sealed import database_bytes, found_forms

# Its own database of the test backend (the fixture below), on PostgreSQL in the distributed run.
pytestmark = pytest.mark.each_backend

KEY = "the-key-this-installation-runs-with-0123456789"
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
T1 = datetime(2026, 1, 6, 9, 0, tzinfo=UTC)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """An empty database of the test backend."""
    with ExitStack() as stack:
        if BACKEND == "sqlite":
            url = f"sqlite:///{tmp_path / 'sealing.db'}"
        else:
            url = stack.enter_context(services.fresh_postgres_database())
        engine = make_engine(url)
        stack.callback(engine.dispose)
        yield engine


def clear_rows(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """An account with two endpoints stored as before 0013, one mid-rotation (two secrets);
    returns each endpoint's stored secrets."""
    secrets = {
        "ep_1": [{"secret": new_secret(), "created_at": T0.isoformat(), "expires_at": None}],
        "ep_2": [
            {"secret": new_secret(), "created_at": T1.isoformat(), "expires_at": None},
            {"secret": new_secret(), "created_at": T0.isoformat(), "expires_at": T1.isoformat()},
        ],
    }
    with engine.begin() as conn:
        conn.execute(insert(tables.accounts).values(id="a1", name="Kommun", created_at=T0))
        for endpoint_id, stored in secrets.items():
            conn.execute(
                insert(tables.webhook_endpoints).values(
                    id=endpoint_id,
                    account_id="a1",
                    url="https://hooks.example.org/in",
                    description="",
                    event_types=["*"],
                    secrets=stored,
                    state="active",
                    created_at=T0,
                    version=1,
                )
            )
    return secrets


def stored(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    with engine.connect() as conn:
        rows = conn.execute(select(tables.webhook_endpoints)).all()
    return {r.id: list(r.secrets) for r in rows}


def test_secrets_stored_in_clear_are_sealed_and_read_back(engine: Engine) -> None:
    upgrade(engine, "0012")
    before = clear_rows(engine)
    clear = [s["secret"] for row in before.values() for s in row]
    if engine.dialect.name == "sqlite":  # the grep does find them before
        assert all(found_forms(s, database_bytes(engine)) for s in clear)

    upgrade(engine, sealer=Sealer(KEY))

    after = stored(engine)
    tokens = [s["secret"] for row in after.values() for s in row]
    assert all(is_sealed(t) for t in tokens)
    assert {key_id_of(t) for t in tokens} == {SealingKey.derive(KEY).id}
    # Only the secret is sealed: the times stay readable (the sender chooses by them).
    assert [[(s["created_at"], s["expires_at"]) for s in row] for row in after.values()] == [
        [(s["created_at"], s["expires_at"]) for s in row] for row in before.values()
    ]
    haystack = database_bytes(engine)
    assert {s: found_forms(s, haystack) for s in clear} == {s: [] for s in clear}

    with Session(engine) as session:
        read = WebhookRepository(session, Sealer(KEY)).endpoints("a1")
    assert [[s.secret for s in e.secrets] for e in read] == [
        [s["secret"] for s in row] for row in before.values()
    ]
    assert read[1].secrets[1].expires_at == T1


def test_without_a_handed_sealer_the_key_comes_from_the_environment(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    upgrade(engine, "0012")
    before = clear_rows(engine)
    monkeypatch.setenv("POSTROOM_SECRET_KEY", KEY)
    upgrade(engine)
    with Session(engine) as session:
        read = WebhookRepository(session, Sealer(KEY)).endpoint("a1", "ep_1")
    assert read is not None
    assert read.secrets[0].secret == before["ep_1"][0]["secret"]


def test_a_downgrade_opens_them_again(engine: Engine) -> None:
    upgrade(engine, "0012")
    before = clear_rows(engine)
    upgrade(engine, sealer=Sealer(KEY))
    downgrade(alembic_config(engine, Sealer(KEY)), "0012")
    assert stored(engine) == before
