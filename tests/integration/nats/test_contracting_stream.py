"""ensure_stream: the CONTRACTING stream keeps every event and is set up idempotently."""

from __future__ import annotations

from typing import Any

import pytest
from nats.js.api import StreamConfig, StreamInfo

from care_contracts.services.nats.streams import IncompatibleStream, ensure_stream
from care_contracts.services.settings import Settings
from tests.integration.nats.jetstream_session import jetstream, run

pytestmark = pytest.mark.nats


async def _ensure(settings: Settings) -> StreamInfo:
    async with jetstream(settings.nats_url or "") as (_, js):
        return await ensure_stream(js, settings)


async def _create_then_ensure(settings: Settings, **config: Any) -> StreamInfo:
    async with jetstream(settings.nats_url or "") as (_, js):
        await js.add_stream(StreamConfig(name=settings.stream_name, **config))
        return await ensure_stream(js, settings)


def test_the_stream_is_created_with_the_settings_duplicate_window_and_no_limits(
    stream_settings: Settings,
) -> None:
    config = run(_ensure(stream_settings)).config

    assert config.name == stream_settings.stream_name
    assert config.subjects == ["contracting.>"]
    assert config.storage == "file"
    assert config.retention == "limits"
    assert config.duplicate_window == stream_settings.stream_duplicate_window_s == 86400
    assert (config.max_age, config.max_msgs, config.max_bytes) == (0, -1, -1)
    assert config.max_msgs_per_subject == -1
    assert config.num_replicas == 1
    assert (config.deny_delete, config.deny_purge, config.allow_rollup_hdrs) == (True, True, False)


def test_ensuring_twice_keeps_the_stream_and_its_events(stream_settings: Settings) -> None:
    async def ensure_publish_ensure() -> tuple[StreamInfo, StreamInfo]:
        async with jetstream(stream_settings.nats_url or "") as (_, js):
            first = await ensure_stream(js, stream_settings)
            await js.publish("contracting.contract.signed.zk1.msz", b"{}")
            second = await ensure_stream(js, stream_settings)
            return first, second

    first, second = run(ensure_publish_ensure())

    assert second.created == first.created
    assert second.config.duplicate_window == first.config.duplicate_window
    assert second.state.messages == 1


def test_a_changed_duplicate_window_is_updated_in_place(stream_settings: Settings) -> None:
    shorter = stream_settings.model_copy(update={"stream_duplicate_window_s": 3600})

    async def ensure_then_change() -> tuple[StreamInfo, StreamInfo]:
        first = await _ensure(stream_settings)
        await _ensure(shorter)
        async with jetstream(shorter.nats_url or "") as (_, js):
            return first, await js.stream_info(shorter.stream_name)

    first, now = run(ensure_then_change())

    assert first.config.duplicate_window == 86400
    assert now.config.duplicate_window == 3600
    assert now.created == first.created


def test_a_stream_that_allowed_deletes_is_tightened_in_place(stream_settings: Settings) -> None:
    info = run(
        _create_then_ensure(
            stream_settings, subjects=["contracting.>"], storage="file", duplicate_window=120
        )
    )

    assert (info.config.deny_delete, info.config.deny_purge) == (True, True)
    assert info.config.duplicate_window == 86400


@pytest.mark.parametrize(
    ("config", "field"),
    [
        pytest.param({"storage": "memory"}, "storage", id="memory-storage"),
        pytest.param({"retention": "workqueue"}, "retention", id="workqueue-retention"),
        pytest.param({"max_age": 3600}, "max_age", id="max-age"),
        pytest.param({"max_msgs": 1000}, "max_msgs", id="max-msgs"),
        pytest.param({"max_bytes": 1 << 20}, "max_bytes", id="max-bytes"),
        pytest.param({"subjects": ["contracting.contract.>"]}, "subjects", id="narrower-subjects"),
        pytest.param({"subjects": ["contracting.*"]}, "subjects", id="one-token-subjects"),
    ],
)
def test_an_incompatible_existing_stream_is_refused_naming_the_field(
    stream_settings: Settings, config: dict[str, Any], field: str
) -> None:
    existing = {"subjects": ["contracting.>"], "storage": "file", "duplicate_window": 60} | config

    with pytest.raises(IncompatibleStream) as raised:
        run(_create_then_ensure(stream_settings, **existing))

    assert raised.value.fields == (field,)
    assert field in str(raised.value)
    assert stream_settings.stream_name in str(raised.value)


def test_a_refused_stream_is_left_as_it_was(stream_settings: Settings) -> None:
    async def refuse_then_read() -> StreamInfo:
        async with jetstream(stream_settings.nats_url or "") as (_, js):
            await js.add_stream(
                name=stream_settings.stream_name,
                subjects=["contracting.>"],
                storage="memory",
                duplicate_window=60,
            )
            with pytest.raises(IncompatibleStream):
                await ensure_stream(js, stream_settings)
            return await js.stream_info(stream_settings.stream_name)

    config = run(refuse_then_read()).config

    assert config.storage == "memory"
    assert config.duplicate_window == 60


def test_a_stream_that_also_captures_other_subjects_is_accepted_as_it_is(
    stream_settings: Settings,
) -> None:
    subjects = ["contracting-audit.>", "contracting.>"]
    info = run(_create_then_ensure(stream_settings, subjects=subjects, storage="file"))

    assert info.config.subjects == subjects
    assert info.config.duplicate_window == 86400
