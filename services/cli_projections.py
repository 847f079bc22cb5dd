"""``care-contracts projections status | rebuild NAME | run``: the read models, for operators.

- ``status``: each projection's generation, state, position, lag in events and seconds, and the
  error that stopped it (exit 1 when one has failed).
- ``rebuild NAME [--from-stream | --from-store]``: fill a new generation beside the live one with
  a progress bar and ETA, and swap it in when caught up; queries keep reading the live one.
- ``run``: keep every projection up to date until Ctrl-C / SIGTERM (the service runs the same
  runners itself).

They read the read store from ``--data-dir`` / ``--read-store-dsn`` / ``--postgres-dsn`` (or the
``CARE_CONTRACTS_*`` variables) and the stream from ``--nats-url`` / ``--stream``. Exit 2: bad
usage, an unknown projection, NATS or the stream unreachable, or no event store (``--from-store``).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated

import typer
from nats.js.errors import NotFoundError
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from care_contracts.projections.base import Projection
from care_contracts.projections.database import ReadDatabase, ReadStoreError, open_read_database
from care_contracts.projections.rebuild import Progress as RebuildProgress
from care_contracts.projections.rebuild import rebuild_from_store, rebuild_from_stream
from care_contracts.projections.registry import all_projections, projection_named
from care_contracts.projections.runner import ProjectionRunner
from care_contracts.projections.state import ProjectionState
from care_contracts.projections.status import ProjectionStatus, projection_statuses
from care_contracts.services.cli_nats import (
    NatsUnavailable,
    NatsUrl,
    StreamName,
    jetstream_at,
    run_nats,
    stream_settings,
)
from care_contracts.services.cli_options import (
    AsJson,
    DataDir,
    PostgresDsn,
    PostgresSchema,
    err,
    opened_store,
)
from care_contracts.services.settings import Settings
from care_contracts.services.store.application import ContractingStore

__all__ = ["register_projection_commands"]

_out = Console(width=200)
projections_app = typer.Typer(help="Read models: care finder, reporting, contract timeline.")

ReadStoreDsn = Annotated[
    str | None,
    typer.Option(
        "--read-store-dsn",
        help="PostgreSQL of the read models (CARE_CONTRACTS_READ_STORE_DSN; default: the"
        " event store's PostgreSQL, else SQLite in the data dir).",
    ),
]


def register_projection_commands(app: typer.Typer) -> None:
    app.add_typer(projections_app, name="projections")


@projections_app.command("status")
def status_command(
    *,
    as_json: AsJson = False,
    nats_url: NatsUrl = None,
    stream: StreamName = None,
    data_dir: DataDir = None,
    read_store_dsn: ReadStoreDsn = None,
    postgres_dsn: PostgresDsn = None,
    postgres_schema: PostgresSchema = None,
) -> None:
    """Each projection's position, lag (events, seconds), state and error."""
    settings, url = stream_settings(
        nats_url=nats_url,
        stream=stream,
        data_dir=data_dir,
        read_store_dsn=read_store_dsn,
        postgres_dsn=postgres_dsn,
        postgres_schema=postgres_schema,
    )
    with _read_store(settings) as db:
        found = run_nats(_statuses(url, settings.stream_name, db))
    if as_json:
        typer.echo(
            "[" + ",\n".join(s.model_dump_json(indent=2) for s in found) + "]",
        )
    else:
        _print_statuses(found)
    if any(s.status == "failed" for s in found):
        raise typer.Exit(1)


@projections_app.command("rebuild")
def rebuild_command(
    name: Annotated[str, typer.Argument(help="The projection, e.g. care_finder.")],
    *,
    from_store: Annotated[
        bool,
        typer.Option(
            "--from-store/--from-stream",
            help="Read the event store (then the stream's tail), or the whole stream (default).",
        ),
    ] = False,
    nats_url: NatsUrl = None,
    stream: StreamName = None,
    data_dir: DataDir = None,
    read_store_dsn: ReadStoreDsn = None,
    postgres_dsn: PostgresDsn = None,
    postgres_schema: PostgresSchema = None,
) -> None:
    """Build NAME anew beside the live model and swap it in when caught up."""
    try:
        projection = projection_named(name)
    except KeyError as error:
        err.print(f"[red]{escape(str(error.args[0]))}[/red]")
        raise typer.Exit(2) from error
    settings, url = stream_settings(
        nats_url=nats_url,
        stream=stream,
        data_dir=data_dir,
        read_store_dsn=read_store_dsn,
        postgres_dsn=postgres_dsn,
        postgres_schema=postgres_schema,
    )
    with _read_store(settings) as db, _progress() as progress:
        task = progress.add_task(f"rebuild {name}", total=None)

        def show(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        if from_store:
            with opened_store(settings) as store:
                state = run_nats(
                    _rebuild(url, settings, projection, db, show, store=store),
                )
        else:
            state = run_nats(_rebuild(url, settings, projection, db, show, store=None))
    _out.print(
        f"{name}: generation {state.generation} is live at stream sequence"
        f" {state.last_sequence} ({state.applied_events} events applied)"
    )


@projections_app.command("run")
def run_command(
    *,
    nats_url: NatsUrl = None,
    stream: StreamName = None,
    data_dir: DataDir = None,
    read_store_dsn: ReadStoreDsn = None,
    postgres_dsn: PostgresDsn = None,
    postgres_schema: PostgresSchema = None,
) -> None:
    """Keep every projection up to date with the stream until Ctrl-C or SIGTERM."""
    settings, url = stream_settings(
        nats_url=nats_url,
        stream=stream,
        data_dir=data_dir,
        read_store_dsn=read_store_dsn,
        postgres_dsn=postgres_dsn,
        postgres_schema=postgres_schema,
    )
    with _read_store(settings) as db:
        run_nats(_run_all(url, settings, db))


async def _statuses(url: str, stream: str, db: ReadDatabase) -> list[ProjectionStatus]:
    async with jetstream_at(url) as js:
        try:
            return await projection_statuses(
                list(all_projections().values()), db, js, stream, datetime.now(UTC)
            )
        except NotFoundError as error:
            raise NatsUnavailable(f"no stream {stream!r} at {url}") from error


async def _rebuild(
    url: str,
    settings: Settings,
    projection: Projection,
    db: ReadDatabase,
    show: RebuildProgress,
    *,
    store: ContractingStore | None,
) -> ProjectionState:
    async with jetstream_at(url) as js:
        try:
            await js.stream_info(settings.stream_name)
        except NotFoundError as error:
            raise NatsUnavailable(f"no stream {settings.stream_name!r} at {url}") from error
        if store is not None:
            return await rebuild_from_store(
                projection, db, store, js, settings.stream_name, progress=show
            )
        return await rebuild_from_stream(projection, db, js, settings.stream_name, progress=show)


async def _run_all(url: str, settings: Settings, db: ReadDatabase) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    runners = [ProjectionRunner(p, db, url, settings) for p in all_projections().values()]
    _out.print(f"running {', '.join(r.projection.name for r in runners)}; Ctrl-C stops")
    await asyncio.gather(*(runner.run_forever(stop) for runner in runners))


@contextlib.contextmanager
def _read_store(settings: Settings) -> Iterator[ReadDatabase]:
    try:
        db = open_read_database(settings)
    except ReadStoreError as error:
        err.print(f"[red]read store unavailable:[/red] {escape(str(error))}")
        raise typer.Exit(2) from error
    try:
        yield db
    except ReadStoreError as error:
        err.print(f"[red]read store failed:[/red] {escape(str(error))}")
        raise typer.Exit(2) from error
    finally:
        db.close()


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
    )


def _print_statuses(found: list[ProjectionStatus]) -> None:
    table = Table(
        "projection",
        "generation",
        "state",
        "sequence",
        "stream",
        "lag (events)",
        "lag (s)",
        "error",
    )
    for s in found:
        state = s.status
        if s.rebuilding_generation is not None:
            state += f" (rebuilding g{s.rebuilding_generation})"
        colour = {"failed": "red", "live": "green"}.get(s.status, "yellow")
        table.add_row(
            s.name,
            "-" if s.generation is None else str(s.generation),
            f"[{colour}]{escape(state)}[/{colour}]",
            str(s.last_sequence),
            str(s.stream_last_sequence),
            str(s.lag_events),
            f"{s.lag_seconds:.1f}",
            escape(s.error or ""),
        )
    _out.print(table)
