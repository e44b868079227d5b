"""A stage claimed for a subject, on the test backend (SQLite, or PostgreSQL in the
distributed run): the first claim writes its row, later ones find it and write nothing, and
a claim rolled back leaves none (the check stage's write starts with one: a second delivery
that finished meanwhile makes it stop)."""

from __future__ import annotations

from datetime import UTC, datetime

from postroom.bootstrap import Container
from postroom.storage import tables

NOW = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)


def test_a_stage_is_claimed_once_and_a_claim_rolled_back_leaves_nothing(
    container: Container,
) -> None:
    with container.uow() as uow:
        assert uow.stages.claim("subject-1", "check", NOW)
        uow.commit()
    with container.uow() as uow:
        assert not uow.stages.claim("subject-1", "check", NOW.replace(hour=10))
        assert uow.stages.claim("subject-1", "compose", NOW)  # another stage of it
        uow.commit()
    with container.uow() as uow:
        assert uow.stages.claim("subject-2", "check", NOW)
        uow.rollback()
    with container.engine.connect() as conn:
        rows = conn.execute(tables.stage_runs.select().order_by("stage")).all()
    assert [(r.subject_id, r.stage, r.finished_at) for r in rows] == [
        ("subject-1", "check", NOW),  # the first claim's time, not the second's
        ("subject-1", "compose", NOW),
    ]
    with container.uow() as uow:
        assert uow.stages.has_run("subject-1", "check")
        assert not uow.stages.has_run("subject-2", "check")
