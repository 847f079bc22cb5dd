"""Bearer tokens: created once (printed, never stored), kept as a SHA-256 hash, listed, revoked.

A token names a role and its scope: a provider's AGB enterprise code, an officer's insurer, or
nothing (auditor, operator). Its ``subject`` becomes the actor id in every event the token's
requests record. The token itself is ``cc_`` + 32 random bytes (URL-safe base64); only its hash
is stored, so a leaked table lets nobody in. Tokens live in ``DATA_DIR/access.sqlite``, or in the
``api_tokens`` table of the PostgreSQL schema when the service runs on PostgreSQL.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from care_contracts.projections.database import (
    PostgresReadDatabase,
    ReadDatabase,
    SqliteReadDatabase,
)
from care_contracts.services.settings import Settings
from care_contracts.services.store.metadata import Actor, Role

__all__ = ["IssuedToken", "TokenGrant", "TokenRecord", "TokenStore", "open_token_store"]

_TABLE = "api_tokens"
_PREFIX = "cc_"
_GRANTABLE = (Role.PROVIDER, Role.OFFICER, Role.AUDITOR, Role.OPERATOR, Role.SYSTEM)


class TokenGrant(BaseModel):
    """What a token allows: a role and its scope."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    role: Role
    subject: str = Field(min_length=1, max_length=200)
    agb: str | None = Field(default=None, pattern=r"^[0-9]{8}$")
    insurer: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9-]*$")
    label: str = Field(default="", max_length=200)

    @model_validator(mode="after")
    def _scoped(self) -> TokenGrant:
        if self.role not in _GRANTABLE:
            raise ValueError(f"no tokens for the {self.role} role")
        if self.role is Role.PROVIDER and (self.agb is None or self.subject != self.agb):
            raise ValueError("a provider token names its AGB enterprise code (--agb)")
        if self.role is Role.OFFICER and self.insurer is None:
            raise ValueError("an officer token names its insurer (--insurer)")
        if self.role is not Role.PROVIDER and self.agb is not None:
            raise ValueError("only a provider token names an AGB code")
        if self.role is not Role.OFFICER and self.insurer is not None:
            raise ValueError("only an officer token names an insurer")
        return self

    def actor(self) -> Actor:
        return Actor(role=self.role, subject=self.subject, insurer=self.insurer)


class TokenRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    grant: TokenGrant
    created_at: datetime
    revoked_at: datetime | None


class IssuedToken(BaseModel):
    model_config = ConfigDict(frozen=True)

    record: TokenRecord
    token: str  # shown once


class TokenStore:
    def __init__(self, db: ReadDatabase) -> None:
        self._db = db
        with db.transaction() as cur:
            cur.execute(
                f"CREATE TABLE IF NOT EXISTS {_TABLE} (id TEXT PRIMARY KEY,"
                " token_hash TEXT NOT NULL UNIQUE, role TEXT NOT NULL, subject TEXT NOT NULL,"
                " agb TEXT, insurer TEXT, label TEXT NOT NULL, created_at TEXT NOT NULL,"
                " revoked_at TEXT)"
            )

    def create(self, grant: TokenGrant, now: datetime) -> IssuedToken:
        token = _PREFIX + secrets.token_urlsafe(32)
        record = TokenRecord(id=str(uuid.uuid4()), grant=grant, created_at=now, revoked_at=None)
        with self._db.transaction() as cur:
            cur.execute(
                f"INSERT INTO {_TABLE} (id, token_hash, role, subject, agb, insurer, label,"
                " created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                (
                    record.id,
                    _hash(token),
                    str(grant.role),
                    grant.subject,
                    grant.agb,
                    grant.insurer,
                    grant.label,
                    now.isoformat(),
                ),
            )
        return IssuedToken(record=record, token=token)

    def resolve(self, token: str) -> TokenRecord | None:
        """The live token with this value; None if unknown or revoked."""
        if not token.startswith(_PREFIX) or len(token) > 100:
            return None
        with self._db.reading() as cur:
            row = cur.execute(
                f"SELECT {_COLUMNS} FROM {_TABLE} WHERE token_hash = ? AND revoked_at IS NULL",
                (_hash(token),),
            ).fetchone()
        return None if row is None else _record(row)

    def list(self) -> list[TokenRecord]:
        with self._db.reading() as cur:
            rows = cur.execute(
                f"SELECT {_COLUMNS} FROM {_TABLE} ORDER BY created_at, id"
            ).fetchall()
        return [_record(row) for row in rows]

    def revoke(self, token_id: str, now: datetime) -> bool:
        """Revoke a live token by id; False when there is none."""
        with self._db.transaction() as cur:
            live = cur.scalar(
                f"SELECT 1 FROM {_TABLE} WHERE id = ? AND revoked_at IS NULL", (token_id,)
            )
            if live is None:
                return False
            cur.execute(
                f"UPDATE {_TABLE} SET revoked_at = ? WHERE id = ?", (now.isoformat(), token_id)
            )
        return True

    def close(self) -> None:
        self._db.close()


_COLUMNS = "id, role, subject, agb, insurer, label, created_at, revoked_at"


def _record(row: tuple[object, ...]) -> TokenRecord:
    return TokenRecord(
        id=str(row[0]),
        grant=TokenGrant(
            role=Role(str(row[1])),
            subject=str(row[2]),
            agb=None if row[3] is None else str(row[3]),
            insurer=None if row[4] is None else str(row[4]),
            label=str(row[5]),
        ),
        created_at=datetime.fromisoformat(str(row[6])),
        revoked_at=None if row[7] is None else datetime.fromisoformat(str(row[7])),
    )


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_token_store(settings: Settings) -> TokenStore:
    dsn = settings.read_store_postgres_dsn()
    if dsn is not None:
        return TokenStore(PostgresReadDatabase(dsn, settings.postgres_schema))
    return TokenStore(SqliteReadDatabase(settings.data_dir / "access.sqlite"))
