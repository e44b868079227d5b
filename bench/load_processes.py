"""The load bench's processes: `postroom` commands and the bare reference app, each with its
output in a log file, waited for until they answer, and always stopped afterwards."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

START_TIMEOUT = 120.0  # import, migrate and connect, on a busy two-core machine
STOP_TIMEOUT = 20.0


def free_port() -> int:
    """A TCP port of 127.0.0.1 nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def api_process(port: int, *, pipeline: bool) -> list[str]:
    """`postroom serve` arguments on 127.0.0.1:port (with --no-worker unless `pipeline`)."""
    args = ["serve", "--host", "127.0.0.1", "--port", str(port)]
    return args if pipeline else [*args, "--no-worker"]


def bare_process(port: int, data_dir: Path, database_url: str) -> list[str]:
    """The bare reference app's command line."""
    args = ["-m", "bench.bare_letters", "--port", str(port), "--data-dir", str(data_dir)]
    return [*args, "--database-url", database_url] if database_url else args


def group_cpu_seconds(pgid: int) -> float:
    """User and system CPU seconds of every live process in the group `pgid`, with those of
    the children each has waited for."""
    ticks = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # ended meanwhile
        fields = stat.rsplit(")", 1)[1].split()
        # After the name: state ppid pgrp ... utime(12) stime(13) cutime(14) cstime(15).
        if int(fields[2]) == pgid:
            ticks += sum(int(value) for value in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


class Process:
    """One child process whose output goes to a log file."""

    def __init__(self, command: list[str], log_path: Path, env: Mapping[str, str]) -> None:
        self.kind = "process"  # api (postroom serve), worker, or bare: CPU is shown by kind
        self.log_path = log_path
        with log_path.open("ab") as log:
            self.popen = subprocess.Popen(
                command,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @classmethod
    @contextmanager
    def started(
        cls,
        args: list[str],
        log_path: Path,
        *,
        env: Mapping[str, str] | None = None,
        raw: bool = False,
    ) -> Iterator[Process]:
        """`postroom ARGS` (or, `raw`, `python ARGS`) with this environment's POSTROOM_*
        settings replaced by `env`; stopped (its whole process group) when the block ends."""
        clean = {k: v for k, v in os.environ.items() if not k.startswith("POSTROOM_")}
        kind = (
            "bare"
            if raw
            else "worker"
            if args[0] == "worker"
            else "api"
            if "--no-worker" in args
            else "serve"
        )
        command = (
            [sys.executable, *args] if raw else [sys.executable, "-m", "postroom.cli.main", *args]
        )
        process = cls(command, log_path, {**clean, "PYTHONUNBUFFERED": "1", **(env or {})})
        process.kind = kind
        try:
            yield process
        finally:
            process.stop()

    def cpu_seconds(self) -> float:
        """CPU time used so far by the process's group (the process, its threads, its
        sandbox children, and the children it has waited for); Linux's /proc."""
        return group_cpu_seconds(self.popen.pid)

    def log(self) -> str:
        """What the process has written so far."""
        return self.log_path.read_text(errors="replace")

    def _check_alive(self, deadline: float, what: str) -> None:
        if self.popen.poll() is not None:
            raise RuntimeError(f"{self.popen.args} exited before {what}:\n{self.log()[-3000:]}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{self.popen.args}: no {what} in {START_TIMEOUT} s")

    def wait_ready(self, url: str) -> None:
        """Wait until `url` answers 200."""
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            self._check_alive(deadline, f"200 from {url}")
            time.sleep(0.2)

    def wait_for_line(self, text: str) -> None:
        """Wait until the process writes `text`."""
        deadline = time.monotonic() + START_TIMEOUT
        while text not in self.log():
            self._check_alive(deadline, repr(text))
            time.sleep(0.2)

    def stop(self) -> None:
        """SIGTERM to its process group, SIGKILL if it does not end in time."""
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=STOP_TIMEOUT)
