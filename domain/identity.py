"""Deterministic aggregate ids from natural keys, so a repeated command cannot create a twin."""

from __future__ import annotations

import json
from uuid import UUID, uuid5

__all__ = ["NAMESPACE", "natural_id"]

NAMESPACE = UUID("6f1c2a52-9b8e-5d0c-a0e4-3c0f6f7f2c11")


def natural_id(kind: str, *parts: object) -> UUID:
    """A UUIDv5 over the aggregate kind and its natural key parts.

    The key is encoded as a JSON array, so no part can run into the next: ``("a/b",)`` and
    ``("a", "b")`` give different ids.
    """
    key = json.dumps([kind, *(str(p) for p in parts)], ensure_ascii=False, separators=(",", ":"))
    return uuid5(NAMESPACE, key)
