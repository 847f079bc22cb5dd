"""Audit test helpers: a seeded log of two interleaved applications, raw row access for tampering.

``seed`` records eight events through the command bus, one day apart from 2026-10-05T08:00Z::

    position  1  2  3  4  5  6  7  8
    aggregate A  B  A  B  A  B  A  B
    version   1  1  2  2  3  3  4  4

``Rows`` edits the event and chain tables directly (sqlite3 / psycopg), as an intruder would.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import psycopg

from care_contracts.services.clock import SimulatedClock
from care_contracts.services.commands.applications import (
    MarkApplicationComplete,
    RequestApplicationInformation,
    SubmitApplication,
    SupplyApplicationInformation,
)
from care_contracts.services.commands.base import Command, CommandContext
from care_contracts.services.commands.bus import CommandBus
from care_contracts.services.settings import Settings
from care_contracts.services.store.mapper import dumps_canonical
from care_contracts.services.store.metadata import Actor, Role

OFFICER = Actor(role=Role.OFFICER, subject="officer-7", insurer="zorg-en-zekerheid")


@dataclass(frozen=True)
class Seeded:
    a: UUID
    b: UUID
    times: tuple[datetime, ...]  # the decision time of positions 1..8


def submit(agb: str, kvk: str, name: str) -> SubmitApplication:
    return SubmitApplication(
        agb_enterprise=agb,
        kvk=kvk,
        name=name,
        city="Goes",
        postcode="4461 AB",
        insurer="zorg-en-zekerheid",
        year=2027,
        care_type="msz",
        sub_type="zbc",
        is_new_provider=True,
    )


def seed(bus: CommandBus, clock: SimulatedClock) -> Seeded:
    """Two applications, A (by provider 06123456) and B (by 06654321), their events interleaved."""
    times: list[datetime] = []

    def run(command: Command, actor: Actor, step: int) -> UUID:
        times.append(clock.now())
        context = CommandContext(
            actor=actor, command_id=f"cmd-{step}", correlation_id=f"corr-{step}"
        )
        outcome = bus.execute(command, context)
        clock.advance(timedelta(days=1))
        return outcome.aggregate_id

    provider_a = Actor(role=Role.PROVIDER, subject="06123456")
    provider_b = Actor(role=Role.PROVIDER, subject="06654321")
    a = run(submit("06123456", "12345678", "Kliniek Zeeland"), provider_a, 1)
    b = run(submit("06654321", "87654321", "Kliniek Walcheren"), provider_b, 2)
    run(RequestApplicationInformation(application_id=a, request="staffing plan"), OFFICER, 3)
    run(RequestApplicationInformation(application_id=b, request="quality report"), OFFICER, 4)
    run(SupplyApplicationInformation(application_id=a, note="plan attached"), provider_a, 5)
    run(SupplyApplicationInformation(application_id=b, note="report attached"), provider_b, 6)
    run(MarkApplicationComplete(application_id=a), OFFICER, 7)
    run(MarkApplicationComplete(application_id=b), OFFICER, 8)
    return Seeded(a, b, tuple(times))


class Rows:
    """The stored rows of one store, read and changed behind the application's back."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._postgres = settings.postgres_dsn is not None
        if self._postgres:
            schema = f'"{settings.postgres_schema}"'
            self._events, self._chain = (
                f"{schema}.contracting_events",
                f"{schema}.contracting_chain",
            )
            self._position = "notification_id"
        else:
            self._events, self._chain, self._position = "stored_events", "event_chain", "rowid"

    @contextmanager
    def _sql(self) -> Iterator[Any]:
        if self._postgres:
            dsn = self._settings.postgres_dsn
            assert dsn is not None
            with psycopg.connect(dsn.get_secret_value(), autocommit=True) as connection:
                yield connection
        else:
            with (
                closing(sqlite3.connect(self._settings.sqlite_path)) as connection,
                connection,
            ):
                yield connection

    def _execute(self, statement: str, *params: Any) -> list[Any]:
        marker = "%s" if self._postgres else "?"
        with self._sql() as connection:
            cursor = connection.execute(statement.replace("?", marker), params)
            return list(cursor.fetchall()) if cursor.description else []

    def state(self, position: int) -> bytes:
        (row,) = self._execute(
            f"SELECT state FROM {self._events} WHERE {self._position} = ?", position
        )
        return bytes(row[0])

    def body(self, position: int) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.state(position))
        return document

    def set_state(self, position: int, state: bytes) -> None:
        self._execute(
            f"UPDATE {self._events} SET state = ? WHERE {self._position} = ?", state, position
        )

    def set_body(self, position: int, body: dict[str, Any]) -> None:
        self.set_state(position, dumps_canonical(body))

    def delete_event(self, position: int) -> None:
        self._execute(f"DELETE FROM {self._events} WHERE {self._position} = ?", position)

    def delete_link(self, position: int) -> None:
        self._execute(f"DELETE FROM {self._chain} WHERE notification_id = ?", position)

    def insert_event(self, aggregate_id: UUID, version: int, topic: str, state: bytes) -> int:
        """A forged row at the next position the database hands out; its position."""
        originator: Any = aggregate_id if self._postgres else aggregate_id.hex
        self._execute(
            f"INSERT INTO {self._events} (originator_id, originator_version, topic, state)"
            " VALUES (?, ?, ?, ?)",
            originator,
            version,
            topic,
            state,
        )
        (row,) = self._execute(f"SELECT max({self._position}) FROM {self._events}")
        return int(row[0])

    def swap_positions(self, first: int, second: int) -> None:
        moves = ((first, -1), (second, first), (-1, second))
        for old, new in moves:
            self._execute(
                f"UPDATE {self._events} SET {self._position} = ? WHERE {self._position} = ?",
                new,
                old,
            )

    def swap_states(self, first: int, second: int) -> None:
        one, other = self.state(first), self.state(second)
        self.set_state(first, other)
        self.set_state(second, one)

    def set_link(self, position: int, column: str, value: str) -> None:
        assert column in ("hash", "prev_hash")
        self._execute(
            f"UPDATE {self._chain} SET {column} = ? WHERE notification_id = ?", value, position
        )

    def link(self, position: int) -> tuple[str, str]:
        (row,) = self._execute(
            f"SELECT prev_hash, hash FROM {self._chain} WHERE notification_id = ?", position
        )
        return str(row[0]), str(row[1])
