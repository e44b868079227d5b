"""Fresh PostgreSQL databases, RabbitMQ virtual hosts and Redis prefixes for one test run."""

from __future__ import annotations

import os
import socket
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

PG_ADMIN_URL = os.environ.get("POSTROOM_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
AMQP_HOST = os.environ.get("POSTROOM_TEST_AMQP_HOST", "127.0.0.1")
REDIS_URL = os.environ.get("POSTROOM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def services_required() -> bool:
    """CI sets POSTROOM_REQUIRE_SERVICES=1: a missing service is then a failure, not a skip."""
    return os.environ.get("POSTROOM_REQUIRE_SERVICES") == "1"


def missing(what: str) -> None:
    """Skip (on a laptop) or fail (in CI) because a service is not there."""
    message = f"{what} is not reachable; start it or unset POSTROOM_REQUIRE_SERVICES"
    if services_required():
        pytest.fail(message)
    pytest.skip(f"{what} is not reachable here (CI runs this test)")


def port_open(host: str, port: int) -> bool:
    """True when something listens on host:port."""
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def free_port() -> int:
    """A TCP port of 127.0.0.1 nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """Create a database for this run and drop it afterwards; yields its URL."""
    import psycopg

    name = f"postroom_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError:
        missing("PostgreSQL at " + PG_ADMIN_URL)
        raise
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)


@contextmanager
def fresh_rabbitmq_vhost() -> Iterator[str]:
    """Create a virtual host for this run and delete it afterwards; yields the broker URL."""
    if not port_open(AMQP_HOST, 5672):
        missing(f"RabbitMQ at {AMQP_HOST}:5672")
    vhost = f"postroom_test_{uuid.uuid4().hex[:12]}"
    try:
        _rabbitmqctl("add_vhost", vhost)
        _rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    except (OSError, subprocess.SubprocessError) as exc:
        missing(f"rabbitmqctl ({exc})")
    try:
        yield f"amqp://guest:guest@{AMQP_HOST}:5672/{vhost}"
    finally:
        _rabbitmqctl("delete_vhost", vhost)


@contextmanager
def fresh_redis_namespace() -> Iterator[tuple[str, str]]:
    """A key prefix for this run, whose keys are deleted afterwards; yields (url, namespace)."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError:
        missing("Redis at " + REDIS_URL)
    namespace = f"postroom_test_{uuid.uuid4().hex[:12]}"
    try:
        yield REDIS_URL, namespace
    finally:
        keys = list(client.scan_iter(match=f"{namespace}*"))
        if keys:
            client.delete(*keys)
        client.close()
