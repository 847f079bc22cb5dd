"""``care-contracts serve`` (the whole service) and ``tokens create | list | revoke``.

``serve`` starts the API, relay, projections and deadline watcher, the embedded nats-server
unless ``CARE_CONTRACTS_NATS_URL`` is set, and SQLite unless PostgreSQL is; it prints where the
API, its docs and NATS are and how to get a token, and stops cleanly on SIGTERM or Ctrl-C.
``--clock simulated --clock-start INSTANT`` runs on a simulated clock that officers and
operators move forward with ``POST /v1/clock``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Coroutine
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from care_contracts.services.api.tokens import TokenGrant, open_token_store
from care_contracts.services.cli_options import (
    DataDir,
    PostgresDsn,
    PostgresSchema,
    err,
    settings_from_options,
)
from care_contracts.services.logs import LogFormat, configure_logging
from care_contracts.services.runtime import ServiceRuntime, Started
from care_contracts.services.store.metadata import Role

__all__ = ["register_serve_commands"]

_out = Console(width=200)
tokens_app = typer.Typer(help="Bearer tokens for the HTTP API (only their hashes are stored).")


class ClockKind(StrEnum):
    SYSTEM = "system"
    SIMULATED = "simulated"


def register_serve_commands(app: typer.Typer) -> None:
    app.command("serve")(serve_command)
    app.add_typer(tokens_app, name="tokens")


def serve_command(
    *,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port (0: any free).")] = 8000,
    clock: Annotated[ClockKind, typer.Option(help="system, or simulated")] = ClockKind.SYSTEM,
    clock_start: Annotated[
        datetime | None,
        typer.Option(
            "--clock-start",
            formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d"],
            help="Start of the simulated clock, e.g. 2026-10-01T09:00:00+0200.",
        ),
    ] = None,
    nats_url: Annotated[
        str | None, typer.Option("--nats-url", help="External NATS (else embedded).")
    ] = None,
    log_format: Annotated[
        LogFormat, typer.Option("--log-format", help="json (default) or console, on stderr.")
    ] = "json",
    data_dir: DataDir = None,
    postgres_dsn: PostgresDsn = None,
    postgres_schema: PostgresSchema = None,
) -> None:
    """Run the service: API, relay, projections, deadline watcher (and NATS if none is given)."""
    configure_logging(log_format)
    settings = settings_from_options(
        nats_url=nats_url,
        data_dir=data_dir,
        postgres_dsn=postgres_dsn,
        postgres_schema=postgres_schema,
    )
    start = None
    if clock is ClockKind.SIMULATED:
        start = clock_start or datetime.now(UTC)
        if start.tzinfo is None:
            start = start.replace(tzinfo=UTC)
    elif clock_start is not None:
        raise typer.BadParameter("--clock-start needs --clock simulated")
    runtime = ServiceRuntime(settings, host=host, port=port, simulated_start=start)
    with contextlib.suppress(KeyboardInterrupt):
        _event_loop_run(runtime.run(on_started=_announce))


def _event_loop_run(main: Coroutine[Any, Any, None]) -> None:
    """uvloop where it is installed (faster HTTP and NATS I/O), else asyncio's own loop."""
    try:
        import uvloop  # noqa: PLC0415 - optional, not on every platform
    except ImportError:
        asyncio.run(main)
        return
    uvloop.run(main)


def _announce(started: Started) -> None:
    nats = f"{started.nats_url} ({'embedded' if started.embedded_nats else 'external'})"
    _out.print(
        f"[bold green]care-contracts is running[/bold green]\n"
        f"  API       {started.api_url}/v1\n"
        f"  docs      {started.docs_url}\n"
        f"  NATS      {nats}\n"
        f"  data      {started.data_dir}\n"
        f"  clock     {started.clock}\n"
        f"  token     care-contracts tokens create --role officer --insurer zorg-en-zekerheid"
        f" --data-dir {started.data_dir}\n"
        f"  stop      Ctrl-C or SIGTERM"
    )


@tokens_app.command("create")
def create_token(
    *,
    role: Annotated[Role, typer.Option(help="provider, officer, auditor or operator")],
    agb: Annotated[str | None, typer.Option(help="A provider's AGB enterprise code.")] = None,
    insurer: Annotated[str | None, typer.Option(help="An officer's insurer.")] = None,
    subject: Annotated[
        str | None, typer.Option(help="Who acts (default: the AGB code or '<role>')")
    ] = None,
    label: Annotated[str, typer.Option(help="A note: whose token, for what.")] = "",
    data_dir: DataDir = None,
    postgres_dsn: PostgresDsn = None,
    postgres_schema: PostgresSchema = None,
) -> None:
    """Create a token and print it (it is shown once; only its hash is kept)."""
    settings = settings_from_options(
        data_dir=data_dir, postgres_dsn=postgres_dsn, postgres_schema=postgres_schema
    )
    try:
        grant = TokenGrant(
            role=role,
            subject=subject or agb or str(role),
            agb=agb,
            insurer=insurer,
            label=label,
        )
    except ValidationError as error:
        messages = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in error.errors())
        err.print(f"[red]cannot create that token:[/red] {escape(messages)}")
        raise typer.Exit(2) from error
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = open_token_store(settings)
    try:
        issued = store.create(grant, datetime.now(UTC))
    finally:
        store.close()
    typer.echo(issued.token)
    err.print(f"token {issued.record.id} for {grant.role} {grant.subject}: keep it secret")


@tokens_app.command("list")
def list_tokens(
    *,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    data_dir: DataDir = None,
    postgres_dsn: PostgresDsn = None,
    postgres_schema: PostgresSchema = None,
) -> None:
    """Every token: id, role, scope, created, revoked (never the token itself)."""
    settings = settings_from_options(
        data_dir=data_dir, postgres_dsn=postgres_dsn, postgres_schema=postgres_schema
    )
    store = open_token_store(settings) if _exists(settings.data_dir) else None
    records = [] if store is None else store.list()
    if store is not None:
        store.close()
    if as_json:
        typer.echo(json.dumps([r.model_dump(mode="json") for r in records], indent=2))
        return
    table = Table("id", "role", "subject", "scope", "created", "revoked", "label")
    for r in records:
        scope = r.grant.agb or r.grant.insurer or ""
        revoked = "" if r.revoked_at is None else r.revoked_at.isoformat(timespec="seconds")
        table.add_row(
            r.id,
            str(r.grant.role),
            r.grant.subject,
            scope,
            r.created_at.isoformat(timespec="seconds"),
            revoked,
            r.grant.label,
        )
    _out.print(table)


@tokens_app.command("revoke")
def revoke_token(
    token_id: Annotated[str, typer.Argument(help="The id `tokens list` shows.")],
    *,
    data_dir: DataDir = None,
    postgres_dsn: PostgresDsn = None,
    postgres_schema: PostgresSchema = None,
) -> None:
    """Revoke a token at once; requests with it get 401 from then on."""
    settings = settings_from_options(
        data_dir=data_dir, postgres_dsn=postgres_dsn, postgres_schema=postgres_schema
    )
    store = open_token_store(settings)
    try:
        revoked = store.revoke(token_id, datetime.now(UTC))
    finally:
        store.close()
    if not revoked:
        err.print(f"[red]no live token {escape(token_id)}[/red]")
        raise typer.Exit(1)
    _out.print(f"revoked {token_id}")


def _exists(directory: Path) -> bool:
    return directory.exists()
