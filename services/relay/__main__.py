"""``python -m care_contracts.services.relay``: run the relay until SIGTERM or SIGINT.

Settings come from ``CARE_CONTRACTS_*``; ``CARE_CONTRACTS_NATS_URL`` is required here (the
service itself starts the embedded server when it is unset). The stream is ensured first.
Several instances may run against one store: only the holder of the relay lease publishes
(``CARE_CONTRACTS_INSTANCE_ID`` names the holder, ``CARE_CONTRACTS_RELAY_LEASE_TTL_S`` its TTL);
a signal releases it, a killed holder is replaced once its TTL has run out.
Exit 0 on a signal, 2 when there is no NATS URL.
"""

from __future__ import annotations

import asyncio
import signal
import sys

import nats.errors

from care_contracts.services.nats.streams import ensure_stream
from care_contracts.services.relay.relay import Relay, connect_factory
from care_contracts.services.settings import Settings
from care_contracts.services.store.application import ContractingStore


async def _main(settings: Settings, url: str) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    nc = await connect_factory(url)()
    try:
        await ensure_stream(nc.jetstream(), settings)
    finally:
        await nc.close()
    store = ContractingStore(settings)
    try:
        await Relay(store, url, settings).run_forever(stop)
    finally:
        store.close()


def main() -> int:
    settings = Settings()
    if not settings.nats_url:
        sys.stderr.write("CARE_CONTRACTS_NATS_URL is not set\n")
        return 2
    try:
        asyncio.run(_main(settings, settings.nats_url))
    except (nats.errors.Error, OSError, TimeoutError) as error:
        sys.stderr.write(f"NATS at {settings.nats_url} is not reachable: {error}\n")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
