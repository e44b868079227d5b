"""Run a use case again when it lost a race (optimistic locking) or met a busy database."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from postroom.domain.errors import RetryableError

T = TypeVar("T")


def retrying(call: Callable[[], T], *, attempts: int = 5, base_delay: float = 0.02) -> T:
    """Call `call`, retrying RetryableError with jittered backoff; the last error propagates."""
    for attempt in range(attempts - 1):
        try:
            return call()
        except RetryableError:
            time.sleep(base_delay * (2**attempt) * (0.5 + random.random()))
    return call()
