"""A real Kannel SMS gateway for tests: bearerbox with an SMSC of type `fake`, smsbox with a
sendsms user, and Kannel's own `fakesmsc` as the operator, all on 127.0.0.1 ports chosen
free, with their configuration and logs in a temporary folder.

Debian packages: `kannel` (bearerbox, smsbox) and `kannel-extras` (fakesmsc, installed as
/usr/lib/kannel/test/fakesmsc). The fake SMSC answers every message it takes with a
delivery report "delivered to the phone" (type 1), which smsbox sends to the message's
dlr-url: the whole round trip of a real gateway, without a radio network."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import pytest

from tests.support import services
from tests.support.services import free_port

BEARERBOX = shutil.which("bearerbox") or "/usr/sbin/bearerbox"
SMSBOX = shutil.which("smsbox") or "/usr/sbin/smsbox"
FAKESMSC = shutil.which("fakesmsc") or "/usr/lib/kannel/test/fakesmsc"
USERNAME, PASSWORD = "postroom", "kannel-test-password"
ADMIN_PASSWORD = "kannel-admin-password"
# Numbers the sendsms user may not send to: Kannel refuses them with 400 ("denied by white-
# and/or black-lists"), the way to see a gateway refuse one recipient for good.
REFUSED_PREFIX = "+4670999"
# fakesmsc's line for each message the gateway hands it: <from to type text>.
RECEIVED = re.compile(r"Got message \d+: <(\S+) (\S+) (\S+) (.*)>$")

CONFIG = """\
group = core
admin-port = {admin_port}
admin-interface = 127.0.0.1
admin-password = {admin_password}
smsbox-port = {smsbox_port}
smsbox-interface = 127.0.0.1
box-allow-ip = 127.0.0.1
log-file = {folder}/bearerbox.log
log-level = 1
dlr-storage = internal

group = smsc
smsc = fake
smsc-id = fake
port = {smsc_port}
connect-allow-ip = 127.0.0.1

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {smsbox_port}
sendsms-port = {sendsms_port}
sendsms-interface = 127.0.0.1
log-file = {folder}/smsbox.log
log-level = 1
http-request-retry = 5
http-queue-delay = 1

group = sendsms-user
username = {username}
password = {password}
max-messages = 10
concatenation = true
black-list-regex = {refused}

group = sms-service
keyword = default
text = "No service here"
"""


@dataclass
class Kannel:
    """A running gateway: where to send (sendsms), and what its operator received."""

    folder: Path
    sendsms_url: str
    username: str
    password: str
    admin_url: str
    # Where in the fake operator's log this test's messages start: one gateway serves every
    # test of a test process (`kannel_gateway`), each test sees what came after its start.
    since: int = 0

    def from_here(self) -> Kannel:
        """The same gateway, `received` counting from now on."""
        log = self.folder / "fakesmsc.log"
        return replace(self, since=log.stat().st_size if log.exists() else 0)

    @property
    def settings(self) -> dict[str, str]:
        """Postroom's settings for this gateway (Settings field names)."""
        return {
            "kannel_sendsms_url": self.sendsms_url,
            "kannel_username": self.username,
            "kannel_password": self.password,
        }

    def received(self) -> list[tuple[str, str, str]]:
        """Every message the fake operator took, as (from, to, text), in order."""
        found = []
        with (self.folder / "fakesmsc.log").open("rb") as log:
            log.seek(self.since)
            lines = log.read().decode(errors="replace").splitlines()
        for line in lines:
            match = RECEIVED.search(line)
            if match:
                found.append((match.group(1), match.group(2), match.group(4)))
        return found

    def status(self) -> str:
        """bearerbox's status page (text)."""
        response = httpx.get(
            f"{self.admin_url}/status.txt", params={"password": ADMIN_PASSWORD}, timeout=5
        )
        return response.text


def installed() -> bool:
    """True when bearerbox, smsbox and fakesmsc are all there."""
    return all(Path(p).is_file() and os.access(p, os.X_OK) for p in (BEARERBOX, SMSBOX, FAKESMSC))


def _listening(port: int) -> bool:
    return services.port_open("127.0.0.1", port)


def _wait(condition: Callable[[], bool], what: str, folder: Path, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            logs = "\n".join(
                f"--- {p.name}\n{p.read_text(errors='replace')[-2000:]}"
                for p in sorted(folder.glob("*.log"))
            )
            pytest.fail(f"Kannel: {what} not ready within {timeout} s\n{logs}")
        time.sleep(0.05)


def _start(command: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(command, stdout=out, stderr=out, start_new_session=True)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def running_kannel(folder: Path) -> Iterator[Kannel]:
    """Write the configuration in `folder`, start bearerbox, fakesmsc and smsbox, wait until
    the fake operator is connected and sendsms answers; stop all three afterwards."""
    folder.mkdir(parents=True, exist_ok=True)
    ports = {
        name: free_port() for name in ("admin_port", "smsbox_port", "smsc_port", "sendsms_port")
    }
    conf = folder / "kannel.conf"
    conf.write_text(
        CONFIG.format(
            folder=folder,
            admin_password=ADMIN_PASSWORD,
            refused="^" + REFUSED_PREFIX.replace("+", "\\+"),
            username=USERNAME,
            password=PASSWORD,
            **ports,
        )
    )
    kannel = Kannel(
        folder=folder,
        sendsms_url=f"http://127.0.0.1:{ports['sendsms_port']}/cgi-bin/sendsms",
        username=USERNAME,
        password=PASSWORD,
        admin_url=f"http://127.0.0.1:{ports['admin_port']}",
    )
    with ExitStack() as stack:
        bearerbox = _start([BEARERBOX, str(conf)], folder / "bearerbox.out.log")
        stack.callback(_stop, bearerbox)
        _wait(
            lambda: _listening(ports["smsbox_port"]) and _listening(ports["smsc_port"]),
            "bearerbox",
            folder,
        )
        # -m 0: the operator sends no message of its own, it only takes the gateway's.
        fakesmsc = _start(
            [FAKESMSC, "-H", "127.0.0.1", "-r", str(ports["smsc_port"]), "-m", "0", "x y text -"],
            folder / "fakesmsc.log",
        )
        stack.callback(_stop, fakesmsc)
        smsbox = _start([SMSBOX, str(conf)], folder / "smsbox.out.log")
        stack.callback(_stop, smsbox)
        _wait(lambda: _listening(ports["sendsms_port"]), "smsbox", folder)
        _wait(lambda: _ready(kannel), "the fake SMSC and smsbox connections", folder)
        yield kannel


def _ready(kannel: Kannel) -> bool:
    """bearerbox's status page shows the fake SMSC online and smsbox connected."""
    try:
        status = kannel.status()
    except httpx.HTTPError:
        return False
    return "online" in _smsc_line(status) and "No boxes connected" not in status


def _smsc_line(status: str) -> str:
    """The fake SMSC's line of bearerbox's status page."""
    return next((line for line in status.splitlines() if "fake" in line and "SMSC" not in line), "")


@pytest.fixture(scope="session")
def kannel_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kannel]:
    """A running Kannel gateway with a fake operator, one a test process (three processes
    to start and connect for each test cost a second or two, and on the distributed backend
    a restart of the worker process, whose settings name the gateway); skipped where Kannel
    is not installed (failed instead when POSTROOM_REQUIRE_SERVICES=1, as in CI)."""
    if not installed():
        message = (
            "Kannel is not installed (apt-get install kannel kannel-extras: bearerbox, smsbox, "
            "and fakesmsc from kannel-extras)"
        )
        if services.services_required():
            pytest.fail(f"{message}; POSTROOM_REQUIRE_SERVICES=1 needs it")
        pytest.skip(message)
    with running_kannel(tmp_path_factory.mktemp("kannel")) as gateway:
        yield gateway


@pytest.fixture(name="kannel")
def kannel_fixture(kannel_gateway: Kannel) -> Kannel:
    """The test process's gateway, its operator's messages counted from the test's start."""
    return kannel_gateway.from_here()


@pytest.fixture(scope="session")
def sms_report_port() -> int:
    """The port the SMS tests serve their app on, the same for every test of a test process:
    the report URL is one of the worker's settings, and a new one each test restarted the
    distributed backend's worker process each test."""
    return free_port()
