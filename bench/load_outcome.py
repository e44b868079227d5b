"""The load bench's account of the letters it got a 201 for: each must reach exactly one lot.
Read from the database (which pieces exist, which have a lot) and from the lots as the print
room sees them: the output folder's manifests, or the bucket's lots (their ticket there)."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, select

from postroom.documents.lot_files import TEMP_PREFIX, TICKET_FILE
from postroom.storage import tables
from postroom.storage.database import make_engine

if TYPE_CHECKING:
    from bench.load import Deployment

POLL_SECONDS = 1.0


@dataclass(frozen=True)
class Outcome:
    """Where the accepted letters are once the wait ended."""

    accepted: int
    in_lots: int  # accepted letters found in a lot file
    late: int  # accepted letters in no lot file when the wait ended
    lost: int  # of those, the ones the database does not hold at all
    duplicated: int  # letters listed in more than one lot file (or twice in one)
    unacknowledged: int  # letters in lot files that no client got a 201 for
    lots: int
    waited_s: float

    def summary(self) -> str:
        """One line for the table."""
        return (
            f"accepted {self.accepted:,}, in a lot {self.in_lots:,} ({self.lots} lots, "
            f"{self.waited_s:.0f} s after the load), not in a lot when the wait ended "
            f"{self.late}, lost (not in the database) {self.lost}, duplicated "
            f"{self.duplicated}, in a lot without a 201: {self.unacknowledged}"
        )


def _manifests_on_disk(output_dir: Path) -> Iterable[dict[str, Any]]:
    for manifest in sorted(output_dir.glob("*/manifest.json")):
        if not manifest.parent.name.startswith(TEMP_PREFIX):
            yield json.loads(manifest.read_text())


class _BucketLots:
    """The bucket's published lots (ticket there), each manifest read once."""

    def __init__(self, bucket: str, env: dict[str, str]) -> None:
        import boto3

        self.bucket = bucket
        self.client = boto3.client(
            "s3",
            endpoint_url=env["AWS_ENDPOINT_URL"],
            region_name=env["AWS_DEFAULT_REGION"],
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        )
        self.seen: dict[str, dict[str, Any]] = {}

    def manifests(self) -> Iterable[dict[str, Any]]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix="lots/"
        )
        for page in pages:
            for item in page.get("Contents", []):
                key = item["Key"]
                lot = key.split("/")[1]
                if key.endswith(f"/{TICKET_FILE}") and lot not in self.seen:
                    body = self.client.get_object(
                        Bucket=self.bucket, Key=f"lots/{lot}/manifest.json"
                    )["Body"].read()
                    self.seen[lot] = json.loads(body)
        return list(self.seen.values())


def _in_database(engine: Engine, ids: set[str]) -> set[str]:
    t = tables.mail_pieces
    with engine.connect() as conn:
        return {row.id for row in conn.execute(select(t.c.id)) if row.id in ids}


def lot_outcome(
    deployment: Deployment, accepted: set[str], *, timeout: float, log: Callable[[str], None]
) -> Outcome:
    """Wait (at most `timeout` s) until every accepted letter is listed in a lot file, then
    count what was lost and what was duplicated."""
    bucket = _BucketLots(*deployment.bucket) if deployment.bucket else None
    output_dir = deployment.output_dir

    def listed() -> tuple[Counter[str], int]:
        manifests = list(bucket.manifests() if bucket else _manifests_on_disk(output_dir or Path()))
        ids = Counter(p["piece_id"] for m in manifests for p in m["pieces"])
        return ids, len(manifests)

    start = time.monotonic()
    deadline = start + timeout
    last_log = start
    while True:
        ids, lots = listed()
        missing = accepted - set(ids)
        if not missing or time.monotonic() > deadline:
            break
        if time.monotonic() - last_log > 15:
            log(f"{len(missing):,} of {len(accepted):,} accepted letters not in a lot yet")
            last_log = time.monotonic()
        time.sleep(POLL_SECONDS)
    engine = make_engine(deployment.database_url)
    try:
        stored = _in_database(engine, accepted)
    finally:
        engine.dispose()
    return Outcome(
        accepted=len(accepted),
        in_lots=len(accepted & set(ids)),
        late=len(missing),
        lost=len(accepted - stored),
        duplicated=sum(1 for n in ids.values() if n > 1),
        unacknowledged=len(set(ids) - accepted),
        lots=lots,
        waited_s=time.monotonic() - start,
    )
