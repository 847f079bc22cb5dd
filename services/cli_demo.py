"""``care-contracts demo``: play a realistic 2027 contracting season through the HTTP API.

With ``--url`` it plays against a running service started with ``--clock simulated`` whose clock
is not yet past 1 October 2026; its tokens are created in that service's ``--data-dir``. Without
it, the demo starts a service of its own (simulated clock from 1 October 2026, a free port,
embedded NATS, SQLite in ``--data-dir`` or a temporary folder), plays, prints and stops it.
Exit codes: 0 the season was played, 1 a step was refused or the service failed.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import structlog
import typer
from rich.console import Console
from rich.markup import escape

from care_contracts.services.cli_options import err, settings_from_options
from care_contracts.services.demo.runner import (
    DemoError,
    SeasonReport,
    play_season,
    print_report,
    self_started_service,
)
from care_contracts.services.demo.season import SEASON_2027
from care_contracts.services.logs import configure_logging

__all__ = ["register_demo_commands"]


def register_demo_commands(app: typer.Typer) -> None:
    app.command("demo")(demo_command)


def demo_command(
    *,
    url: Annotated[
        str | None,
        typer.Option(
            "--url",
            help="A running service (serve --clock simulated --clock-start 2026-10-01);"
            " default: start one for the demo.",
        ),
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            help="With --url: that service's data dir (the demo's tokens are created there)."
            " Without: where the demo's own service keeps its data (default: a temporary"
            " folder, removed afterwards).",
        ),
    ] = None,
) -> None:
    """Play a 2027 season for both insurers, then print a summary and the care finder."""
    console = Console(width=None if sys.stdout.isatty() else 160)
    _quiet_logging()
    try:
        report = _play(url, data_dir, console)
    except DemoError as error:
        err.print(f"[red]demo stopped:[/red] {escape(str(error))}")
        raise typer.Exit(1) from error
    print_report(report, console)


def _play(url: str | None, data_dir: Path | None, console: Console) -> SeasonReport:
    if url is not None:
        return play_season(url, settings_from_options(data_dir=data_dir), console)
    with _folder(data_dir) as folder, self_started_service(folder, SEASON_2027.start) as service:
        console.print(f"[dim]a service of its own at {service.url}, data in {folder}[/dim]")
        return play_season(service.url, service.settings, console)


@contextmanager
def _folder(given: Path | None) -> Iterator[Path]:
    if given is not None:
        yield given
        return
    with tempfile.TemporaryDirectory(prefix="care-contracts-demo-") as temporary:
        yield Path(temporary)


def _quiet_logging() -> None:
    """Only warnings, on stderr: the service's line per request would bury the progress bar.

    Loggers are not cached, so whoever embeds the demo (the tests) can restore its own set-up.
    """
    configure_logging("console", level="warning")
    structlog.configure(cache_logger_on_first_use=False)
