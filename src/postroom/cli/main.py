"""The `postroom` command: run the server and workers, administer accounts, and run the
print room (lots, feedback)."""

from __future__ import annotations

import dataclasses
import json
import logging
import signal
import sys
import threading
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Column, Table

# Only what the commands' signatures need is imported here (`postroom --help` stays fast);
# each command imports the services it calls.
from postroom.domain.errors import DomainError
from postroom.domain.states import LotState

if TYPE_CHECKING:
    from postroom.bootstrap import Container

app = typer.Typer(help="Postroom: hybrid mail and delivery tracking.", no_args_is_help=True)
accounts_app = typer.Typer(help="Manage accounts.", no_args_is_help=True)
keys_app = typer.Typer(help="Manage API keys.", no_args_is_help=True)
shops_app = typer.Typer(help="Manage shops.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
lots_app = typer.Typer(help="Production lots (the print room).", no_args_is_help=True)
feedback_app = typer.Typer(help="Print-shop feedback.", no_args_is_help=True)
audit_app = typer.Typer(help="The evidence log.", no_args_is_help=True)
secrets_app = typer.Typer(
    help="Secrets sealed at rest (webhook signing secrets).", no_args_is_help=True
)
app.add_typer(accounts_app, name="accounts")
app.add_typer(keys_app, name="api-keys")
app.add_typer(shops_app, name="shops")
app.add_typer(db_app, name="db")
app.add_typer(lots_app, name="lots")
app.add_typer(feedback_app, name="feedback")
app.add_typer(audit_app, name="audit")
app.add_typer(secrets_app, name="secrets")
edi_app = typer.Typer(help="EDI invoicing set-up (Ekopost's EDI).", no_args_is_help=True)
invitations_app = typer.Typer(
    help="Invitations to EDI receivers, and the statuses the EDI operator reports.",
    no_args_is_help=True,
)
edi_app.add_typer(invitations_app, name="invitation")
app.add_typer(edi_app, name="edi")
peppol_app = typer.Typer(
    help="An account's Peppol participants (what Ekopost's Peppol lookup finds).",
    no_args_is_help=True,
)
app.add_typer(peppol_app, name="peppol")

err = Console(stderr=True)
DataDirOption = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Data folder (default: POSTROOM_DATA_DIR or ./var)"),
]


@app.callback()
def main(
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log what happens (schema upgrades, ...)")
    ] = False,
) -> None:
    """Postroom: hybrid mail and delivery tracking."""
    _options["verbose"] = verbose


_options = {"verbose": False}


def _container(data_dir: Path | None = None, *, server: bool = False) -> Container:
    """The container on the settings; a server (serve, worker) logs at INFO, any other
    command only warnings unless -v, and is built without the dialects' startup hooks
    (webhook shapes: only the API and the workers deliver webhooks)."""
    from pydantic import ValidationError

    from postroom.bootstrap import build_container
    from postroom.config import Settings, UnusableSetting

    logging.basicConfig(
        level=logging.INFO if server or _options["verbose"] else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not _options["verbose"]:
        # A server says which schema upgrades it ran, not how Alembic loads its plugins.
        logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    try:
        settings = Settings(data_dir=data_dir) if data_dir is not None else Settings()
    except ValidationError as exc:
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"]) or "settings"
            err.print(f"[red]invalid setting[/red] {where}: {error['msg']}")
        raise typer.Exit(code=2) from exc
    try:
        return build_container(settings, dialects=server)
    except UnusableSetting as exc:
        err.print(f"[red]invalid setting[/red] {exc}")
        raise typer.Exit(code=2) from exc


def _fail(exc: DomainError) -> typer.Exit:
    err.print(f"[red]error[/red] {exc.code}: {exc.message}")
    return typer.Exit(code=1)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    data_dir: DataDirOption = None,
    no_worker: Annotated[
        bool, typer.Option("--no-worker", help="API only; run `postroom worker` elsewhere")
    ] = False,
) -> None:
    """Serve the API (and, unless --no-worker, the pipeline) in this process."""
    import uvicorn

    from postroom.api.app import create_app
    from postroom.bootstrap import ensure_demo_account, ensure_demo_user

    container = _container(data_dir, server=True)
    if container.settings.env == "development":
        key = ensure_demo_account(container)
        # Plain echo, not Rich: a wrapped key cannot be copied.
        typer.echo(f"Demo account API key: {key}", err=True)
        typer.echo(
            f"Try: curl -H 'Authorization: api-key {key}' http://{host}:{port}/v1/letters",
            err=True,
        )
        if user := ensure_demo_user(container):
            typer.echo(
                f"Dashboard: http://{host}:{port}/ (sign in as {user[0]}, password {user[1]})",
                err=True,
            )
    uvicorn.run(create_app(container, run_worker=not no_worker), host=host, port=port)


@app.command()
def worker(data_dir: DataDirOption = None) -> None:
    """Run the pipeline (stages, outbox relay, lot scheduler) until SIGTERM or Ctrl-C."""
    from postroom.worker.runtime import WorkerRuntime

    container = _container(data_dir, server=True)
    runtime = WorkerRuntime(container)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    runtime.start()
    err.print("worker started")
    stop.wait()
    runtime.stop()
    container.close()


def _credit_minor(credit: str) -> int:
    """Kronor (major units, two decimals) as öre (minor units)."""
    try:
        value = Decimal(credit)
    except InvalidOperation as exc:
        raise typer.BadParameter(f"{credit!r} is not a number") from exc
    return int((value * 100).to_integral_value())


@accounts_app.command("create")
def accounts_create(
    name: str,
    username: Annotated[str | None, typer.Option(help="First user's login name")] = None,
    password: Annotated[str | None, typer.Option(help="First user's password")] = None,
    credit: Annotated[
        str,
        typer.Option(
            help="Prepaid credit in the account's currency's major unit (SEK, kronor), "
            "e.g. 1000.00 (kept as 100000 öre); a letter the credit cannot pay for is "
            "refused with credit_exceeded"
        ),
    ] = "0",
    sandbox: Annotated[bool, typer.Option("--sandbox", help="A sandbox account")] = False,
    operator: Annotated[
        bool, typer.Option("--operator", help="The print room's account: sees every lot")
    ] = False,
    return_address: Annotated[
        str, typer.Option(help="Return line printed above the recipient, e.g. 'Acme, Box 12'")
    ] = "",
    data_dir: DataDirOption = None,
) -> None:
    """Create an account (and its first user); prints JSON with the account id."""
    from postroom.services import accounts

    c = _container(data_dir)
    try:
        account = accounts.create_account(
            uow=c.uow(),
            clock=c.clock,
            name=name,
            sandbox=sandbox,
            credit_minor=_credit_minor(credit),
            username=username,
            password=password,
            operator=operator,
            return_address=return_address,
        )
    except DomainError as exc:
        raise _fail(exc) from exc
    out = {
        "id": account.id,
        "name": account.name,
        "sandbox": account.sandbox,
        "operator": account.operator,
        "username": username,
    }
    typer.echo(json.dumps(out))


@accounts_app.command("list")
def accounts_list(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object a line")] = False,
    data_dir: DataDirOption = None,
) -> None:
    """Show every account: id, name, kind and credit (in SEK, as --credit takes it)."""
    from postroom.services import accounts

    c = _container(data_dir)
    found = accounts.list_accounts(uow=c.uow())
    if as_json:
        for a in found:
            line = {
                "id": a.id,
                "name": a.name,
                "sandbox": a.sandbox,
                "operator": a.operator,
                "credit_minor": a.credit_minor,
                "created_at": a.created_at.isoformat(),
            }
            typer.echo(json.dumps(line))
        return
    table = Table("name", "kind", Column("credit (SEK)", justify="right"), "created")
    table.columns.insert(0, Column("account", no_wrap=True, min_width=36))
    for a in found:
        kind = "operator" if a.operator else "sandbox" if a.sandbox else "live"
        credit = f"{Decimal(a.credit_minor) / 100:.2f}"
        table.add_row(a.id, a.name, kind, credit, a.created_at.isoformat(timespec="seconds"))
    _print_table(table)


@keys_app.command("create")
def api_keys_create(
    account: Annotated[str, typer.Argument(help="Account id or name")],
    name: Annotated[str, typer.Option(help="A label for the key")] = "cli",
    data_dir: DataDirOption = None,
) -> None:
    """Create an API key and print it (this is the only time it is shown)."""
    from postroom.services import accounts

    c = _container(data_dir)
    try:
        found = accounts.find_account(uow=c.uow(), ref=account)
        _, secret = accounts.create_api_key(
            uow=c.uow(), clock=c.clock, account_id=found.id, name=name
        )
    except DomainError as exc:
        raise _fail(exc) from exc
    typer.echo(secret)


@shops_app.command("create")
def shops_create(
    account: Annotated[str, typer.Argument(help="Account id or name")],
    name: str,
    data_dir: DataDirOption = None,
) -> None:
    """Create a shop in an account; prints JSON with the shop id."""
    from postroom.services import accounts

    c = _container(data_dir)
    try:
        found = accounts.find_account(uow=c.uow(), ref=account)
        shop = accounts.create_shop(uow=c.uow(), clock=c.clock, account_id=found.id, name=name)
    except DomainError as exc:
        raise _fail(exc) from exc
    typer.echo(json.dumps({"id": shop.id, "account_id": shop.account_id, "name": shop.name}))


@shops_app.command("list")
def shops_list(
    account: Annotated[str, typer.Argument(help="Account id or name")],
    data_dir: DataDirOption = None,
) -> None:
    """Show an account's shops; prints one JSON object a line."""
    from postroom.services import accounts

    c = _container(data_dir)
    try:
        found = accounts.find_account(uow=c.uow(), ref=account)
        shops = accounts.list_shops(uow=c.uow(), account_id=found.id)
    except DomainError as exc:
        raise _fail(exc) from exc
    for shop in shops:
        typer.echo(json.dumps({"id": shop.id, "account_id": shop.account_id, "name": shop.name}))


@accounts_app.command("contract")
def accounts_contract(
    account: Annotated[str, typer.Argument(help="Account id or name")],
    add: Annotated[
        list[str] | None, typer.Option(help="A feature to add: reply_mail, edi (repeat)")
    ] = None,
    remove: Annotated[list[str] | None, typer.Option(help="A feature to remove (repeat)")] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Set what the account's contract includes beyond plain letters; prints JSON."""
    from postroom.services import accounts

    c = _container(data_dir)
    try:
        found = accounts.find_account(uow=c.uow(), ref=account)
        changed = accounts.change_contract(
            uow=c.uow(), account_id=found.id, add=add or [], remove=remove or []
        )
    except DomainError as exc:
        raise _fail(exc) from exc
    typer.echo(json.dumps({"id": changed.id, "features": changed.features}))


def _invitation_json(invitation: Any) -> str:
    return json.dumps(
        {
            "id": invitation.id,
            "account_id": invitation.account_id,
            "receiver_cin": invitation.receiver_cin,
            "receiver_gln": invitation.receiver_gln,
            "date_sent": invitation.date_sent.isoformat(),
            "status": int(invitation.status),
            "reported": None if invitation.reported is None else int(invitation.reported),
        }
    )


@invitations_app.command("create")
def edi_invitation_create(
    account: Annotated[str, typer.Argument(help="Account id or name")],
    receiver_cin: Annotated[str, typer.Option(help="The receiver's organisation number")] = "",
    receiver_gln: Annotated[str, typer.Option(help="The receiver's GLN")] = "",
    data_dir: DataDirOption = None,
) -> None:
    """Record an invitation sent to a receiver (status registered, 1001); prints JSON."""
    from postroom.services import accounts, edi

    c = _container(data_dir)
    try:
        found = accounts.find_account(uow=c.uow(), ref=account)
        invitation = edi.invite(
            uow=c.uow(),
            clock=c.clock,
            account_id=found.id,
            receiver_cin=receiver_cin,
            receiver_gln=receiver_gln,
        )
    except DomainError as exc:
        raise _fail(exc) from exc
    typer.echo(_invitation_json(invitation))


@invitations_app.command("set-status")
def edi_invitation_set_status(
    invitation_id: str,
    status: Annotated[str, typer.Argument(help="A status code (1005) or name (sent)")],
    data_dir: DataDirOption = None,
) -> None:
    """Report an invitation's status as the EDI operator gave it; the account's list shows
    it once updated (Ekopost's "Update and get a list"). Prints JSON."""
    from postroom.domain.edi import InvitationStatus
    from postroom.services import edi

    try:
        wanted = InvitationStatus.named(status)
    except (KeyError, ValueError):
        names = ", ".join(f"{s.name.lower()} ({int(s)})" for s in InvitationStatus)
        err.print(f"[red]error[/red] unknown status {status!r}; one of {names}")
        raise typer.Exit(code=2) from None
    c = _container(data_dir)
    try:
        invitation = edi.report_status(
            uow=c.uow(), clock=c.clock, invitation_id=invitation_id, status=wanted
        )
    except DomainError as exc:
        raise _fail(exc) from exc
    typer.echo(_invitation_json(invitation))


@invitations_app.command("list")
def edi_invitation_list(
    account: Annotated[str, typer.Argument(help="Account id or name")],
    data_dir: DataDirOption = None,
) -> None:
    """The account's invitations, newest first, one JSON line each."""
    from postroom.services import accounts, edi

    c = _container(data_dir)
    try:
        found = accounts.find_account(uow=c.uow(), ref=account)
        invitations = edi.list_invitations(uow=c.uow(), account_id=found.id)
    except DomainError as exc:
        raise _fail(exc) from exc
    for invitation in invitations:
        typer.echo(_invitation_json(invitation))


def _participant_json(found: Any) -> str:
    return json.dumps(
        {
            "identifier": found.identifier,
            "name": found.name,
            "country": found.country,
            "document_types": list(found.document_types),
        }
    )


@peppol_app.command("add")
def peppol_add(
    account: Annotated[str, typer.Argument(help="Account id or name")],
    identifier: Annotated[str, typer.Argument(help="Participant id, e.g. 0007:5568384118")],
    name: Annotated[str, typer.Option(help="The participant's name")],
    country: Annotated[str, typer.Option(help="ISO 3166-1 alpha-2 code, e.g. SE")],
    document_type: Annotated[
        list[str] | None, typer.Option("--document-type", help="A document type it receives")
    ] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Register (or replace) a Peppol participant of an account; prints it as JSON."""
    from postroom.services import accounts, peppol

    c = _container(data_dir)
    try:
        found = accounts.find_account(uow=c.uow(), ref=account)
        added = peppol.register(
            uow=c.uow(),
            clock=c.clock,
            account_id=found.id,
            identifier=identifier,
            name=name,
            country=country,
            document_types=document_type or [],
        )
    except DomainError as exc:
        raise _fail(exc) from exc
    typer.echo(_participant_json(added))


@peppol_app.command("list")
def peppol_list(
    account: Annotated[str, typer.Argument(help="Account id or name")],
    data_dir: DataDirOption = None,
) -> None:
    """Show an account's Peppol participants; prints one JSON object a line."""
    from postroom.services import accounts, peppol

    c = _container(data_dir)
    try:
        found = accounts.find_account(uow=c.uow(), ref=account)
        listed = peppol.listed(uow=c.uow(), account_id=found.id)
    except DomainError as exc:
        raise _fail(exc) from exc
    for participant in listed:
        typer.echo(_participant_json(participant))


@peppol_app.command("remove")
def peppol_remove(
    account: Annotated[str, typer.Argument(help="Account id or name")],
    identifier: Annotated[str, typer.Argument(help="Participant id, e.g. 0007:5568384118")],
    data_dir: DataDirOption = None,
) -> None:
    """Forget a Peppol participant of an account (exit 1 when it is not registered)."""
    from postroom.services import accounts, peppol

    c = _container(data_dir)
    try:
        found = accounts.find_account(uow=c.uow(), ref=account)
        removed = peppol.remove(uow=c.uow(), account_id=found.id, identifier=identifier)
    except DomainError as exc:
        raise _fail(exc) from exc
    if not removed:
        err.print(f"[red]error[/red] not_found: no participant {identifier}")
        raise typer.Exit(code=1)
    typer.echo(json.dumps({"removed": identifier}))


@shops_app.command("limit")
def shops_limit(
    account: Annotated[str, typer.Argument(help="Account id or name")],
    username: str,
    shop: Annotated[
        list[str] | None, typer.Option(help="A shop id the user may reach (repeat); none: all")
    ] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Limit a user to some shops of its account (no --shop: every shop); prints JSON."""
    from postroom.services import accounts

    c = _container(data_dir)
    try:
        found = accounts.find_account(uow=c.uow(), ref=account)
        shops = accounts.limit_user_to_shops(
            uow=c.uow(), account_id=found.id, username=username, shop_ids=shop or []
        )
    except DomainError as exc:
        raise _fail(exc) from exc
    typer.echo(json.dumps({"username": username, "shops": sorted(shops)}))


@lots_app.command("build")
def lots_build(
    now: Annotated[
        bool, typer.Option("--now", help="Take pieces due today without waiting for the cut-off")
    ] = False,
    data_dir: DataDirOption = None,
) -> None:
    """Allocate due pieces to lots and compose them here, with a progress bar."""
    from postroom.services import composition, production

    c = _container(data_dir)
    built = production.build_lots(
        uow_factory=c.uow,
        clock=c.clock,
        channels=c.channels,
        max_pieces=c.settings.lot_max_pieces,
        max_sheets=c.settings.lot_max_sheets,
        ignore_cut_off=now,
    )
    waiting = production.lots_waiting(uow=c.uow())
    with _progress() as progress:
        task = progress.add_task("composing lots", total=len(waiting))
        composition.compose_now(
            uow_factory=c.uow,
            blobs=c.blobs,
            clock=c.clock,
            channels=c.channels,
            lot_ids=waiting,
            on_lot=lambda _: progress.advance(task),
        )
    unchecked = production.pieces_waiting_for_check(uow=c.uow())
    if unchecked:
        err.print(
            f"{unchecked} pieces are still waiting for their check (state closed) and were not "
            "taken; a worker checks them, then run this again"
        )
    typer.echo(json.dumps({"built": built, "composed": waiting, "waiting_for_check": unchecked}))


@lots_app.command("list")
def lots_list(
    state: Annotated[LotState | None, typer.Option(help="Only lots in this state")] = None,
    limit: Annotated[int, typer.Option(help="Most lots to show")] = 50,
    data_dir: DataDirOption = None,
) -> None:
    """Show lots, newest first."""
    from postroom.services import production

    c = _container(data_dir)
    lots = production.list_lots(uow=c.uow(), account_id=None, state=state, limit=limit)
    table = Table("state", "pieces", "sheets", "channel", "created")
    # A lot id is what the operator copies into `lots show`: never cut it.
    table.columns.insert(0, Column("lot", no_wrap=True, min_width=36))
    for lot in lots:
        table.add_row(
            lot.id,
            lot.state.value,
            str(lot.piece_count),
            str(lot.sheet_count),
            lot.channel,
            lot.created_at.isoformat(timespec="seconds"),
        )
    _print_table(table)


@lots_app.command("show")
def lots_show(lot_id: str, data_dir: DataDirOption = None) -> None:
    """Print one lot as JSON, with its pieces by state and its files."""
    from postroom.services import production

    c = _container(data_dir)
    try:
        detail = production.get_lot(uow=c.uow(), account_id=None, lot_id=lot_id)
    except DomainError as exc:
        raise _fail(exc) from exc
    lot = detail.lot
    out = {
        "id": lot.id,
        "state": lot.state.value,
        "channel": lot.channel,
        "group_key": lot.group_key,
        "piece_count": lot.piece_count,
        "sheet_count": lot.sheet_count,
        "page_count": lot.page_count,
        "pdf_sha256": lot.pdf_sha256,
        "files": lot.files,
        "folder": str(c.settings.output_dir / lot.id),
        "pieces_by_state": detail.pieces_by_state,
        "created_at": lot.created_at.isoformat(),
        "printed_at": lot.printed_at.isoformat() if lot.printed_at else None,
        "posted_at": lot.posted_at.isoformat() if lot.posted_at else None,
        "deposit_proof_sha256": lot.deposit_proof_sha256,
    }
    typer.echo(json.dumps(out, indent=2))


@feedback_app.command("import")
def feedback_import(
    file: Annotated[Path, typer.Argument(help="CSV: piece_id,status,time,reason", exists=True)],
    data_dir: DataDirOption = None,
) -> None:
    """Apply a print shop's results; prints a summary, exits 1 when any row was refused."""
    from postroom.services import feedback

    c = _container(data_dir)
    try:
        with file.open(newline="", encoding="utf-8-sig") as stream:
            rows = feedback.read_csv(stream)
    except (DomainError, UnicodeDecodeError) as exc:
        if isinstance(exc, DomainError):
            raise _fail(exc) from exc
        err.print(f"[red]error[/red] invalid_feedback_file: {file} is not UTF-8 text")
        raise typer.Exit(code=1) from exc
    with _progress() as progress:
        task = progress.add_task("applying feedback", total=len(rows))
        report = feedback.apply_feedback(
            uow_factory=c.uow,
            blobs=c.blobs,
            clock=c.clock,
            channels=c.channels,
            rows=rows,
            on_progress=lambda n: progress.advance(task, n),
        )
    for result in report.results:
        if result.code is not None:
            err.print(f"line {result.line}: {result.piece_id}: {result.code}: {result.message}")
    summary = {
        "rows": len(report.results),
        "applied": report.applied,
        "refused": report.refused,
        "refused_by_code": report.refused_by_code(),
        "lots_printed": report.lots_printed,
        "lots_posted": report.lots_posted,
        "lots_failed": report.lots_failed,
    }
    typer.echo(json.dumps(summary))
    if report.refused:
        raise typer.Exit(code=1)


def _print_table(table: Table) -> None:
    # Piped output keeps full rows rather than Rich's 80-column default.
    Console(width=None if sys.stdout.isatty() else 160).print(table)


def _progress() -> Progress:
    """A progress bar on stderr (stdout stays JSON for scripts)."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
    )


@audit_app.command("verify")
def audit_verify(
    account: Annotated[
        str | None, typer.Option("--account", help="Only this account's chain (id or name)")
    ] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Check every evidence chain record by record; prints JSON per account and exits 1
    naming the first broken record of each broken chain."""
    from postroom.services import accounts, evidence

    c = _container(data_dir)
    account_id = None
    if account is not None:
        try:
            account_id = accounts.find_account(uow=c.uow(), ref=account).id
        except DomainError as exc:
            raise _fail(exc) from exc
    with _progress() as progress:
        task = progress.add_task("verifying", total=None)
        verdicts = evidence.verify(
            uow_factory=c.uow,
            account_id=account_id,
            on_progress=lambda n: progress.advance(task, n),
        )
    broken = 0
    for verdict in verdicts:
        line: dict[str, object] = {"account_id": verdict.account_id, "records": verdict.records}
        if verdict.broken is None:
            line["ok"] = True
        else:
            broken += 1
            line.update(ok=False, broken_at=verdict.broken.seq, reason=verdict.broken.reason)
            err.print(
                f"[red]broken[/red] account {verdict.account_id}: record {verdict.broken.seq}: "
                f"{verdict.broken.reason}"
            )
        typer.echo(json.dumps(line))
    if broken:
        raise typer.Exit(code=1)


@audit_app.command("retention")
def audit_retention(
    days: Annotated[int | None, typer.Option("--days", min=1, help="Default: the setting")] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Remove personal content older than N days: finished pieces' recipients, spent
    documents' bytes, evidence content, proof bytes (hashes stay verifiable)."""
    from postroom.services import retention

    c = _container(data_dir)
    keep = days or c.settings.retention_days
    if keep is None:
        err.print("[red]error[/red] no_retention: pass --days or set POSTROOM_RETENTION_DAYS")
        raise typer.Exit(code=2)
    with _progress() as progress:
        task = progress.add_task("redacting pieces and documents", total=None)
        result = retention.apply_retention(
            uow_factory=c.uow,
            blobs=c.blobs,
            clock=c.clock,
            days=keep,
            on_progress=lambda n: progress.advance(task, n),
        )
    typer.echo(json.dumps(dataclasses.asdict(result)))


NEW_KEY_VARIABLE = "POSTROOM_NEW_SECRET_KEY"


def _new_secret_key(key_file: Path | None, env: str) -> str | None:
    """The new key from --new-key-file (its first line) or POSTROOM_NEW_SECRET_KEY; None when
    neither is given. Never an argument: a command line is visible to every local user."""
    import os

    from_env = os.environ.get(NEW_KEY_VARIABLE)
    if key_file is not None and from_env:
        err.print(f"[red]error[/red] give the new key once: --new-key-file or {NEW_KEY_VARIABLE}")
        raise typer.Exit(code=2)
    if key_file is not None:
        lines = key_file.read_text(encoding="utf-8").splitlines()
        key = lines[0].strip() if lines else ""
    else:
        key = (from_env or "").strip()
        if from_env is None:
            return None
    if not key:
        err.print("[red]error[/red] the new secret key is empty")
        raise typer.Exit(code=2)
    if env != "development" and len(key) < 32:
        err.print(
            "[red]error[/red] the new secret key must be at least 32 characters in production"
        )
        raise typer.Exit(code=2)
    return key


@secrets_app.command("rotate")
def secrets_rotate(
    new_key_file: Annotated[
        Path | None,
        typer.Option(
            "--new-key-file",
            exists=True,
            dir_okay=False,
            help=f"File whose first line is the new key (or set {NEW_KEY_VARIABLE})",
        ),
    ] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Re-seal every stored secret with a new key, in one transaction; prints JSON counts.
    Then start every process with POSTROOM_SECRET_KEY set to the new key. Without a new key,
    re-seals under POSTROOM_SECRET_KEY what POSTROOM_PREVIOUS_SECRET_KEYS sealed."""
    from postroom.services import sealing

    c = _container(data_dir)
    new_key = _new_secret_key(new_key_file, c.settings.env)
    if new_key is None:
        err.print(
            f"no new key given (--new-key-file or {NEW_KEY_VARIABLE}): re-sealing under "
            "POSTROOM_SECRET_KEY"
        )
        new_key = c.settings.secret_key
    try:
        done = sealing.reseal_secrets(uow=c.uow(), new_key=new_key)
    except ValueError as exc:  # a secret that does not open: nothing was changed
        err.print(f"[red]error[/red] {exc}; no secret was changed")
        raise typer.Exit(code=1) from exc
    typer.echo(json.dumps(dataclasses.asdict(done)))


@db_app.command("upgrade")
def db_upgrade(data_dir: DataDirOption = None) -> None:
    """Bring the database schema up to date (serve and worker also do this on start)."""
    _container(data_dir)
    err.print("schema is up to date")


if __name__ == "__main__":
    app()
