"""The same distributed road with Redis as the task queue, in a namespace of the test's own."""

from __future__ import annotations

import pytest
import redis

from tests.distributed.conftest import StackFactory
from tests.distributed.lots import (
    assert_each_piece_in_exactly_one_lot,
    assert_pages_are_the_letters,
    wait_all_transferred,
)

pytestmark = pytest.mark.distributed


def test_letters_reach_a_lot_through_a_worker_on_redis(redis_stack: StackFactory) -> None:
    stack = redis_stack()
    ready = stack.client.get("/readyz")
    assert ready.status_code == 200, ready.text
    stack.processes.worker()

    ids = {stack.send_letter(f"Redis letter {i}", pages=i) for i in (1, 2, 3)}

    wait_all_transferred(stack.container.engine, len(ids), timeout=60)
    folders = assert_each_piece_in_exactly_one_lot(stack.container.engine, stack.output_dir, ids)
    assert_pages_are_the_letters(folders, stack.sent)
    namespace = stack.env["POSTROOM_QUEUE_NAMESPACE"]
    with redis.Redis.from_url(stack.env["POSTROOM_BROKER_URL"]) as client:
        assert list(client.scan_iter(match=f"{namespace}:*")), "the worker used its namespace"
