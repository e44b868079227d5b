"""A real server speaking S3 over HTTP on 127.0.0.1: moto's server mode (`moto_server`, from
PyPI, a test dependency), started once per run in its own process; each test gets a bucket
of its own, emptied and deleted when it ends. No cloud account is ever reached."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.services import free_port, port_open

# What boto3 reads to find the server and sign for it (moto takes any credentials).
REGION = "eu-north-1"


@dataclass(frozen=True)
class S3Server:
    """The running server: its endpoint and the environment an S3 client needs to reach it."""

    endpoint: str

    @property
    def env(self) -> dict[str, str]:
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": "postroom-test",
            "AWS_SECRET_ACCESS_KEY": "postroom-test-secret",
            "AWS_DEFAULT_REGION": REGION,
        }

    def client(self) -> Any:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id="postroom-test",
            aws_secret_access_key="postroom-test-secret",
        )


@contextmanager
def s3_server(log_dir: Path) -> Iterator[S3Server]:
    """Start `moto_server` on a free port of 127.0.0.1; stop it afterwards."""
    port = free_port()
    command = Path(sys.executable).with_name("moto_server")
    with (log_dir / "moto.log").open("wb") as log:
        process = subprocess.Popen(
            [str(command), "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while not port_open("127.0.0.1", port):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"moto_server did not start: {(log_dir / 'moto.log').read_text()}")
            time.sleep(0.1)
        yield S3Server(f"http://127.0.0.1:{port}")
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def fresh_bucket(server: S3Server) -> Iterator[str]:
    """A new bucket for one test, with every object in it deleted at the end."""
    client = server.client()
    name = f"postroom-test-{uuid.uuid4().hex[:16]}"
    client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    try:
        yield name
    finally:
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=name):
            for item in page.get("Contents", []):
                client.delete_object(Bucket=name, Key=item["Key"])
        client.delete_bucket(Bucket=name)


def bucket_keys(server: S3Server, bucket: str) -> dict[str, int]:
    """Every object in the bucket: key -> size."""
    found: dict[str, int] = {}
    for page in server.client().get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            found[item["Key"]] = item["Size"]
    return found


@contextmanager
def s3_environment(server: S3Server) -> Iterator[None]:
    """The process's environment points S3 clients at the server for the block."""
    before = {name: os.environ.get(name) for name in server.env}
    os.environ.update(server.env)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
