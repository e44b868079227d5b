"""The email stage on a real SQLite database with a recording channel: checked without a
postal address, never put in a lot, sent once, failed or retried as the server answers."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from postroom.channels.base import Receipt, RetryableChannelError
from postroom.channels.email_smtp import EmailSmtpChannel, OutgoingEmail, SmtpRefused
from postroom.domain.catalog import Environment
from postroom.domain.errors import InvalidInput
from postroom.domain.model import MailPiece, PieceOptions
from postroom.domain.states import PieceState
from postroom.services import email, letters, pipeline
from postroom.services.email import SEND_EMAIL, EmailRequest, delivery_for, normalise_address
from postroom.storage import tables
from tests.support.pdfs import make_pdf
from tests.unit.services.world import World


@dataclass
class RecordingChannel(EmailSmtpChannel):
    """The email channel with its SMTP side replaced: records what it is given, or raises
    the errors it is told to, one per call."""

    sent: list[OutgoingEmail] = field(default_factory=list)
    errors: list[Exception] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(host="smtp.test", sender="Postroom <letters@postroom.test>")

    def send(self, email: OutgoingEmail) -> Receipt:
        if self.errors:
            raise self.errors.pop(0)
        self.sent.append(email)
        return Receipt(reference=email.message_id, facts={})

    def keep_in_sandbox(self, email: OutgoingEmail) -> Receipt:
        raise AssertionError("a live account's piece must not go to the sandbox")


def submit_email(world: World, pages: int = 1, to: str = "anna@example.se") -> MailPiece:
    world.clock.advance(timedelta(seconds=1))
    c = world.container
    return letters.submit_letter(
        uow=c.uow(),
        blobs=c.blobs,
        clock=world.clock,
        limits=c.limits,
        account_id=world.account_id,
        upload=io.BytesIO(make_pdf(pages)),
        filename="letter.pdf",
        recipient=None,
        options=PieceOptions(),
        service="email",
        email=EmailRequest(to=to, subject="Invoice"),
    )


def send(world: World, piece: MailPiece, channel: RecordingChannel) -> None:
    email.send_email(
        uow_factory=world.container.uow,
        blobs=world.container.blobs,
        clock=world.clock,
        channel=channel,
        piece_id=piece.id,
        message_id=world.message_id(SEND_EMAIL, piece_id=piece.id),
    )


def accepted_email(world: World, pages: int = 1) -> MailPiece:
    piece = submit_email(world, pages)
    world.check(piece)
    assert world.piece(piece.id).state is PieceState.ACCEPTED
    return piece


class TestAddresses:
    @pytest.mark.parametrize(
        ("given", "normal"),
        [
            ("anna@example.se", "anna@example.se"),
            ("  Anna.Svensson+faktura@Mail.Example.SE ", "Anna.Svensson+faktura@mail.example.se"),
            ("o'brien@example.ie", "o'brien@example.ie"),
            ("anna@bücher.de", "anna@xn--bcher-kva.de"),
        ],
    )
    def test_good_addresses_keep_their_local_part_and_lower_their_domain(
        self, given: str, normal: str
    ) -> None:
        assert normalise_address(given) == normal

    @pytest.mark.parametrize(
        "bad", ["", "anna", "anna@localhost", ".anna@example.se", "anna.@example.se", "a@b@c.se"]
    )
    def test_bad_addresses_say_what_is_wrong(self, bad: str) -> None:
        with pytest.raises(InvalidInput) as info:
            normalise_address(bad)
        assert info.value.code == "invalid_email_address"


class TestIntake:
    def test_the_services_subject_and_body_fill_what_is_not_given(self, world: World) -> None:
        with world.container.uow() as uow:
            service = uow.catalog.service_by_code(Environment.LIVE, "email", world.account_id)
            print_service = uow.catalog.service_by_code(
                Environment.LIVE, "letter_standard", world.account_id
            )
        assert service is not None and print_service is not None
        assert delivery_for(service, EmailRequest(to="anna@example.se", body="Hej")) == {
            "email": {"to": "anna@example.se", "subject": "A letter for you", "body": "Hej"}
        }
        assert delivery_for(print_service, None) == {}


class TestCheck:
    def test_an_email_piece_is_accepted_without_a_postal_address_or_a_window(
        self, world: World
    ) -> None:
        piece = accepted_email(world)
        checked = world.piece(piece.id)
        assert checked.recipient is None
        assert checked.eligible is True
        # Preflight's findings only: no address_missing, no window_has_no_text.
        assert [f["code"] for f in checked.findings] == ["font_not_embedded"]
        assert checked.price_minor == 0  # no email tariff yet: not charged
        assert world.message_id(SEND_EMAIL, piece_id=piece.id)

    def test_the_lot_builder_leaves_email_pieces_alone(self, world: World) -> None:
        piece = accepted_email(world)
        letter = world.submit()
        world.check(letter)
        lot_ids = world.build_lots()
        assert len(lot_ids) == 1
        assert world.piece(letter.id).lot_id == lot_ids[0]
        assert world.piece(piece.id).state is PieceState.ACCEPTED
        assert world.piece(piece.id).lot_id is None


class TestSend:
    def test_a_piece_is_sent_once_and_keeps_its_message_id(self, world: World) -> None:
        piece = accepted_email(world, pages=2)
        channel = RecordingChannel()
        send(world, piece, channel)
        sent = world.piece(piece.id)
        assert sent.state is PieceState.SENT
        (email_sent,) = channel.sent
        assert email_sent.message_id == sent.external_reference
        assert email_sent.to == "anna@example.se" and email_sent.subject == "Invoice"
        assert email_sent.filename == "letter.pdf"
        with world.container.uow() as uow:
            document = uow.pieces.document_by_id(piece.document_id)
        assert document is not None
        blob = world.container.blobs.path(document.blob_sha256).read_bytes()
        assert email_sent.attachment == blob

        version = world.version(piece.id)
        world.clock.advance(timedelta(minutes=1))
        send(world, piece, channel)
        assert len(channel.sent) == 1
        assert world.version(piece.id) == version
        stages = world.rows(tables.stage_runs, tables.stage_runs.c.subject_id == piece.id)
        assert [s.stage for s in stages] == ["check", "send_email"]

    def test_a_temporary_failure_raises_and_the_retry_sends_the_same_message_id(
        self, world: World
    ) -> None:
        piece = accepted_email(world)
        channel = RecordingChannel(errors=[RetryableChannelError("451 try later")])
        with pytest.raises(RetryableChannelError):
            send(world, piece, channel)
        waiting = world.piece(piece.id)
        assert waiting.state is PieceState.ACCEPTED
        assert waiting.external_reference is not None
        (row,) = world.rows(tables.outbox, tables.outbox.c.actor == SEND_EMAIL)
        assert row.done_at is None

        send(world, piece, channel)
        assert [e.message_id for e in channel.sent] == [waiting.external_reference]
        assert world.piece(piece.id).state is PieceState.SENT

    def test_a_permanent_refusal_fails_the_piece_with_the_code_and_reason(
        self, world: World
    ) -> None:
        piece = accepted_email(world)
        refusal = SmtpRefused("email_recipient_refused", "550 5.1.1 no such user", 550)
        send(world, piece, RecordingChannel(errors=[refusal]))
        failed = world.piece(piece.id)
        assert failed.state is PieceState.FAILED
        assert failed.failure_code == "email_recipient_refused"
        assert failed.failure_reason == "550 5.1.1 no such user"
        (row,) = world.rows(tables.outbox, tables.outbox.c.actor == SEND_EMAIL)
        assert row.done_at is not None

    def test_a_piece_cancelled_before_its_turn_is_not_sent(self, world: World) -> None:
        piece = accepted_email(world)
        letters.cancel_letter(
            uow=world.container.uow(),
            clock=world.clock,
            account_id=world.account_id,
            piece_id=piece.id,
        )
        channel = RecordingChannel()
        send(world, piece, channel)
        assert channel.sent == []
        assert world.piece(piece.id).state is PieceState.CANCELLED

    def test_an_unexpected_failure_fails_the_piece_instead_of_leaving_it_accepted(
        self, world: World
    ) -> None:
        piece = accepted_email(world)
        pipeline.abandon_stage(
            uow=world.container.uow(),
            clock=world.clock,
            actor=SEND_EMAIL,
            payload={"piece_id": piece.id},
            message_id=world.message_id(SEND_EMAIL, piece_id=piece.id),
            reason="KeyError: 'email'",
        )
        failed = world.piece(piece.id)
        assert failed.state is PieceState.FAILED
        assert failed.failure_code == "internal_error"
