"""Real `postroom worker` and `postroom serve` processes for the distributed tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import IO

import pytest

STARTED_LINE = "worker started"
START_TIMEOUT = 90.0  # import, migrate and connect, on a busy two-core machine
STOP_TIMEOUT = 20.0


def process_env(settings: Mapping[str, str]) -> dict[str, str]:
    """This environment without any POSTROOM_* of the caller's, plus the given settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSTROOM_")}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(settings)
    return env


class PostroomProcess:
    """One `postroom ...` subprocess whose output goes to a log file."""

    def __init__(self, name: str, args: list[str], env: Mapping[str, str], log_dir: Path) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log: IO[bytes] = self.log_path.open("ab")
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "postroom.cli.main", *args],
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def log(self) -> str:
        """Everything the process has written so far."""
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, text: str, timeout: float = START_TIMEOUT) -> None:
        """Wait until the process writes `text`; fail if it exits or takes too long."""
        deadline = time.monotonic() + timeout
        while text not in self.log():
            if self.popen.poll() is not None:
                pytest.fail(f"{self.name} exited ({self.popen.returncode}) before {text!r}")
            if time.monotonic() > deadline:
                pytest.fail(f"{self.name} did not write {text!r} within {timeout} s")
            time.sleep(0.1)

    def kill(self, *, with_children: bool = False) -> None:
        """SIGKILL: no cleanup, no goodbye, as when a machine dies; `with_children` takes its
        whole process group (the sandbox's forkserver and children) with it, as a container
        stop would, instead of leaving them to notice the parent is gone."""
        if self.popen.poll() is None:
            if with_children:
                os.killpg(self.popen.pid, signal.SIGKILL)
            else:
                self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(timeout=STOP_TIMEOUT)

    def stop(self) -> int | None:
        """SIGTERM, then SIGKILL if it does not exit in time; returns the exit code."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.popen.send_signal(signal.SIGKILL)
                self.popen.wait(timeout=STOP_TIMEOUT)
        self._log.close()
        return self.popen.returncode


class ProcessGroup:
    """Starts postroom processes for one test and always stops them afterwards."""

    def __init__(self, env: Mapping[str, str], log_dir: Path) -> None:
        self.env = env
        self.log_dir = log_dir
        self.processes: list[PostroomProcess] = []

    def _start(self, kind: str, args: list[str], env: Mapping[str, str]) -> PostroomProcess:
        name = f"{kind}-{sum(p.name.startswith(kind) for p in self.processes) + 1}"
        process = PostroomProcess(name, args, env, self.log_dir)
        self.processes.append(process)
        return process

    def worker(self, *, wait: bool = True, **overrides: str) -> PostroomProcess:
        """Start `postroom worker` and (unless not `wait`) wait until it says it has started."""
        process = self._start("worker", ["worker"], {**self.env, **overrides})
        if wait:
            process.wait_for_log(STARTED_LINE)
        return process

    def server(self, port: int, *, pipeline: bool = False, **overrides: str) -> PostroomProcess:
        """Start `postroom serve --no-worker` on 127.0.0.1:port (wait for it separately);
        `pipeline` leaves out --no-worker: the embedded server, its worker within."""
        args = ["serve", "--host", "127.0.0.1", "--port", str(port)]
        return self._start(
            "serve", args if pipeline else [*args, "--no-worker"], {**self.env, **overrides}
        )

    def stop_all(self) -> None:
        """Stop every process still running."""
        for process in self.processes:
            process.stop()

    def lines_with(self, text: str) -> list[str]:
        """Log lines of any process that contain `text`."""
        return [line for p in self.processes for line in p.log().splitlines() if text in line]

    def logs(self) -> str:
        """Every process's output, headed by its name and exit code."""
        return "\n".join(
            f"----- {p.name} (pid {p.pid}, exit {p.popen.returncode}) -----\n{p.log()}"
            for p in self.processes
        )
