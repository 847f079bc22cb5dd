"""The auditors' commands: ``history``, ``verify`` and ``export``.

They read the store the settings point at (``CARE_CONTRACTS_*`` variables, overridden by
``--data-dir`` / ``--postgres-dsn`` / ``--postgres-schema``) and never create one. People get rich
tables; ``--json`` (history, verify) and ``export`` give machines JSON. Exit codes: 0 ok; 1 verify
found damage, or no such aggregate, version or instant; 2 bad usage, or no readable store there.
"""

from __future__ import annotations

import json
import sys
from contextlib import suppress
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import typer
from rich.console import Console
from rich.json import JSON
from rich.markup import escape
from rich.table import Table

from care_contracts.domain.errors import DomainError
from care_contracts.services.audit.export import write_export
from care_contracts.services.audit.history import (
    HistoryEntry,
    aggregate_state,
    history,
    state_as_of,
)
from care_contracts.services.audit.verify import VerifyReport, verify
from care_contracts.services.cli_options import (
    AsJson,
    DataDir,
    PostgresDsn,
    PostgresSchema,
    err,
    opened_store,
    settings_from_options,
)
from care_contracts.services.store.application import ContractingStore

__all__ = ["register_audit_commands"]

_out = Console(width=200)


def register_audit_commands(app: typer.Typer) -> None:
    app.command("history")(history_command)
    app.command("verify")(verify_command)
    app.command("export")(export_command)


def history_command(
    aggregate_id: Annotated[str, typer.Argument(help="The aggregate's id (a UUID).")],
    *,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Stop at an instant, e.g. 2026-11-11T10:00:00+01:00."),
    ] = None,
    version: Annotated[
        int | None, typer.Option("--version", min=1, help="Stop at a version.")
    ] = None,
    as_json: AsJson = False,
    data_dir: DataDir = None,
    postgres_dsn: PostgresDsn = None,
    postgres_schema: PostgresSchema = None,
) -> None:
    """One aggregate's events (position, time, command, actor) and its state, now or as of then."""
    if as_of is not None and version is not None:
        raise typer.BadParameter("give --as-of or --version, not both")
    at = _instant(as_of) if as_of is not None else None
    identity = _uuid(aggregate_id, "AGGREGATE_ID")
    with opened_store(
        settings_from_options(
            data_dir=data_dir, postgres_dsn=postgres_dsn, postgres_schema=postgres_schema
        )
    ) as store:
        try:
            entries = history(store, identity)
            state = aggregate_state(state_as_of(store, identity, version=version, at=at))
        except DomainError as error:
            err.print(f"[red]{escape(error.detail)}[/red]")
            raise typer.Exit(1) from error
    shown = [e for e in entries if e.version <= state["version"]]
    if as_json:
        document = {
            "aggregate_id": str(identity),
            "as_of": {"version": version, "at": at.isoformat() if at else None},
            "events": [e.model_dump(mode="json") for e in shown],
            "state": state,
        }
        typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
        return
    _print_history(state, shown, len(entries))


def verify_command(
    *,
    as_json: AsJson = False,
    data_dir: DataDir = None,
    postgres_dsn: PostgresDsn = None,
    postgres_schema: PostgresSchema = None,
) -> None:
    """Check every event against the hash chain; exit 1 listing each finding."""
    with opened_store(
        settings_from_options(
            data_dir=data_dir, postgres_dsn=postgres_dsn, postgres_schema=postgres_schema
        )
    ) as store:
        report = verify(store)
    if as_json:
        typer.echo(json.dumps({"ok": report.ok, **report.model_dump(mode="json")}, indent=2))
    else:
        _print_report(report)
    if not report.ok:
        raise typer.Exit(1)


def export_command(
    *,
    aggregate: Annotated[
        str | None, typer.Option("--aggregate", help="Only this aggregate's events (a UUID).")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file (default: stdout).")
    ] = None,
    data_dir: DataDir = None,
    postgres_dsn: PostgresDsn = None,
    postgres_schema: PostgresSchema = None,
) -> None:
    """Every event as JSON Lines in position order, with metadata, data and chain hashes."""
    identity = _uuid(aggregate, "--aggregate") if aggregate is not None else None
    with opened_store(
        settings_from_options(
            data_dir=data_dir, postgres_dsn=postgres_dsn, postgres_schema=postgres_schema
        )
    ) as store:
        try:
            if output is None:
                write_export(store, sys.stdout, aggregate_id=identity)
                return
            count = _export_to_file(store, output, identity)
        except DomainError as error:
            err.print(f"[red]{escape(error.detail)}[/red]")
            raise typer.Exit(1) from error
    err.print(f"exported {count} events to {escape(str(output))}")


def _export_to_file(store: ContractingStore, output: Path, identity: UUID | None) -> int:
    """Written beside the target and renamed when complete: a failed export leaves no file."""
    partial = output.with_name(output.name + ".partial")
    try:
        with partial.open("w", encoding="utf-8") as out:
            count = write_export(store, out, aggregate_id=identity)
        partial.replace(output)
    finally:
        with suppress(FileNotFoundError):
            partial.unlink()
    return count


def _uuid(value: str, name: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise typer.BadParameter(f"{name} must be a UUID, not {value!r}") from None


def _instant(value: str) -> datetime:
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"--as-of must be an ISO 8601 instant, not {value!r}") from None
    if at.tzinfo is None or at.utcoffset() is None:
        raise typer.BadParameter("--as-of needs a time zone offset, e.g. 2026-11-11T10:00:00+01:00")
    return at


def _print_history(state: dict[str, Any], shown: list[HistoryEntry], total: int) -> None:
    as_of = "" if len(shown) == total else f" (as of version {state['version']} of {total})"
    _out.print(f"[bold]{state['type']} {state['id']}[/bold]{as_of}")
    table = Table("pos", "v", "decided at", "event", "command", "actor", "correlation id")
    for entry in shown:
        actor = entry.actor
        who = f"{actor.role.value}:{actor.subject}" + (
            f" ({actor.insurer})" if actor.insurer else ""
        )
        table.add_row(
            "-" if entry.position is None else str(entry.position),
            str(entry.version),
            entry.timestamp.isoformat(),
            entry.topic.removeprefix("contracting."),
            entry.command,
            who,
            entry.correlation_id,
        )
    _out.print(table)
    _out.print(f"[bold]state at version {state['version']}[/bold]")
    _out.print(JSON.from_data(state["state"]))


def _print_report(report: VerifyReport) -> None:
    if report.ok:
        head = (
            f"head at position {report.head_position}, hash {report.head_hash}"
            if report.head_position is not None
            else "the log is empty"
        )
        _out.print(
            f"[green]verified: {report.events} events of {report.aggregates} aggregates,"
            f" chain intact[/green]; {head}"
        )
        return
    table = Table("position", "kind", "aggregate", "version", "detail")
    for finding in report.findings:
        table.add_row(
            str(finding.position),
            finding.kind.value,
            str(finding.aggregate_id or "-"),
            "-" if finding.version is None else str(finding.version),
            finding.detail,
        )
    _out.print(table)
    _out.print(
        f"[red]{len(report.findings)} finding{'s' if len(report.findings) > 1 else ''}[/red]"
        f" in {report.events} events and"
        f" {report.chain_rows} chain rows"
    )
