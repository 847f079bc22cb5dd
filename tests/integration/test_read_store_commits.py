"""Read-model commits are not synced one by one; token commits are (SQLite and PostgreSQL).

A projection's position is in the same transaction as its rows, so a crash that loses the last
unsynced commits rewinds both and the runner applies those events again from the stream. A
token created or revoked must stay so.
"""

from __future__ import annotations

from care_contracts.projections.database import ReadDatabase, open_read_database
from care_contracts.services.api.tokens import open_token_store
from care_contracts.services.settings import Settings


def _sync_setting(db: ReadDatabase) -> str:
    with db.transaction() as cur:
        if cur.dialect == "sqlite":
            return {1: "normal", 2: "full"}[cur.scalar("PRAGMA synchronous")]
        return {"off": "normal", "on": "full"}[cur.scalar("SHOW synchronous_commit")]


def test_read_models_commit_without_a_sync_and_tokens_with_one(settings: Settings) -> None:
    read_models = open_read_database(settings)
    tokens = open_token_store(settings)
    try:
        assert _sync_setting(read_models) == "normal"
        assert _sync_setting(tokens._db) == "full"
    finally:
        read_models.close()
        tokens.close()
