"""The CONTRACTING stream: created or brought in line, idempotently, at start-up.

One stream keeps every event (architecture decisions 1 and 3), so a new consumer or an auditor
can replay from the first one: file storage, limits retention with no limit at all (no max age,
messages or bytes), message deletes and purges denied, roll-ups refused. ``duplicate_window``
is set explicitly from the settings (the server default is 120 s) to cover the relay's worst
catch-up. Differences that can be changed in place (duplicate window, replicas, the deny flags)
are updated; anything that cannot, or that may already have dropped history, is refused.
"""

from __future__ import annotations

from typing import Any

from nats.js import JetStreamContext
from nats.js.api import (
    DiscardPolicy,
    RetentionPolicy,
    StorageType,
    StreamConfig,
    StreamInfo,
)
from nats.js.errors import APIError, NotFoundError

from care_contracts.services.settings import Settings

__all__ = [
    "SUBJECTS",
    "IncompatibleStream",
    "StreamSetupError",
    "desired_stream_config",
    "ensure_stream",
]

SUBJECTS = ("contracting.>",)
_STREAM_NAME_IN_USE = 10058  # JetStream err_code: stream name already in use


class StreamSetupError(RuntimeError):
    """The stream could not be created or updated."""


class IncompatibleStream(StreamSetupError):
    """An existing stream differs where it cannot change in place without losing history."""

    def __init__(self, stream: str, problems: dict[str, str]) -> None:
        self.stream = stream
        self.fields = tuple(problems)
        details = "; ".join(f"{field}: {problem}" for field, problem in problems.items())
        super().__init__(
            f"existing stream {stream!r} is incompatible ({details}); it cannot be changed in"
            " place: migrate or remove it deliberately, then start again"
        )


def desired_stream_config(settings: Settings) -> StreamConfig:
    """The stream the service needs, from the settings."""
    return StreamConfig(
        name=settings.stream_name,
        description="Every contracting event, kept for replay and audit",
        subjects=list(SUBJECTS),
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        max_consumers=-1,
        max_msgs=-1,
        max_bytes=-1,
        max_age=0,
        max_msgs_per_subject=-1,
        discard=DiscardPolicy.OLD,
        duplicate_window=float(settings.stream_duplicate_window_s),
        num_replicas=settings.stream_replicas,
        allow_rollup_hdrs=False,
        deny_delete=True,
        deny_purge=True,
    )


async def ensure_stream(js: JetStreamContext, settings: Settings) -> StreamInfo:
    """Create the stream, or check an existing one and update what may change in place."""
    desired = desired_stream_config(settings)
    name = settings.stream_name
    try:
        existing = await js.stream_info(name)
    except NotFoundError:
        try:
            return await js.add_stream(desired)
        except APIError as error:
            if error.err_code != _STREAM_NAME_IN_USE:
                raise StreamSetupError(f"cannot create stream {name!r}: {error}") from error
        existing = await js.stream_info(name)  # another instance created it meanwhile
    current = existing.config
    problems = _incompatibilities(current)
    if problems:
        raise IncompatibleStream(name, problems)
    changes = _changes(current, desired)
    if not changes:
        return existing
    try:
        return await js.update_stream(current.evolve(**changes))
    except APIError as error:
        raise StreamSetupError(f"cannot update stream {name!r} ({changes}): {error}") from error


def _incompatibilities(current: StreamConfig) -> dict[str, str]:
    problems: dict[str, str] = {}
    if _enum_value(current.storage) != StorageType.FILE.value:
        problems["storage"] = f"{_enum_value(current.storage)}, must be file"
    if _enum_value(current.retention) != RetentionPolicy.LIMITS.value:
        problems["retention"] = f"{_enum_value(current.retention)}, must be limits"
    missing = [s for s in SUBJECTS if not any(_covers(p, s) for p in current.subjects or ())]
    if missing:
        problems["subjects"] = f"{current.subjects} do not cover {', '.join(missing)}"
    if current.max_age:
        problems["max_age"] = f"{current.max_age} s drops old events, must be 0 (none)"
    limits = {
        "max_msgs": current.max_msgs,
        "max_bytes": current.max_bytes,
        "max_msgs_per_subject": current.max_msgs_per_subject,
    }
    for field, value in limits.items():
        if value is not None and value > 0:
            problems[field] = f"{value} drops old events, must be -1 (unlimited)"
    if current.sealed:
        problems["sealed"] = "a sealed stream takes no new events"
    if current.mirror is not None:
        problems["mirror"] = "a mirror takes no published events"
    return problems


def _changes(current: StreamConfig, desired: StreamConfig) -> dict[str, Any]:
    fields = ("duplicate_window", "num_replicas", "deny_delete", "deny_purge", "allow_rollup_hdrs")
    return {
        field: getattr(desired, field)
        for field in fields
        if getattr(current, field) != getattr(desired, field)
    }


def _covers(pattern: str, subject: str) -> bool:
    """Whether the subject filter ``pattern`` matches every subject ``subject`` matches."""
    wanted, given = subject.split("."), pattern.split(".")
    for index, token in enumerate(given):
        if token == ">":
            return True
        if index >= len(wanted) or wanted[index] == ">":
            return False
        if token not in ("*", wanted[index]) or (wanted[index] == "*" and token != "*"):
            return False
    return len(given) == len(wanted)


def _enum_value(value: object) -> object:
    return getattr(value, "value", value)
