"""catalog.find_service: a service by id or code, as an account may use it (one query)."""

from __future__ import annotations

import io

import pytest

from postroom.domain.catalog import Environment
from postroom.domain.errors import ErrorCode, InvalidInput
from postroom.domain.model import PieceOptions
from postroom.services import accounts, catalog, letters
from tests.support.pdfs import make_pdf
from tests.unit.services.world import RECIPIENT, World

CODE = "letter_standard"


def _find(world: World, account_id: str, ref: str) -> tuple[str, str, str | None]:
    """(id, environment, owner) of the service `ref` names for the account."""
    with world.container.uow() as uow:
        account = uow.accounts.get(account_id)
        assert account is not None
        found = catalog.find_service(uow, account, ref)
        return found.id, str(found.environment), found.account_id


def _shared(world: World, environment: Environment, code: str = CODE) -> str:
    with world.container.uow() as uow:
        found = uow.catalog.service_by_code(environment, code, "")
        assert found is not None
        return found.id


def test_a_code_names_the_shared_service_of_the_account_s_environment(world: World) -> None:
    assert _find(world, world.account_id, CODE) == (
        _shared(world, Environment.LIVE),
        str(Environment.LIVE),
        None,
    )


def test_an_id_names_that_service(world: World) -> None:
    service_id = _shared(world, Environment.LIVE, "letter_immediate")
    assert _find(world, world.account_id, service_id)[0] == service_id


def test_the_account_s_own_service_is_found_by_its_code_and_its_id(world: World) -> None:
    own = catalog.add_account_service(
        uow=world.container.uow(),
        clock=world.clock,
        account_id=world.account_id,
        like=CODE,
        code="letter_house",
        name="House letter",
    )
    assert _find(world, world.account_id, "letter_house") == (
        own.id,
        str(Environment.LIVE),
        world.account_id,
    )
    assert _find(world, world.account_id, own.id)[0] == own.id


def test_another_account_s_service_and_another_environment_s_are_unknown(
    world: World,
) -> None:
    c = world.container
    other = accounts.create_account(uow=c.uow(), clock=world.clock, name="other")
    theirs = catalog.add_account_service(
        uow=c.uow(), clock=world.clock, account_id=other.id, like=CODE, code="theirs", name="T"
    )
    sandbox_id = _shared(world, Environment.SANDBOX)
    for ref in (theirs.id, "theirs", sandbox_id, "no_such_service"):
        with pytest.raises(InvalidInput) as refused:
            _find(world, world.account_id, ref)
        assert refused.value.code == ErrorCode.UNKNOWN_SERVICE
        assert refused.value.detail == {"service": ref, "environment": str(Environment.LIVE)}


def test_an_unknown_service_is_named_before_a_file_that_is_not_a_pdf(world: World) -> None:
    """submit_letter looks at the PDF before its transaction; the service's error still comes
    first, as it did when the PDF was looked at after it."""
    c = world.container
    kwargs = dict(
        uow=c.uow(),
        blobs=c.blobs,
        clock=world.clock,
        limits=c.limits,
        account_id=world.account_id,
        filename="letter.txt",
        recipient=RECIPIENT,
        options=PieceOptions(),
    )
    with pytest.raises(InvalidInput) as refused:
        letters.submit_letter(upload=io.BytesIO(b"not a pdf"), service="nope", **kwargs)
    assert refused.value.code == ErrorCode.UNKNOWN_SERVICE
    with pytest.raises(InvalidInput) as refused:
        letters.submit_letter(upload=io.BytesIO(b"not a pdf"), service=CODE, **kwargs)
    assert refused.value.code == "not_a_pdf"
    piece = letters.submit_letter(upload=io.BytesIO(make_pdf(2)), service=CODE, **kwargs)
    assert (piece.page_count, piece.service_id) == (2, _shared(world, Environment.LIVE))
