"""The relay lease: only one relay publishes at a time when several instances share a store.

The lease is one key (the stream's name) in a JetStream key-value bucket with history 1 and a
bucket TTL. ``acquire`` creates the key only when it is absent (compare-and-set on "no value");
``renew`` rewrites it only when its revision is still the one this holder wrote, which restarts
the TTL; ``release`` deletes it only at that revision. A holder that dies stops renewing, the
bucket's TTL (the stream's ``max_age``) removes its entry, and the next ``acquire`` succeeds: the
takeover. Renew well within the TTL (a third of it, say): a renewal after expiry finds the key
gone or taken and reports the lease lost.

On a cluster the bucket has as many replicas as the stream (``replicas``): an R1 bucket on a
node that dies would leave no relay able to publish, however many instances are up.

Checked on nats-server 2.15.1 with nats-py 2.16.0: an entry written with a 1 s bucket TTL was gone
after about 1.3 s; creating a bucket again with the same configuration succeeds, with another
configuration fails with err_code 10058 (the existing bucket is then used as it is, see
``ttl_s``).
"""

from __future__ import annotations

import contextlib
import json

from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig
from nats.js.errors import (
    APIError,
    BucketNotFoundError,
    KeyNotFoundError,
    KeyWrongLastSequenceError,
)
from nats.js.kv import KeyValue

__all__ = ["DEFAULT_BUCKET", "LeaseError", "RelayLease"]

DEFAULT_BUCKET = "care_contracts_leases"
_NAME_IN_USE = 10058  # JetStream err_code: stream name already in use (another configuration)


class LeaseError(RuntimeError):
    """The lease bucket could not be created or opened."""


class RelayLease:
    """One holder's view of the lease on ``key`` in ``bucket``."""

    def __init__(
        self,
        js: JetStreamContext,
        *,
        key: str,
        holder: str,
        ttl_s: float,
        bucket: str = DEFAULT_BUCKET,
        replicas: int = 1,
    ) -> None:
        if ttl_s <= 0:
            raise ValueError("the lease TTL must be positive")
        if replicas < 1:
            raise ValueError("the lease bucket needs at least one replica")
        self._js = js
        self.bucket = bucket
        self.key = key
        self.holder = holder
        self._ttl_s = ttl_s
        self._replicas = replicas
        self._kv: KeyValue | None = None
        self._revision: int | None = None

    @property
    def held(self) -> bool:
        """Whether this holder held the lease at its last acquire or renew."""
        return self._revision is not None

    @property
    def revision(self) -> int | None:
        return self._revision

    @property
    def ttl_s(self) -> float:
        """The bucket's TTL in effect (an existing bucket keeps its own), once opened."""
        return self._ttl_s

    async def acquire(self) -> bool:
        """Take the lease if nobody holds it (or this holder already does); False otherwise."""
        kv = await self._bucket()
        try:
            self._revision = await kv.create(self.key, self._value())
            return True
        except KeyWrongLastSequenceError:
            pass
        except KeyNotFoundError:
            # nats-py's create, refused because the key existed, looks the key up to tell a
            # deleted one from a live one; when the TTL removes it in between, that look-up
            # raises "not found" out of create. The lease is free now: try once more.
            return await self._create_once(kv)
        try:
            entry = await kv.get(self.key)
        except KeyNotFoundError:  # expired between the two calls: try once more
            return await self._create_once(kv)
        if entry.value is not None and _holder_of(entry.value) == self.holder:
            self._revision = entry.revision  # ours already (a restart with the same id)
            return await self.renew()
        self._revision = None
        return False

    async def renew(self) -> bool:
        """Rewrite the lease at this holder's revision (restarting the TTL); False if lost."""
        if self._revision is None:
            return False
        kv = await self._bucket()
        try:
            self._revision = await kv.update(self.key, self._value(), last=self._revision)
        except KeyWrongLastSequenceError:
            self._revision = None
            return False
        return True

    async def release(self) -> None:
        """Give the lease up, if still held; someone else's lease is never touched."""
        revision, self._revision = self._revision, None
        if revision is None:
            return
        kv = await self._bucket()
        with contextlib.suppress(KeyWrongLastSequenceError):  # lost already: expired or taken
            await kv.delete(self.key, last=revision)

    async def current_holder(self) -> str | None:
        """Who holds the lease now, as the bucket says (None when nobody does)."""
        kv = await self._bucket()
        try:
            entry = await kv.get(self.key)
        except KeyNotFoundError:
            return None
        return None if entry.value is None else _holder_of(entry.value)

    async def _create_once(self, kv: KeyValue) -> bool:
        try:
            self._revision = await kv.create(self.key, self._value())
        except (KeyWrongLastSequenceError, KeyNotFoundError):
            self._revision = None
            return False
        return True

    async def _bucket(self) -> KeyValue:
        if self._kv is not None:
            return self._kv
        config = KeyValueConfig(
            bucket=self.bucket, history=1, ttl=self._ttl_s, replicas=self._replicas
        )
        try:
            self._kv = await self._js.create_key_value(config)
        except APIError as error:
            if error.err_code != _NAME_IN_USE:
                raise LeaseError(f"cannot create lease bucket {self.bucket!r}: {error}") from error
            self._kv = await self._existing_bucket()
        return self._kv

    async def _existing_bucket(self) -> KeyValue:
        try:
            kv = await self._js.key_value(self.bucket)
            info = await self._js.stream_info(f"KV_{self.bucket}")
        except (BucketNotFoundError, APIError) as error:
            raise LeaseError(f"cannot open lease bucket {self.bucket!r}: {error}") from error
        max_age = info.config.max_age
        if max_age:  # nats-py gives seconds as a float
            self._ttl_s = float(max_age)
        return kv

    def _value(self) -> bytes:
        return json.dumps({"holder": self.holder}, separators=(",", ":")).encode()


def _holder_of(value: bytes) -> str | None:
    try:
        document = json.loads(value)
    except ValueError:
        return None
    holder = document.get("holder") if isinstance(document, dict) else None
    return holder if isinstance(holder, str) else None
