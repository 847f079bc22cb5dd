"""The stream commands: ``stream verify [--repair]`` and ``tail``.

``stream verify`` compares the store (the auditors' store options, never created) with the
JetStream stream: every stored event present exactly once by id; ``--repair`` republishes what is
missing in position order under each event's own ``Nats-Msg-Id``. ``tail`` prints the stream's
events as they arrive (from now by default), through an ordered consumer on a subject filter.
Both read ``--nats-url`` / ``CARE_CONTRACTS_NATS_URL`` and ``--stream`` /
``CARE_CONTRACTS_STREAM_NAME``. Exit codes: 0 ok; 1 verify found events missing or duplicated
(and not repaired); 2 bad usage, no readable store, NATS unreachable or no such stream.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from nats.errors import Error as NatsError
from nats.js.api import ConsumerConfig, DeliverPolicy
from nats.js.errors import APIError, NotFoundError
from rich.console import Console
from rich.table import Table

from care_contracts.services.cli_nats import (
    NatsUnavailable,
    NatsUrl,
    StreamName,
    jetstream_at,
    nats_url_of,
    run_nats,
    stream_settings,
)
from care_contracts.services.cli_options import (
    AsJson,
    DataDir,
    PostgresDsn,
    PostgresSchema,
    opened_store,
    settings_from_options,
)
from care_contracts.services.nats.streams import SUBJECTS
from care_contracts.services.relay.stream_check import (
    StreamCheckReport,
    check_stream,
)

__all__ = ["register_stream_commands"]

_out = Console(width=200)

stream_app = typer.Typer(help="The JetStream stream the events are published to.")


def register_stream_commands(app: typer.Typer) -> None:
    app.add_typer(stream_app, name="stream")
    app.command("tail")(tail_command)


@stream_app.command("verify")
def verify_stream_command(
    *,
    fix: Annotated[
        bool, typer.Option("--repair", help="Republish missing events, in position order.")
    ] = False,
    as_json: AsJson = False,
    nats_url: NatsUrl = None,
    stream: StreamName = None,
    data_dir: DataDir = None,
    postgres_dsn: PostgresDsn = None,
    postgres_schema: PostgresSchema = None,
) -> None:
    """Every stored event in the stream exactly once, by id; exit 1 naming what is not."""
    settings, url = stream_settings(
        nats_url=nats_url,
        stream=stream,
        data_dir=data_dir,
        postgres_dsn=postgres_dsn,
        postgres_schema=postgres_schema,
    )
    with opened_store(settings) as store:
        report = run_nats(_verify(url, settings.stream_name, store, fix))
    if as_json:
        document = {"ok": report.ok, **report.model_dump(mode="json")}
        document["still_missing"] = [e.model_dump(mode="json") for e in report.still_missing]
        typer.echo(json.dumps(document, indent=2))
    else:
        _print_report(report)
    if not report.ok:
        raise typer.Exit(1)


def tail_command(
    *,
    subject: Annotated[
        str, typer.Option("--subject", help="Subject filter, e.g. 'contracting.contract.>'.")
    ] = SUBJECTS[0],
    from_start: Annotated[
        bool, typer.Option("--from-start", help="Begin at the stream's first event.")
    ] = False,
    from_seq: Annotated[
        int | None, typer.Option("--from-seq", min=1, help="Begin at this stream sequence.")
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="Stop after this many events.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print each CloudEvent as JSON.")] = False,
    nats_url: NatsUrl = None,
    stream: StreamName = None,
) -> None:
    """Print the stream's events as they arrive (from now, unless --from-start / --from-seq)."""
    if from_start and from_seq is not None:
        raise typer.BadParameter("give --from-start or --from-seq, not both")
    settings = settings_from_options(nats_url=nats_url, stream_name=stream)
    config = ConsumerConfig(deliver_policy=DeliverPolicy.NEW)
    if from_start:
        config = ConsumerConfig(deliver_policy=DeliverPolicy.ALL)
    elif from_seq is not None:
        config = ConsumerConfig(
            deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=from_seq
        )
    try:
        run_nats(
            _tail(
                nats_url_of(settings),
                settings.stream_name,
                subject,
                config,
                limit=limit,
                as_json=as_json,
            )
        )
    except KeyboardInterrupt:
        return


async def _verify(url: str, stream: str, store: Any, fix: bool) -> StreamCheckReport:
    async with jetstream_at(url) as js:
        try:
            return await check_stream(js, store, stream, fix=fix)
        except NotFoundError as error:
            raise NatsUnavailable(f"no stream {stream!r} at {url}") from error


async def _tail(
    url: str,
    stream: str,
    subject: str,
    config: ConsumerConfig,
    *,
    limit: int | None,
    as_json: bool,
) -> None:
    async with jetstream_at(url) as js:
        try:
            await js.stream_info(stream)
        except NotFoundError as error:
            raise NatsUnavailable(f"no stream {stream!r} at {url}") from error
        try:
            subscription = await js.subscribe(
                subject, stream=stream, config=config, ordered_consumer=True
            )
        except APIError as error:
            raise NatsUnavailable(
                f"cannot follow {subject!r} on stream {stream!r}: {error}"
            ) from error
        shown = 0
        try:
            while limit is None or shown < limit:
                try:
                    msg = await subscription.next_msg(timeout=None)
                except NatsError as error:
                    raise NatsUnavailable(
                        f"lost the stream {stream!r} at {url}: {error}"
                    ) from error
                typer.echo(_line(msg.metadata.sequence.stream, msg.subject, msg.data, as_json))
                shown += 1
        finally:
            await subscription.unsubscribe()


def _line(sequence: int, subject: str, data: bytes, as_json: bool) -> str:
    if as_json:
        return data.decode("utf-8", errors="replace")
    try:
        event = json.loads(data)
    except ValueError:
        return f"{sequence} {subject} (not JSON, {len(data)} bytes)"
    return (
        f"{sequence} {subject} {event.get('type', '?')} id={event.get('id', '?')}"
        f" position={event.get('position', '?')} aggregate={event.get('subject', '?')}"
        f" v{event.get('aggregateversion', '?')} at={event.get('time', '?')}"
    )


def _print_report(report: StreamCheckReport) -> None:
    repaired = {e.event_id for e in report.repaired}
    blocked = {b.event.event_id: b for b in report.blocked}
    if report.missing:
        table = Table("position", "aggregate", "version", "event id", "topic", "state")
        for event in report.missing:
            if event.event_id in repaired:
                state = "[green]republished[/green]"
            elif event.event_id in blocked:
                seq = blocked[event.event_id].duplicate_of_sequence
                state = f"[red]blocked: duplicate window still holds deleted seq {seq}[/red]"
            else:
                state = "[red]missing[/red]"
            table.add_row(
                str(event.position),
                str(event.aggregate_id),
                str(event.version),
                event.event_id,
                event.topic,
                state,
            )
        _out.print(table)
    if report.duplicates:
        table = Table("event id", "position", "stream sequences")
        for duplicate in report.duplicates:
            table.add_row(
                duplicate.event_id,
                "-" if duplicate.position is None else str(duplicate.position),
                ", ".join(str(s) for s in duplicate.sequences),
            )
        _out.print(table)
    if report.foreign:
        _out.print(
            f"[yellow]{len(report.foreign)} message(s) name no stored event[/yellow] (sequences"
            f" {', '.join(str(f.sequence) for f in report.foreign[:20])}"
            f"{', ...' if len(report.foreign) > 20 else ''})"
        )
    summary = (
        f"stream {report.stream}: {report.stored} stored events, {report.messages} messages;"
        f" {len(report.still_missing)} missing, {len(report.duplicates)} duplicated"
    )
    if report.repaired:
        summary += f", {len(report.repaired)} republished"
    _out.print(f"[green]{summary}[/green]" if report.ok else f"[red]{summary}[/red]")
