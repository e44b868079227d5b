"""The evidence log (must show 5): `postroom audit verify` passes on a clean log and names
the record after one is altered in the database; retention keeps it verifiable."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from postroom.bootstrap import Container
from postroom.domain.clock import FixedClock
from postroom.services import evidence, retention
from postroom.storage import tables
from tests.conftest import Tenant
from tests.integration.tracking.test_events import event, post


def verify_cli(container: Container, *args: str) -> tuple[int, list[dict[str, Any]], str]:
    """Run `postroom audit verify` on the test's database as an operator would."""
    env = {
        **os.environ,
        "POSTROOM_DATA_DIR": str(container.settings.data_dir),
        "POSTROOM_DATABASE_URL": container.settings.database_url,
    }
    done = subprocess.run(
        [sys.executable, "-m", "postroom.cli.main", "audit", "verify", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return done.returncode, lines, done.stderr


def some_history(client: TestClient, tenant: Tenant) -> None:
    for n in range(5):
        post(client, tenant, {"events": [event(f"AUD{n}", "003", 1), event(f"AUD{n}", "013", 9)]})


def test_verify_passes_then_names_the_altered_record(
    client: TestClient, container: Container, tenant: Tenant
) -> None:
    some_history(client, tenant)
    code, lines, _ = verify_cli(container, "--account", tenant.account_id)
    assert code == 0
    [line] = lines
    assert line["ok"] is True and line["records"] >= 10

    with container.engine.begin() as conn:
        conn.execute(
            update(tables.audit_log)
            .where(tables.audit_log.c.account_id == tenant.account_id)
            .where(tables.audit_log.c.seq == 4)  # any record: here a call's or a proof's
            .values(subject_id="someone-else")
        )
    code, lines, stderr = verify_cli(container, "--account", tenant.account_id)
    assert code == 1
    assert lines[0]["ok"] is False and lines[0]["broken_at"] == 4
    assert "record 4" in stderr


def test_altered_content_and_a_removed_record_are_named(
    client: TestClient, container: Container, tenant: Tenant
) -> None:
    some_history(client, tenant)
    a = tables.audit_log
    with container.engine.begin() as conn:
        # The second call's record (proofs the worker issues may sit between them).
        seq, content = conn.execute(
            select(a.c.seq, a.c.content)
            .where(a.c.account_id == tenant.account_id, a.c.kind == "tracking.events")
            .order_by(a.c.seq)
            .offset(1)
            .limit(1)
        ).one()
        content["events"][0]["code"] = "020"  # a delivery rewritten as a return
        conn.execute(
            update(a)
            .where(a.c.account_id == tenant.account_id, a.c.seq == seq)
            .values(content=content)
        )
    [verdict] = evidence.verify(uow_factory=container.uow, account_id=tenant.account_id)
    assert verdict.broken is not None and verdict.broken.seq == seq
    assert "content" in verdict.broken.reason

    with container.engine.begin() as conn:
        conn.execute(a.delete().where(a.c.account_id == tenant.account_id, a.c.seq == seq))
    [verdict] = evidence.verify(uow_factory=container.uow, account_id=tenant.account_id)
    assert verdict.broken is not None and verdict.broken.seq == seq + 1
    assert "missing" in verdict.broken.reason


def test_retention_drops_content_and_the_chain_still_verifies(
    client: TestClient, container: Container, tenant: Tenant
) -> None:
    some_history(client, tenant)
    later = FixedClock(container.clock.now() + timedelta(days=31))
    result = retention.apply_retention(
        uow_factory=container.uow, blobs=container.blobs, clock=later, days=30
    )
    assert result.records_redacted >= 5  # a record per call of events, and the proofs
    a = tables.audit_log
    with container.engine.connect() as conn:
        # Records the worker adds after the pass (proofs being issued) keep their content.
        pass_seq = conn.execute(
            select(a.c.seq).where(
                a.c.account_id == tenant.account_id, a.c.kind == "retention.applied"
            )
        ).scalar_one()
        kept = (
            conn.execute(
                select(a.c.content).where(a.c.account_id == tenant.account_id, a.c.seq < pass_seq)
            )
            .scalars()
            .all()
        )
    assert kept and all(c is None for c in kept)
    [verdict] = evidence.verify(uow_factory=container.uow, account_id=tenant.account_id)
    assert verdict.broken is None
    code, _, _ = verify_cli(container)
    assert code == 0
