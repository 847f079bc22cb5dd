"""The relay lease when its key expires inside nats-py's ``create`` (a race the TTL can win).

nats-py's ``KeyValue.create``, refused because the key exists, looks the key up to tell a deleted
key from a live one; if the TTL removes the key in between, ``KeyNotFoundError`` comes out of
``create``. That is a free lease, not a failure. (Seen once in CI on a real server; reproduced
here with a stand-in bucket, since the timing cannot be forced on a real one.)
"""

from __future__ import annotations

import asyncio
from typing import Any

from nats.js.errors import KeyNotFoundError

from care_contracts.services.relay.lease import RelayLease


class _RacingBucket:
    """``create`` loses the race once (key gone during its look-up), then succeeds."""

    def __init__(self) -> None:
        self.creates = 0

    async def create(self, key: str, value: bytes) -> int:
        self.creates += 1
        if self.creates == 1:
            raise KeyNotFoundError
        return 7


class _JetStream:
    def __init__(self, bucket: _RacingBucket) -> None:
        self.bucket = bucket

    async def create_key_value(self, config: Any) -> _RacingBucket:
        return self.bucket


def test_a_key_that_expires_inside_create_is_a_free_lease_taken_on_the_retry() -> None:
    bucket = _RacingBucket()
    lease = RelayLease(_JetStream(bucket), key="CONTRACTING", holder="b", ttl_s=1)  # type: ignore[arg-type]

    acquired = asyncio.run(lease.acquire())

    assert (acquired, lease.held, lease.revision, bucket.creates) == (True, True, 7, 2)
