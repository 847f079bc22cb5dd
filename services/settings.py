"""One typed configuration object; the eventsourcing ``env`` is derived from it.

Values come from ``CARE_CONTRACTS_*`` environment variables (or a ``.env`` file). eventsourcing
reads ``POSTGRES_*`` keys, never a DSN, so the DSN is split here. Tests build ``Settings`` directly
and never touch ``os.environ``.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Annotated

from psycopg.conninfo import conninfo_to_dict
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "eventsourcing_env"]

APP_NAME = "contracting"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CARE_CONTRACTS_", env_file=".env", extra="ignore", frozen=True
    )

    data_dir: Path = Field(default=Path("data"), description="SQLite files and the embedded NATS")
    postgres_dsn: SecretStr | None = Field(
        default=None, description="PostgreSQL DSN; when set, the event store lives there"
    )
    postgres_schema: Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_]*$")] = "public"
    postgres_pool_size: Annotated[int, Field(ge=1)] = 5
    postgres_lock_timeout_s: Annotated[int, Field(ge=0)] = 5
    snapshot_interval: Annotated[int, Field(ge=0)] = 100
    group_commit: bool = Field(
        default=True, description="concurrent commands share one transaction, each its own outcome"
    )
    aggregate_cache_size: Annotated[int, Field(ge=0)] = 1000  # 0: no cache
    policy_packs_dir: Path | None = None
    signing_deadline_extensions_allowed: bool = Field(
        default=False,
        description="ASSUMPTION, off by default: officers may extend an open offer's signing"
        " deadline (brief §4.3, §13.9)",
    )
    nats_url: str | None = Field(
        default=None,
        description="NATS server URL, or a cluster's nodes comma-separated; None starts the"
        " embedded nats-server under data_dir/nats",
    )
    stream_name: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]+$")] = "CONTRACTING"
    stream_replicas: Annotated[int, Field(ge=1)] = 1
    stream_duplicate_window_s: Annotated[int, Field(ge=1)] = Field(
        default=86400,
        description="JetStream de-duplication window (server default 120 s). A day, because it"
        " must cover the relay's worst catch-up after an outage, when it republishes the tail it"
        " may already have sent; consumers stay idempotent by event id anyway",
    )
    nats_start_timeout_s: Annotated[float, Field(gt=0)] = 10
    relay_lease_ttl_s: Annotated[float, Field(gt=0)] = Field(
        default=10,
        description="the relay lease's TTL: a holder that stops renewing for this long is replaced",
    )
    instance_id: Annotated[str, Field(min_length=1)] = Field(
        default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}",
        description="this service instance's name as a lease holder (default: hostname-pid)",
    )
    relay_batch_size: Annotated[int, Field(ge=1, le=10_000)] = Field(
        default=500, description="events the relay reads and publishes per batch (acks pipelined)"
    )
    relay_poll_interval_s: Annotated[float, Field(gt=0)] = Field(
        default=0.02,
        description="how often a caught-up relay looks for new events (one indexed read; at"
        " 0.2 s the wait for the poll alone put the care finder's p99 at ~240 ms)",
    )
    relay_backoff_max_s: Annotated[float, Field(gt=0)] = Field(
        default=5, description="the cap of the relay's exponential backoff while NATS is down"
    )
    relay_ack_timeout_s: Annotated[float, Field(gt=0)] = Field(
        default=5, description="how long the relay waits for a batch's acks (then: outcome unknown)"
    )
    read_store_dsn: SecretStr | None = Field(
        default=None,
        description="PostgreSQL for the read models; unset = the event store's PostgreSQL DSN,"
        " or SQLite (DATA_DIR/readmodels.sqlite) when there is none",
    )
    read_store_schema: Annotated[str | None, Field(pattern=r"^[a-z_][a-z0-9_]*$")] = Field(
        default=None,
        description="the read models' PostgreSQL schema; unset = postgres_schema. Instances"
        " that share it share the read models; one each gives every instance its own",
    )
    projection_consumer_prefix: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]+$")] = Field(
        default="care-contracts",
        description="durable consumers are named <prefix>-<projection>-<instance_id>",
    )
    projection_batch_size: Annotated[int, Field(ge=1, le=10_000)] = Field(
        default=500, description="messages a projection fetches and applies per transaction"
    )
    projection_poll_interval_s: Annotated[float, Field(gt=0)] = Field(
        default=0.5, description="how long a caught-up projection's fetch waits for new messages"
    )
    deadline_watcher_interval_s: Annotated[float, Field(gt=0)] = Field(
        default=2, description="how often the deadline watcher looks for passed deadlines"
    )
    readiness_max_projection_lag_s: Annotated[float, Field(gt=0)] = Field(
        default=60, description="/readyz fails while a projection is further behind than this"
    )
    projection_ack_wait_s: Annotated[float, Field(gt=0)] = Field(
        default=30, description="JetStream redelivers a fetched message not acked in this time"
    )

    @property
    def uses_postgres(self) -> bool:
        return self.postgres_dsn is not None

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "events.sqlite"

    @property
    def read_store_path(self) -> Path:
        return self.data_dir / "readmodels.sqlite"

    @property
    def read_models_schema(self) -> str:
        """The PostgreSQL schema of the read models (not of the tokens: those stay shared)."""
        return self.read_store_schema or self.postgres_schema

    def read_store_postgres_dsn(self) -> str | None:
        """The read models' PostgreSQL DSN, or None for SQLite."""
        dsn = self.read_store_dsn or self.postgres_dsn
        return None if dsn is None else dsn.get_secret_value()


def eventsourcing_env(settings: Settings) -> dict[str, str]:
    """The eventsourcing environment for the contracting store, from typed settings."""
    env = {
        "ORIGINATOR_ID_TYPE": "uuid",
        "IS_SNAPSHOTTING_ENABLED": "y" if settings.snapshot_interval else "n",
    }
    if settings.aggregate_cache_size:
        # Only a positive size: eventsourcing reads "0" as an unbounded cache, not as none.
        env["AGGREGATE_CACHE_MAXSIZE"] = str(settings.aggregate_cache_size)
    if settings.postgres_dsn is None:
        env |= {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(settings.sqlite_path),
            "SQLITE_LOCK_TIMEOUT": "10",
            "APPLICATION_RECORDER_TOPIC": (
                "care_contracts.services.store.recorders:ChainedSQLiteApplicationRecorder"
            ),
        }
        return env
    parts = conninfo_to_dict(settings.postgres_dsn.get_secret_value())
    env |= {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": str(parts.get("dbname") or "postgres"),
        "POSTGRES_HOST": str(parts.get("host") or "127.0.0.1"),
        "POSTGRES_PORT": str(parts.get("port") or "5432"),
        "POSTGRES_USER": str(parts.get("user") or "postgres"),
        "POSTGRES_PASSWORD": str(parts.get("password") or ""),
        "POSTGRES_SCHEMA": settings.postgres_schema,
        "POSTGRES_POOL_SIZE": str(settings.postgres_pool_size),
        "POSTGRES_LOCK_TIMEOUT": str(settings.postgres_lock_timeout_s),
        "APPLICATION_RECORDER_TOPIC": (
            "care_contracts.services.store.recorders:ChainedPostgresApplicationRecorder"
        ),
    }
    return env
