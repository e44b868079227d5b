"""Many workers on one campaign (issue 19): a 9,000-page print file's page ranges are read
by two `postroom worker` processes, each with one child, and the file is cut into its 3,000
letters with every address as one worker alone would read it."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import wait_for
from tests.distributed.conftest import StackFactory
from tests.integration.intake.helpers import add_to_batch, batch_pieces, create_batch
from tests.integration.intake.test_split_3000 import LETTERS, _campaign

pytestmark = pytest.mark.distributed


def test_two_workers_share_one_large_files_ranges(rabbitmq_stack: StackFactory) -> None:
    stack = rabbitmq_stack(
        preflight_processes="1", max_pages_per_document="10000", preflight_timeout_seconds="300"
    )
    workers = [stack.processes.worker(), stack.processes.worker()]
    data, expected = _campaign()
    batch = create_batch(
        stack.client, stack.tenant, profile="postroom", layout="din5008_a", default_country="SE"
    )
    response = add_to_batch(
        stack.client, stack.tenant, batch["id"], data, {"kind": "address_change"}
    )
    assert response.status_code == 202, response.text
    document_id = response.json()["document"]["id"]

    def checked() -> dict[str, Any] | None:
        got = stack.client.get(f"/v1/documents/{document_id}", headers=stack.tenant.headers)
        body: dict[str, Any] = got.json()
        return body if body["state"] != "received" else None

    document = wait_for(checked, timeout=300, every=0.5)
    assert document["state"] == "checked", document["report"]["findings"][:3]

    pieces = batch_pieces(stack.client, stack.tenant, batch["id"], limit=1000)
    assert len(pieces) == LETTERS
    assert [p["first_page"] for p in pieces] == list(range(1, LETTERS * 3 + 1, 3))
    assert [p["recipient"] for p in pieces] == [r.to_dict() for r in expected]
    # Six ranges of 1,500 pages, each read once, by both processes.
    read = {
        int(m.group(1)): worker.name
        for worker in workers
        for line in worker.log().splitlines()
        if document_id in line and (m := re.search(r"range (\d+) \(pages", line))
    }
    assert sorted(read) == [1, 2, 3, 4, 5, 6], read
    assert set(read.values()) == {w.name for w in workers}, read
