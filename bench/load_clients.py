"""The load bench's clients: threads that each loop over requests for a bounded time (a letter
with its PDF, a batch of tracking events, a read of an accepted letter), one HTTP connection
each, and what they measured."""

from __future__ import annotations

import itertools
import json
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx

RECIPIENT = json.dumps(
    {
        "name_lines": ["Anna Svensson"],
        "street_lines": ["Storgatan 1"],
        "postal_code": "111 22",
        "city": "Stockholm",
        "country": "SE",
    }
)
EVENTS_A_BATCH = 100
EVENT_CODES = ("000", "003", "004", "007", "013")  # bench/events.py's: a parcel's story
REQUEST_TIMEOUT = 60.0


def letter_pool(count: int) -> list[bytes]:
    """`count` distinct one-page letters (reportlab), sent in turn by every client."""
    from tests.support.pdfs import make_pdf

    return [make_pdf(1, label=f"Load letter {n}") for n in range(count)]


@dataclass
class Phase:
    """What the clients of one phase saw: latencies by kind, errors, accepted letter ids."""

    seconds: float = 0.0
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)  # "kind status" -> count
    accepted: set[str] = field(default_factory=set)
    events: int = 0
    server_cpu_s: dict[str, float] = field(default_factory=dict)  # by kind of process

    def rate(self, kind: str) -> float:
        """Successful requests of `kind` a second."""
        return len(self.latencies.get(kind, ())) / self.seconds if self.seconds else 0.0

    def percentile(self, kind: str, q: float) -> float:
        """The q-quantile (0..1) of the kind's latencies, in seconds (nearest rank)."""
        values = sorted(self.latencies.get(kind, ()))
        if not values:
            return float("nan")
        return values[min(len(values) - 1, max(0, round(q * len(values)) - 1))]

    def summary(self) -> str:
        """One line: rate and p50 / p99 of each kind, events a second, errors."""
        parts = []
        for kind in sorted(self.latencies):
            parts.append(
                f"{kind} {self.rate(kind):,.1f}/s p50 {self.percentile(kind, 0.5) * 1000:,.0f} ms"
                f" p99 {self.percentile(kind, 0.99) * 1000:,.0f} ms"
            )
        if self.events:
            parts.append(f"events {self.events / self.seconds:,.0f}/s")
        requests = sum(len(values) for values in self.latencies.values())
        for name, cpu_s in self.server_cpu_s.items():
            if requests:
                parts.append(
                    f"{name} CPU {cpu_s / self.seconds:.2f} cores, "
                    f"{cpu_s / requests * 1000:.1f} ms a request"
                )
        errors = sum(self.errors.values())
        parts.append(f"errors {errors}" + (f" {dict(self.errors)}" if errors else ""))
        return "; ".join(parts)


class _Client(threading.Thread):
    """One client: its own connection, requests drawn from the mix until the phase ends."""

    def __init__(
        self, n: int, phase: Phase, shared: _Shared, base_url: str, path: str, key: str | None
    ) -> None:
        super().__init__(name=f"load-client-{n}", daemon=True)
        self.n = n
        self.phase = phase
        self.shared = shared
        self.path = path
        headers = {"Authorization": f"api-key {key}"} if key else {}
        self.http = httpx.Client(base_url=base_url, headers=headers, timeout=REQUEST_TIMEOUT)
        self.random = random.Random(n)
        self.latencies: dict[str, list[float]] = {}
        self.errors: dict[str, int] = {}
        self.accepted: list[str] = []
        self.events = 0

    def run(self) -> None:
        kinds, weights = zip(*self.shared.mix.items(), strict=True)
        try:
            while time.monotonic() < self.shared.end:
                kind = self.random.choices(kinds, weights)[0]
                if kind == "read" and not self.accepted:
                    kind = "letter"
                start = time.monotonic()
                try:
                    response = self._request(kind)
                    status = str(response.status_code)
                    ok = response.is_success
                except httpx.HTTPError as exc:
                    status, ok, response = type(exc).__name__, False, None
                elapsed = time.monotonic() - start
                if ok and kind == "letter" and response is not None:
                    self.accepted.append(response.json()["id"])  # late or not: it must be lotted
                if time.monotonic() > self.shared.end:
                    break  # a request that ended after the phase is not counted in its rates
                if not ok:
                    self.errors[f"{kind} {status}"] = self.errors.get(f"{kind} {status}", 0) + 1
                    continue
                self.latencies.setdefault(kind, []).append(elapsed)
                if kind == "events":
                    self.events += EVENTS_A_BATCH
        finally:
            self.http.close()

    def _request(self, kind: str) -> httpx.Response:
        if kind == "letter":
            pdf = self.shared.pdfs[next(self.shared.counter) % len(self.shared.pdfs)]
            return self.http.post(
                self.path,
                data={"recipient": RECIPIENT},
                files={"file": ("letter.pdf", pdf, "application/pdf")},
            )
        if kind == "read":
            return self.http.get(f"/v1/letters/{self.random.choice(self.accepted)}")
        if kind == "events":
            batch = next(self.shared.counter)
            t0 = datetime(2026, 12, 1, 8, tzinfo=UTC)
            events = [
                {
                    "reference": f"LOAD{self.n:02d}{batch:07d}{i // len(EVENT_CODES):03d}",
                    "time": (t0 + timedelta(minutes=i)).isoformat(),
                    "code": EVENT_CODES[i % len(EVENT_CODES)],
                    "source": "load",
                }
                for i in range(EVENTS_A_BATCH)
            ]
            return self.http.post("/v1/tracking/events", json={"events": events})
        raise ValueError(kind)


@dataclass
class _Shared:
    pdfs: Sequence[bytes]
    mix: Mapping[str, int]
    end: float
    counter: itertools.count[int] = field(default_factory=itertools.count)


def drive(
    urls: Sequence[str],
    key: str | None,
    pdfs: Sequence[bytes],
    *,
    seconds: float,
    clients: int,
    mix: Mapping[str, int],
    path: str = "/v1/letters",
    cpu: Mapping[str, Callable[[], float]] | None = None,
) -> Phase:
    """`clients` threads spread over `urls`, each sending requests drawn from `mix` (kind ->
    weight: letter, read, events) for `seconds`; a letter goes to `path`. `cpu` gives the
    CPU seconds so far of each kind of server process: the phase's share is kept."""
    phase = Phase()
    shared = _Shared(pdfs, mix, end=0.0)
    threads = [_Client(n, phase, shared, urls[n % len(urls)], path, key) for n in range(clients)]
    cpu = cpu or {}
    cpu_before = {name: seconds_so_far() for name, seconds_so_far in cpu.items()}
    start = time.monotonic()
    shared.end = start + seconds
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + REQUEST_TIMEOUT + 10)
    phase.seconds = seconds
    phase.server_cpu_s = {name: cpu[name]() - before for name, before in cpu_before.items()}
    for thread in threads:
        for kind, values in thread.latencies.items():
            phase.latencies.setdefault(kind, []).extend(values)
        for name, count in thread.errors.items():
            phase.errors[name] = phase.errors.get(name, 0) + count
        phase.accepted.update(thread.accepted)
        phase.events += thread.events
    return phase
