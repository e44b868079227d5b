"""Webhook signing secrets sealed at rest (issue 20, must show 3; ADR 0017): the database
holds no secret in any form a grep finds, and after `postroom secrets rotate` deliveries
still verify with the standardwebhooks library; a process started with the old key stops
with a clear error naming the setting."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from standardwebhooks import Webhook

from postroom.api.app import create_app
from postroom.bootstrap import Container, build_container
from postroom.config import Settings, UnusableSetting
from postroom.services import accounts
from postroom.storage import tables
from postroom.storage.sealing import SealingKey, key_id_of
from tests.integration.webhooks.conftest import Hooks
from tests.integration.webhooks.receiver import Receiver
from tests.support.sealed import database_bytes, found_forms

NEW_KEY = "the-new-secret-key-an-operator-chose-0123456789"


def stored_tokens(container: Container) -> list[str]:
    with container.engine.connect() as conn:
        rows = conn.execute(tables.webhook_endpoints.select()).all()
    return [s["secret"] for row in rows for s in row.secrets]


def verified(requests: list[Any], secret: str) -> list[dict[str, Any]]:
    """Each request's payload, checked with the standardwebhooks library."""
    verifier = Webhook(secret)
    return [verifier.verify(r.body, r.headers) for r in requests]


@contextmanager
def api(hooks: Hooks) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """The /v1 API on the hooks' container (its sender is run by hand) and a key's header."""
    _, key = accounts.create_api_key(
        uow=hooks.container.uow(), clock=hooks.clock, account_id=hooks.account_id
    )
    with TestClient(create_app(hooks.container, run_worker=False)) as client:
        yield client, {"Authorization": f"api-key {key}"}


def test_the_database_holds_no_webhook_secret_in_any_form(
    hooks: Hooks, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with api(hooks) as (client, headers):
        # With an Idempotency-Key: the stored answer, kept for replays, holds no secret either.
        once = {**headers, "Idempotency-Key": "create-hook-1"}
        created = client.post("/v1/webhooks", headers=once, json={"url": receiver.url})
        assert created.status_code == 201, created.text
        hook = created.json()
        replayed = client.post("/v1/webhooks", headers=once, json={"url": receiver.url})
        assert replayed.json()["id"] == hook["id"] and replayed.json()["secret"] is None
        rotated = client.post(f"/v1/webhooks/{hook['id']}/rotate-secret", headers=headers)
        assert rotated.status_code == 200, rotated.text
        shown = client.get(f"/v1/webhooks/{hook['id']}", headers=headers).json()
    first, second = hook["secret"], rotated.json()["secret"]
    assert [s["hint"] for s in shown["secrets"]] == [second[:10] + "…", first[:10] + "…"]

    hooks.send_letter()
    assert hooks.deliver() == 1
    (request,) = receiver.requests
    # Both secrets sign during the rotation's grace: each verifies on its own.
    for secret in (first, second):
        assert verified([request], secret)[0]["type"] == "piece.closed"

    stored = database_bytes(hooks.container.engine)
    assert hook["id"].encode() in stored  # the grep does see the table
    logged = caplog.text.encode()
    for secret in (first, second):
        assert found_forms(secret, stored) == []
        assert found_forms(secret, logged) == []
    tokens = stored_tokens(hooks.container)
    assert len(tokens) == 2
    assert {key_id_of(t) for t in tokens} == {hooks.container.sealer.current.id}


def rotate_cli(settings: Settings, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`postroom secrets rotate` (or other ARGS) on the test's database, as an operator runs it."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("POSTROOM_")}
    clean.update(
        POSTROOM_DATA_DIR=str(settings.data_dir),
        POSTROOM_DATABASE_URL=settings.database_url,
        POSTROOM_SECRET_KEY=settings.secret_key,
        **env,
    )
    return subprocess.run(
        [sys.executable, "-m", "postroom.cli.main", *(args or ("secrets", "rotate"))],
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_after_secrets_rotate_deliveries_still_verify_and_the_old_key_is_refused(
    hooks: Hooks, receiver: Receiver, tmp_path: Path
) -> None:
    endpoint_id, secret = hooks.endpoint(receiver.url)
    hooks.send_letter()
    assert hooks.deliver() == 1
    old = hooks.container.settings
    old_id = hooks.container.sealer.current.id

    key_file = tmp_path / "new-key"
    key_file.write_text(NEW_KEY + "\n")
    done = rotate_cli(old, "secrets", "rotate", "--new-key-file", str(key_file))
    assert done.returncode == 0, done.stderr
    new_id = SealingKey.derive(NEW_KEY).id
    assert json.loads(done.stdout) == {
        "endpoints": 1,
        "secrets": 1,
        "key_ids_before": {old_id: 1},
        "key_ids_after": {new_id: 1},
    }
    assert [key_id_of(t) for t in stored_tokens(hooks.container)] == [new_id]

    # The old key opens nothing now: the start stops, naming the setting, without a traceback.
    with pytest.raises(UnusableSetting, match="POSTROOM_SECRET_KEY") as refused:
        build_container(old, clock=hooks.clock)
    assert new_id in str(refused.value) and old_id in str(refused.value)
    cli = rotate_cli(old, "db", "upgrade")
    assert cli.returncode == 2
    assert "invalid setting" in cli.stderr and "POSTROOM_SECRET_KEY" in cli.stderr
    assert "Traceback" not in cli.stderr

    # Started with the new key, it signs with the same secret: receivers change nothing.
    renewed = build_container(old.model_copy(update={"secret_key": NEW_KEY}), clock=hooks.clock)
    try:
        after = Hooks(renewed, hooks.clock, hooks.account_id)
        after.send_letter()
        assert after.deliver() == 1
        assert len(receiver.requests) == 2
        payloads = verified(receiver.requests, secret)
        assert [p["type"] for p in payloads] == ["piece.closed", "piece.closed"]
        assert after.get_endpoint(endpoint_id).secrets[0].secret == secret
    finally:
        renewed.close()


def test_previous_keys_open_old_secrets_until_a_rotate_reseals_them_under_the_current_key(
    hooks: Hooks, receiver: Receiver
) -> None:
    endpoint_id, secret = hooks.endpoint(receiver.url)
    old = hooks.container.settings
    old_id = hooks.container.sealer.current.id
    # The operator changed POSTROOM_SECRET_KEY first and kept the old one as a previous key.
    moved = old.model_copy(update={"secret_key": NEW_KEY, "previous_secret_keys": [old.secret_key]})
    renewed = build_container(moved, clock=hooks.clock)
    try:
        after = Hooks(renewed, hooks.clock, hooks.account_id)
        after.send_letter()
        assert after.deliver() == 1
        assert verified(receiver.requests, secret)[0]["type"] == "piece.closed"
    finally:
        renewed.close()

    # Without a new key, rotate re-seals under POSTROOM_SECRET_KEY what the previous key sealed.
    done = rotate_cli(moved, POSTROOM_PREVIOUS_SECRET_KEYS=json.dumps(moved.previous_secret_keys))
    assert done.returncode == 0, done.stderr
    new_id = SealingKey.derive(NEW_KEY).id
    assert json.loads(done.stdout)["key_ids_before"] == {old_id: 1}
    assert json.loads(done.stdout)["key_ids_after"] == {new_id: 1}
    # Now the new key alone is enough.
    alone = build_container(old.model_copy(update={"secret_key": NEW_KEY}), clock=hooks.clock)
    try:
        assert (
            Hooks(alone, hooks.clock, hooks.account_id).get_endpoint(endpoint_id).secrets[0].secret
            == secret
        )
    finally:
        alone.close()


def test_rotate_with_a_key_that_opens_nothing_changes_nothing(
    hooks: Hooks, receiver: Receiver
) -> None:
    hooks.endpoint(receiver.url)
    before = stored_tokens(hooks.container)
    wrong = hooks.container.settings.model_copy(
        update={"secret_key": "not-the-key-that-sealed-them"}
    )
    done = rotate_cli(wrong, POSTROOM_NEW_SECRET_KEY=NEW_KEY)
    assert done.returncode == 2
    assert "POSTROOM_SECRET_KEY" in done.stderr and "Traceback" not in done.stderr
    assert done.stdout == ""
    assert stored_tokens(hooks.container) == before


def test_the_new_key_is_given_once_never_empty_and_long_enough_in_production(
    hooks: Hooks, receiver: Receiver, tmp_path: Path
) -> None:
    hooks.endpoint(receiver.url)
    before = stored_tokens(hooks.container)
    settings = hooks.container.settings
    key_file = tmp_path / "new-key"
    key_file.write_text(NEW_KEY + "\n")
    twice = rotate_cli(
        settings,
        "secrets",
        "rotate",
        "--new-key-file",
        str(key_file),
        POSTROOM_NEW_SECRET_KEY=NEW_KEY,
    )
    assert twice.returncode == 2 and "give the new key once" in twice.stderr
    key_file.write_text("\n")
    empty = rotate_cli(settings, "secrets", "rotate", "--new-key-file", str(key_file))
    assert empty.returncode == 2 and "empty" in empty.stderr
    # In production (a long current key, the development one kept as previous) a short
    # new key is refused before anything is re-sealed.
    production = settings.model_copy(
        update={"secret_key": NEW_KEY, "previous_secret_keys": [settings.secret_key]}
    )
    short = rotate_cli(
        production,
        POSTROOM_ENV="production",
        POSTROOM_PREVIOUS_SECRET_KEYS=json.dumps(production.previous_secret_keys),
        POSTROOM_NEW_SECRET_KEY="too-short",
    )
    assert short.returncode == 2
    assert "at least 32 characters" in short.stderr, short.stderr
    assert stored_tokens(hooks.container) == before


def test_an_api_left_running_on_the_old_key_answers_503_not_500(
    hooks: Hooks, receiver: Receiver, tmp_path: Path
) -> None:
    """A rotate while an API process still runs on the old key: its webhook routes answer
    503 `misconfigured` (the operator's log says which setting) until it is restarted."""
    endpoint_id, _ = hooks.endpoint(receiver.url)
    key_file = tmp_path / "new-key"
    key_file.write_text(NEW_KEY + "\n")
    with api(hooks) as (client, headers):
        assert client.get(f"/v1/webhooks/{endpoint_id}", headers=headers).status_code == 200
        done = rotate_cli(
            hooks.container.settings, "secrets", "rotate", "--new-key-file", str(key_file)
        )
        assert done.returncode == 0, done.stderr
        response = client.post(
            f"/v1/webhooks/{endpoint_id}/rotate-secret", headers=headers, json={}
        )
        assert response.status_code == 503, response.text
        assert response.json()["error"]["code"] == "misconfigured"
