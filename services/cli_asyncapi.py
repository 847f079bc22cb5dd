"""``care-contracts asyncapi``: the AsyncAPI 3.0 document of every published event (FastStream).

Prints the document to stdout, or writes it to ``--output``. The repository keeps a copy in
``services/events/asyncapi.json``; a test fails when it is out of date.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from care_contracts.services.cli_options import write_or_print
from care_contracts.services.events.asyncapi import render

__all__ = ["register_asyncapi_command"]


def register_asyncapi_command(app: typer.Typer) -> None:
    app.command("asyncapi")(export_asyncapi)


def export_asyncapi(
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write to this file instead of stdout."),
    ] = None,
) -> None:
    """The AsyncAPI 3.0 document: one NATS channel per CloudEvents type, as stable JSON."""
    write_or_print(render(), output)
