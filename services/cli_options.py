"""Options and helpers the store-reading commands share (audit and stream commands).

Options given on the command line beat ``CARE_CONTRACTS_*`` variables; invalid settings and a
missing or unreadable store exit 2 with a message, never a traceback, and create nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from care_contracts.services.audit.errors import EventStoreUnavailable
from care_contracts.services.audit.opening import open_existing_store
from care_contracts.services.settings import Settings
from care_contracts.services.store.application import ContractingStore

__all__ = [
    "AsJson",
    "DataDir",
    "PostgresDsn",
    "PostgresSchema",
    "err",
    "opened_store",
    "settings_from_options",
    "write_or_print",
]

err = Console(stderr=True, soft_wrap=True)  # messages name paths: never wrap them

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Folder of events.sqlite (default: CARE_CONTRACTS_DATA_DIR)."),
]
PostgresDsn = Annotated[
    str | None,
    typer.Option("--postgres-dsn", help="Read PostgreSQL instead (CARE_CONTRACTS_POSTGRES_DSN)."),
]
PostgresSchema = Annotated[
    str | None,
    typer.Option("--postgres-schema", help="Schema of the store (CARE_CONTRACTS_POSTGRES_SCHEMA)."),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]


def settings_from_options(**given: Any) -> Settings:
    """Settings from the environment, overridden by the options that were given."""
    try:
        return Settings(**{k: v for k, v in given.items() if v is not None})
    except ValidationError as error:
        err.print(f"[red]invalid settings:[/red] {escape(str(error))}")
        raise typer.Exit(2) from error


@contextmanager
def opened_store(settings: Settings) -> Iterator[ContractingStore]:
    """The existing store the settings point at (exit 2 if there is none), closed afterwards."""
    try:
        store = open_existing_store(settings)
    except EventStoreUnavailable as error:
        err.print(f"[red]{escape(str(error))}[/red]")
        raise typer.Exit(2) from error
    try:
        yield store
    finally:
        store.close()


def write_or_print(text: str, output: Path | None) -> None:
    """A document to stdout, or written to ``output`` (folders created) with a note on stderr."""
    if output is None:
        typer.echo(text, nl=False)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {output}", err=True)
