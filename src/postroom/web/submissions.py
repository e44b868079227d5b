"""A form sent twice (a double click, a reload, a second tab) makes one thing: each form
carries a submission id, kept as the account's idempotency key while its request runs and
afterwards; the second send leads to what the first made."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta

from fastapi.responses import RedirectResponse, Response

from postroom.http.deps import ContainerDep
from postroom.services import idempotency


def new_submission() -> str:
    """The id a form is sent back with."""
    return uuid.uuid4().hex


def once(
    c: ContainerDep,
    account_id: str,
    *,
    kind: str,
    submission: str,
    make: Callable[[], tuple[Response, str | None]],
    location: Callable[[str], str],
) -> Response:
    """Run `make` (its answer, and the id of what it made or None when it refused the
    form) once for this submission id; a repeat is sent to `location(id)` of the first.
    A refused form, or one that failed, can be sent again."""
    if not submission:
        return make()[0]
    key = f"dashboard-{kind}:{submission}"
    replay = idempotency.begin(
        uow=c.uow(),
        clock=c.clock,
        account_id=account_id,
        key=key,
        fingerprint=f"dashboard-{kind}",
        ttl=timedelta(seconds=c.settings.idempotency_ttl_seconds),
        lock_for=timedelta(seconds=c.settings.idempotency_lock_seconds),
    )
    if replay is not None:
        return RedirectResponse(location(str(replay.body["id"])), status_code=303)
    try:
        response, made = make()
    except BaseException:
        idempotency.abandon(uow=c.uow(), account_id=account_id, key=key)
        raise
    if made is None:
        idempotency.abandon(uow=c.uow(), account_id=account_id, key=key)
    else:
        idempotency.complete(
            uow=c.uow(), account_id=account_id, key=key, status_code=303, body={"id": made}
        )
    return response
