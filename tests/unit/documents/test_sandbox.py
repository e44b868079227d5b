"""The sandbox: results come back, limits hold, and a dying child never takes the caller along."""

from __future__ import annotations

import ctypes
import os
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from postroom.documents.sandbox import DocumentRejected, Sandbox
from postroom.domain.errors import InvalidDocument

MIB = 1024**2


def add(a: int, b: int, *, times: int = 1) -> int:
    return (a + b) * times


def child_pid() -> int:
    return os.getpid()


def sleep_for(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def allocate(megabytes: int) -> int:
    return len(bytearray(megabytes * MIB))


def segfault() -> None:
    ctypes.string_at(0)


def refuse() -> None:
    raise InvalidDocument("no", code="some_code", detail={"why": "test"})


def fail_plainly() -> None:
    raise ValueError("plain failure")


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    box = Sandbox()
    yield box
    box.close()


def rejected_code(box: Sandbox, func: Callable[..., object], *args: object, **limits: float) -> str:
    with pytest.raises(DocumentRejected) as info:
        box.run(func, *args, **limits)
    return info.value.code


def test_the_result_comes_back_from_another_process(sandbox: Sandbox) -> None:
    assert sandbox.run(add, 2, 3, times=2) == 10
    assert sandbox.run(child_pid) != os.getpid()


def test_a_domain_error_keeps_its_code_and_detail(sandbox: Sandbox) -> None:
    with pytest.raises(InvalidDocument) as info:
        sandbox.run(refuse)
    assert (info.value.code, info.value.detail) == ("some_code", {"why": "test"})
    with pytest.raises(ValueError, match="plain failure"):
        sandbox.run(fail_plainly)


def test_a_call_over_time_is_killed_and_the_next_call_works(sandbox: Sandbox) -> None:
    started = time.perf_counter()
    assert rejected_code(sandbox, sleep_for, 30, timeout_s=0.5) == "preflight_timeout"
    assert time.perf_counter() - started < 5
    assert sandbox.run(add, 1, 1) == 2


def test_a_call_over_memory_is_refused_and_the_next_call_works(sandbox: Sandbox) -> None:
    code = rejected_code(sandbox, allocate, 2048, memory_bytes=512 * MIB)
    assert code == "preflight_memory_exceeded"
    assert sandbox.run(allocate, 64, memory_bytes=512 * MIB) == 64 * MIB


def test_a_segfault_is_a_crash_not_ours(sandbox: Sandbox) -> None:
    assert rejected_code(sandbox, segfault) == "preflight_crashed"
    assert sandbox.run(add, 1, 2) == 3


def pid_after(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def test_threads_share_the_sandbox_each_call_in_its_own_child() -> None:
    box = Sandbox(max_idle=3)
    pids: list[int] = []

    def call() -> None:
        pids.append(box.run(pid_after, 0.5))

    threads = [threading.Thread(target=call) for _ in range(3)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        box.close()
    # Calls made while the others run each get a child of their own, never a queue.
    assert len(set(pids)) == 3 and os.getpid() not in pids


def test_an_unpicklable_argument_is_the_callers_error(sandbox: Sandbox) -> None:
    with pytest.raises(Exception, match="pickle"):
        sandbox.run(add, threading.Lock(), 1)
    assert sandbox.run(add, 1, 2) == 3
