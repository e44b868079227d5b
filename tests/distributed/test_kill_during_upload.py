"""Issue 19, must-show 2: SIGKILL a worker ten times while it uploads a lot's print file to the
bucket (POSTROOM_OUTPUT_URL=s3://...), starting a new one after each kill. Throughout, a
watcher reads the bucket: no lot is ever visible (its ticket there) without every file as
the ticket hashed it, and no visible lot ever changes; at the end every letter is in exactly
one lot, published once. The store is moto's server on 127.0.0.1, reached by the workers
through a throttled proxy so that an upload lasts long enough to be cut short."""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from postroom.documents.lot_files import LOT_FILES, TICKET_FILE
from postroom.storage import tables
from tests.distributed.conftest import StackFactory
from tests.distributed.lots import wait_all_transferred
from tests.support.s3 import S3Server
from tests.support.throttle import throttled_proxy

pytestmark = [pytest.mark.distributed, pytest.mark.timeout(600)]

KILLS = 10
LETTERS_A_ROUND = 2  # sent before each worker starts: a new lot of two letters to upload
LOT_MAX_PIECES = 2
RATE = 2_500  # bytes a second towards the store: a lot's print file takes seconds
# A kill that lands after the upload it aimed at (a loaded machine can be that slow) does
# not count: another round is played, up to this many in all.
MAX_ROUNDS = 2 * KILLS
SEED = 20261207


class BucketWatch:
    """Reads the bucket's lots over and over; records every moment a visible lot (its ticket
    there) lacks a file as the ticket hashed it, and every ticket that changes once seen."""

    def __init__(self, s3: S3Server, bucket: str) -> None:
        self.client = s3.client()
        self.bucket = bucket
        self.problems: list[str] = []
        self.tickets: dict[str, str] = {}  # lot id -> the ticket first seen
        self.looks = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bucket-watch", daemon=True)

    def __enter__(self) -> BucketWatch:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(30)
        self.look()  # once more, at rest

    def _run(self) -> None:
        while not self._stop.is_set():
            self.look()
            time.sleep(0.05)

    def look(self) -> None:
        self.looks += 1
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix="lots/"
        )
        keys = {item["Key"] for page in pages for item in page.get("Contents", [])}
        for key in sorted(k for k in keys if k.endswith(f"/{TICKET_FILE}")):
            lot_id = key.split("/")[1]
            try:
                body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
            except self.client.exceptions.NoSuchKey:
                continue  # a ticket deleted since the listing: not visible any more
            ticket = json.loads(body)
            first = self.tickets.setdefault(lot_id, body.decode())
            if first != body.decode():
                self.problems.append(f"lot {lot_id}: its ticket changed once visible")
            for name, sha in ticket["files"].items():
                try:
                    head = self.client.head_object(Bucket=self.bucket, Key=f"lots/{lot_id}/{name}")
                except self.client.exceptions.ClientError:
                    self.problems.append(f"lot {lot_id}: ticket there, {name} missing")
                    continue
                if head["Metadata"].get("sha256") != sha:
                    self.problems.append(f"lot {lot_id}: ticket there, {name} not as hashed")


def test_a_worker_killed_while_uploading_never_leaves_a_partial_lot_in_the_bucket(
    rabbitmq_stack: StackFactory, s3: S3Server, s3_bucket: str
) -> None:
    rng = random.Random(SEED)
    store_port = urlsplit(s3.endpoint).port
    assert store_port is not None
    stack = rabbitmq_stack(
        storage_url=f"s3://{s3_bucket}/blobs",
        output_url=f"s3://{s3_bucket}/lots",
        lot_max_pieces=str(LOT_MAX_PIECES),
    )
    labels: dict[str, str] = {}
    kills_mid_upload = 0
    with throttled_proxy(store_port, RATE) as proxy_port, BucketWatch(s3, s3_bucket) as watch:
        slow_store = {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{proxy_port}"}
        round_ = 0
        while kills_mid_upload < KILLS and round_ < MAX_ROUNDS:
            round_ += 1
            for n in range(LETTERS_A_ROUND):
                label = f"Round {round_} letter {n}"
                labels[stack.send_letter(label, pages=3)] = label
            seen = len(stack.processes.lines_with("uploading print.pdf"))
            worker = stack.processes.worker(**slow_store)
            deadline = time.monotonic() + 120
            while len(stack.processes.lines_with("uploading print.pdf")) == seen:
                assert time.monotonic() < deadline, stack.processes.logs()
                assert worker.popen.poll() is None, worker.log()
                time.sleep(0.02)
            time.sleep(rng.uniform(0.05, 0.4))  # into the upload, which lasts seconds
            after_last = worker.log().rsplit("uploading print.pdf", 1)[1]
            kills_mid_upload += "published to" not in after_last.split("uploading", 1)[0]
            worker.kill()
        stack.processes.worker(**slow_store)
        wait_all_transferred(stack.container.engine, len(labels), timeout=240)

    assert kills_mid_upload == KILLS  # each kill cut an upload of a print file short
    assert watch.problems == []
    assert watch.looks > 50
    lots = tables.lots
    with stack.container.engine.connect() as conn:
        pieces = conn.execute(select(tables.mail_pieces.c.id, tables.mail_pieces.c.lot_id))
        lot_of = {row.id: row.lot_id for row in pieces}
        lot_ids = set(conn.execute(select(lots.c.id)).scalars())
    assert set(lot_of) == set(labels) and set(lot_of.values()) == lot_ids
    client = s3.client()
    listed: Counter[str] = Counter()
    for lot_id in lot_ids:
        manifest = json.loads(
            client.get_object(Bucket=s3_bucket, Key=f"lots/{lot_id}/manifest.json")["Body"].read()
        )
        listed.update(p["piece_id"] for p in manifest["pieces"])
        keys = client.list_objects_v2(Bucket=s3_bucket, Prefix=f"lots/{lot_id}/")["Contents"]
        assert sorted(k["Key"].rsplit("/", 1)[1] for k in keys) == sorted(LOT_FILES)
    assert listed == Counter(set(labels))  # every letter in exactly one published lot
    assert set(watch.tickets) == lot_ids  # and each lot's ticket never changed once seen
