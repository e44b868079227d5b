"""A letter's road with POSTROOM_STORAGE_URL and POSTROOM_OUTPUT_URL on a bucket: its document
is an object, the lot is composed from it and published beside it, ticket last, and a process
on another data folder (nothing cached, as on another machine) previews it from the bucket.
The server is a real one speaking S3 on 127.0.0.1 (moto's server mode)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from fastapi.testclient import TestClient

from postroom.api.app import create_app
from postroom.bootstrap import build_container
from postroom.config import Settings, UnusableSetting
from postroom.documents.lot_files import LOT_FILES
from tests.conftest import Backend, Tenant, clean_container, letter_form, wait_for
from tests.support.pdfs import make_pdf
from tests.support.s3 import S3Server, bucket_keys

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def on_bucket(
    s3: S3Server, s3_bucket: str, backend: Backend, make_settings: Callable[..., Settings]
) -> Iterator[tuple[Settings, TestClient]]:
    """The app with its blobs in the bucket (and, on the distributed backend, the worker
    process on the same bucket), its client and settings."""
    settings = make_settings(
        storage_url=f"s3://{s3_bucket}/blobs", output_url=f"s3://{s3_bucket}/lots"
    )
    with ExitStack() as stack:
        if backend.workers is not None:
            stack.enter_context(
                backend.workers.settings(
                    s3.env, storage_url=settings.storage_url, output_url=settings.output_url
                )
            )
        container = clean_container(settings)
        stack.callback(container.close)
        app = create_app(container, run_worker=not backend.distributed)
        client = stack.enter_context(TestClient(app))
        yield settings, client


def test_a_letter_goes_to_print_from_the_bucket_and_another_process_previews_it(
    on_bucket: tuple[Settings, TestClient],
    make_settings: Callable[..., Settings],
    make_tenant: Callable[[str], Tenant],
    s3: S3Server,
    s3_bucket: str,
    tmp_path: Path,
) -> None:
    settings, client = on_bucket
    tenant = make_tenant("Bucket AB")
    pdf = make_pdf(2, label="Bucket letter")

    sent = client.post("/v1/letters", headers=tenant.headers, **letter_form(pdf))

    assert sent.status_code == 201, sent.text
    letter = sent.json()
    document = client.get(f"/v1/documents/{letter['document_id']}", headers=tenant.headers)
    sha = document.json()["sha256"]
    assert bucket_keys(s3, s3_bucket)[f"blobs/{sha[:2]}/{sha[2:4]}/{sha}"] == len(pdf)
    assert not (settings.data_dir / "blobs").exists()  # nothing in the folder store

    def transferred() -> dict[str, object] | None:
        body = client.get(f"/v1/letters/{letter['id']}", headers=tenant.headers).json()
        return body if body["state"] == "transferred" else None

    done = wait_for(transferred, timeout=60)
    lot_id = str(done["lot_id"])
    published = {k for k in bucket_keys(s3, s3_bucket) if k.startswith("lots/")}
    assert published == {f"lots/{lot_id}/{name}" for name in LOT_FILES}
    files = {name: _object(s3, s3_bucket, f"lots/{lot_id}/{name}") for name in LOT_FILES}
    ticket = json.loads(files["ticket.json"])
    assert ticket["files"] == {
        name: hashlib.sha256(files[name]).hexdigest()
        for name in ("print.pdf", "manifest.csv", "manifest.json")
    }
    manifest = json.loads(files["manifest.json"])
    assert [p["piece_id"] for p in manifest["pieces"]] == [letter["id"]]
    lot = pdfium.PdfDocument(files["print.pdf"])
    texts = [lot[i].get_textpage().get_text_range() for i in range(len(lot))]
    assert [t.splitlines()[0] for t in texts] == [
        "Bucket letter page 1 of 2",
        "Bucket letter page 2 of 2",
    ]

    elsewhere = make_settings(
        data_dir=tmp_path / "another-machine",
        database_url=settings.resolved_database_url,
        storage_url=settings.storage_url,
    )
    other = build_container(elsewhere)
    try:
        with TestClient(create_app(other, run_worker=False)) as other_client:
            page = other_client.get(
                f"/v1/letters/{letter['id']}/pages/2.png", headers=tenant.headers
            )
    finally:
        other.close()
    assert page.status_code == 200, page.text
    assert page.content.startswith(b"\x89PNG")
    cached = elsewhere.blob_cache_dir / sha[:2] / sha[2:4] / sha
    assert cached.read_bytes() == pdf  # read from the bucket into its own cache


@pytest.mark.parametrize("setting", ["storage_url", "output_url"])
def test_a_bucket_that_cannot_be_written_stops_the_start(
    setting: str, s3_bucket: str, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(**{setting: "s3://no-such-bucket/files"})
    with pytest.raises(UnusableSetting, match=rf"POSTROOM_{setting.upper()}: .*no-such-bucket"):
        build_container(settings)


def _object(s3: S3Server, bucket: str, key: str) -> bytes:
    data: bytes = s3.client().get_object(Bucket=bucket, Key=key)["Body"].read()
    return data
