"""The print channel publishing lots to a bucket (POSTROOM_OUTPUT_URL=s3://...): every file with
its sha256, the ticket last; a retry finishes what a crash cut short; a worker that did not
compose the lot (another machine, nothing in its folder) takes the complete lot the bucket
holds instead of composing it again. Against moto's server mode on 127.0.0.1."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from postroom.channels.base import RetryableChannelError, Submission
from postroom.channels.print_local import PrintLocalChannel
from postroom.documents.lot_files import LOT_FILES, TICKET_FILE, LotEntry
from postroom.storage.objects import BucketFolder, ObjectStoreError
from tests.support.pdfs import make_pdf
from tests.support.s3 import S3Server, bucket_keys

CREATED = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
LOT = "0f5c7a2e-lot-in-a-bucket"


def _entries(folder: Path, count: int = 2) -> list[LotEntry]:
    folder.mkdir(parents=True, exist_ok=True)
    entries = []
    for n in range(1, count + 1):
        path = folder / f"piece-{n}.pdf"
        path.write_bytes(make_pdf(n, label=f"Piece {n}"))
        entries.append(
            LotEntry(
                piece_id=f"piece-{n}",
                account_id="acc-1",
                source_path=path,
                own_pages=n,
                recipient={
                    "name_lines": [f"Recipient {n}"],
                    "street_lines": ["Storgatan 1"],
                    "postal_code": "111 22",
                    "city": "Stockholm",
                    "country": "SE",
                },
                options={"plex": "simplex", "color": False, "postage": "economy"},
            )
        )
    return entries


def _channel(bucket: str, output: Path) -> PrintLocalChannel:
    return PrintLocalChannel(output_dir=output, output_url=f"s3://{bucket}/print-room")


def _key(name: str) -> str:
    return f"print-room/{LOT}/{name}"


def _object(s3: S3Server, bucket: str, name: str) -> bytes:
    data: bytes = s3.client().get_object(Bucket=bucket, Key=_key(name))["Body"].read()
    return data


@pytest.fixture
def entries(tmp_path: Path) -> list[LotEntry]:
    return _entries(tmp_path / "sources")


def test_a_lot_lands_in_the_bucket_whole_with_its_ticket(
    s3: S3Server, s3_bucket: str, entries: list[LotEntry], tmp_path: Path
) -> None:
    receipt = _channel(s3_bucket, tmp_path / "out").submit(Submission(LOT, CREATED, entries))

    assert receipt.reference == f"s3://{s3_bucket}/print-room/{LOT}/"
    assert set(bucket_keys(s3, s3_bucket)) == {_key(name) for name in LOT_FILES}
    assert list((tmp_path / "out").iterdir()) == []  # published, so not kept on this disk
    content = {name: _object(s3, s3_bucket, name) for name in LOT_FILES}
    sha = {name: hashlib.sha256(data).hexdigest() for name, data in content.items()}
    assert receipt.facts["files"] == sha
    assert json.loads(content[TICKET_FILE])["files"] == {
        n: sha[n] for n in ("print.pdf", "manifest.csv", "manifest.json")
    }
    pdf = pdfium.PdfDocument(content["print.pdf"])
    assert receipt.facts["page_count"] == len(pdf) == 3  # 1 + 2 pages, simplex
    texts = [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
    assert [t.splitlines()[0] for t in texts] == ["Piece 1 page 1 of 1"] + [
        f"Piece 2 page {i} of 2" for i in (1, 2)
    ]
    assert _channel(s3_bucket, tmp_path / "out").poll(receipt.reference) == {"present": True}


def test_a_retry_finishes_a_lot_a_crash_left_without_its_ticket(
    s3: S3Server,
    s3_bucket: str,
    entries: list[LotEntry],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    channel = _channel(s3_bucket, tmp_path / "out")
    upload = BucketFolder.upload

    def cut_before_the_ticket(self: BucketFolder, path: Path, sha: str, *parts: str) -> None:
        if parts[-1] == TICKET_FILE:
            raise ObjectStoreError("the connection dropped")  # as a crash leaves it
        upload(self, path, sha, *parts)

    monkeypatch.setattr(BucketFolder, "upload", cut_before_the_ticket)
    with pytest.raises(RetryableChannelError):
        channel.submit(Submission(LOT, CREATED, entries))
    monkeypatch.undo()
    assert set(bucket_keys(s3, s3_bucket)) == {_key(n) for n in LOT_FILES if n != TICKET_FILE}
    folder = tmp_path / "out" / LOT
    composed = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}

    again = channel.submit(Submission(LOT, CREATED, entries))

    assert again.facts["files"] == composed  # the folder's complete copy, not composed anew
    assert set(bucket_keys(s3, s3_bucket)) == {_key(name) for name in LOT_FILES}
    assert (
        hashlib.sha256(_object(s3, s3_bucket, TICKET_FILE)).hexdigest() == (composed[TICKET_FILE])
    )
    assert not folder.exists()  # published whole: the local copy goes


def test_another_worker_takes_the_complete_lot_instead_of_composing_it_again(
    s3: S3Server, s3_bucket: str, entries: list[LotEntry], tmp_path: Path
) -> None:
    first = _channel(s3_bucket, tmp_path / "one").submit(Submission(LOT, CREATED, entries))

    other = _channel(s3_bucket, tmp_path / "two")
    again = other.submit(Submission(LOT, CREATED, entries))

    assert again.facts == first.facts and again.reference == first.reference
    assert not (tmp_path / "two").exists()  # nothing composed there


def test_a_bucket_lot_of_other_pieces_is_composed_again(
    s3: S3Server, s3_bucket: str, entries: list[LotEntry], tmp_path: Path
) -> None:
    _channel(s3_bucket, tmp_path / "one").submit(Submission(LOT, CREATED, entries[:1]))

    again = _channel(s3_bucket, tmp_path / "two").submit(Submission(LOT, CREATED, entries))

    manifest = json.loads(_object(s3, s3_bucket, "manifest.json"))
    assert [p["piece_id"] for p in manifest["pieces"]] == ["piece-1", "piece-2"]
    assert again.facts["page_count"] == 3


def test_a_lot_file_is_read_back_from_the_bucket_not_the_folder(
    s3: S3Server, s3_bucket: str, entries: list[LotEntry], tmp_path: Path
) -> None:
    """What the print room downloads (the dashboard's lot files): another machine's channel,
    with nothing in its folder, streams the bucket's object."""
    receipt = _channel(s3_bucket, tmp_path / "out").submit(Submission(LOT, CREATED, entries))
    elsewhere = _channel(s3_bucket, tmp_path / "elsewhere")
    chunks = elsewhere.lot_file(LOT, "print.pdf")
    assert chunks is not None
    data = b"".join(chunks)
    assert data == _object(s3, s3_bucket, "print.pdf")
    assert hashlib.sha256(data).hexdigest() == receipt.facts["files"]["print.pdf"]
    assert elsewhere.lot_file(LOT, "nothing.pdf") is None
    assert not (tmp_path / "elsewhere" / LOT).exists()


def test_a_deposit_proof_is_kept_beside_its_lot_in_the_bucket(
    s3: S3Server, s3_bucket: str, entries: list[LotEntry], tmp_path: Path
) -> None:
    """The process that issues a lot's deposit proof may not be the one that composed it:
    the proof lands beside the lot's objects, not in the issuing process's folder."""
    _channel(s3_bucket, tmp_path / "composer").submit(Submission(LOT, CREATED, entries))
    proof = make_pdf(1, label="Deposit proof")
    _channel(s3_bucket, tmp_path / "issuer").keep_beside_lot(LOT, "deposit-proof.pdf", proof)

    assert _object(s3, s3_bucket, "deposit-proof.pdf") == proof
    head = s3.client().head_object(Bucket=s3_bucket, Key=_key("deposit-proof.pdf"))
    assert head["Metadata"]["sha256"] == hashlib.sha256(proof).hexdigest()
    assert not (tmp_path / "issuer" / LOT).exists()
    chunks = _channel(s3_bucket, tmp_path / "reader").lot_file(LOT, "deposit-proof.pdf")
    assert chunks is not None and b"".join(chunks) == proof
