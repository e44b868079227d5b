"""The `postroom` command: run the server and workers, and administer accounts."""

from __future__ import annotations

import json
import logging
import signal
import threading
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console

from postroom.bootstrap import Container, build_container, ensure_demo_account
from postroom.config import Settings
from postroom.domain.errors import DomainError
from postroom.services import accounts

app = typer.Typer(help="Postroom: hybrid mail and delivery tracking.", no_args_is_help=True)
accounts_app = typer.Typer(help="Manage accounts.", no_args_is_help=True)
keys_app = typer.Typer(help="Manage API keys.", no_args_is_help=True)
shops_app = typer.Typer(help="Manage shops.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(accounts_app, name="accounts")
app.add_typer(keys_app, name="api-keys")
app.add_typer(shops_app, name="shops")
app.add_typer(db_app, name="db")

err = Console(stderr=True)
DataDirOption = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Data folder (default: POSTROOM_DATA_DIR or ./var)"),
]


def _container(data_dir: Path | None = None) -> Container:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        settings = Settings(data_dir=data_dir) if data_dir is not None else Settings()
    except ValidationError as exc:
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"]) or "settings"
            err.print(f"[red]invalid setting[/red] {where}: {error['msg']}")
        raise typer.Exit(code=2) from exc
    return build_container(settings)


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

    container = _container(data_dir)
    if container.settings.env == "development":
        key = ensure_demo_account(container)
        # Plain echo, not Rich: a wrapped key cannot be copied.
        typer.echo(f"Demo account API key: {key}", err=True)
        typer.echo(
            f"Try: curl -H 'Authorization: api-key {key}' http://{host}:{port}/v1/letters",
            err=True,
        )
    uvicorn.run(create_app(container, run_worker=not no_worker), host=host, port=port)


@app.command()
def worker(data_dir: DataDirOption = None) -> None:
    """Run the pipeline (stages, outbox relay, lot scheduler) until SIGTERM or Ctrl-C."""
    from postroom.worker.runtime import WorkerRuntime

    container = _container(data_dir)
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
    credit: Annotated[str, typer.Option(help="Prepaid credit, e.g. 1000.00")] = "0",
    sandbox: Annotated[bool, typer.Option("--sandbox", help="A sandbox account")] = False,
    data_dir: DataDirOption = None,
) -> None:
    """Create an account (and its first user); prints JSON with the account id."""
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
        )
    except DomainError as exc:
        raise _fail(exc) from exc
    out = {"id": account.id, "name": account.name, "sandbox": account.sandbox, "username": username}
    typer.echo(json.dumps(out))


@keys_app.command("create")
def api_keys_create(
    account: Annotated[str, typer.Argument(help="Account id or name")],
    name: Annotated[str, typer.Option(help="A label for the key")] = "cli",
    data_dir: DataDirOption = None,
) -> None:
    """Create an API key and print it (this is the only time it is shown)."""
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
    c = _container(data_dir)
    try:
        found = accounts.find_account(uow=c.uow(), ref=account)
        shop = accounts.create_shop(uow=c.uow(), clock=c.clock, account_id=found.id, name=name)
    except DomainError as exc:
        raise _fail(exc) from exc
    typer.echo(json.dumps({"id": shop.id, "account_id": shop.account_id, "name": shop.name}))


@db_app.command("upgrade")
def db_upgrade(data_dir: DataDirOption = None) -> None:
    """Bring the database schema up to date (serve and worker also do this on start)."""
    _container(data_dir)
    err.print("schema is up to date")


if __name__ == "__main__":
    app()
