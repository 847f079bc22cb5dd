"""The stream sequence of a JetStream message, read from its ack subject."""

from __future__ import annotations

from typing import Any

import pytest
from nats.aio.msg import Msg
from nats.errors import NotJSMessageError

from care_contracts.projections.runner import stream_sequence


def _message(reply: str) -> Msg:
    client: Any = None  # never used: nothing is acked
    return Msg(_client=client, subject="contracting.contract.signed._._", reply=reply)


@pytest.mark.parametrize(
    "reply",
    [
        "$JS.ACK.CONTRACTING.care-contracts-timeline-a.1.4242.17.1763900000000000000.9",
        "$JS.ACK.CONTRACTING.c.3.1.1.1763900000000000000.0",
        # a domain's longer form goes to nats-py's own parser
        "$JS.ACK.hub.ACCHASH.CONTRACTING.c.1.977.5.1763900000000000000.3.token",
    ],
)
def test_the_sequence_is_the_one_nats_py_reads(reply: str) -> None:
    message = _message(reply)
    assert stream_sequence(message) == message.metadata.sequence.stream


def test_a_message_that_is_not_from_jetstream_is_refused_as_nats_py_refuses_it() -> None:
    with pytest.raises(NotJSMessageError):
        stream_sequence(_message("_INBOX.abc"))
