"""Clocks: the only place the service reads time. The domain receives instants as arguments."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol

__all__ = ["Clock", "ClockMovedBackwards", "FixedClock", "SimulatedClock", "SystemClock"]


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware (UTC)."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """Always the same instant: for tests that must not depend on today."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("a clock needs an aware instant")
        self._at = at.astimezone(UTC)

    def now(self) -> datetime:
        return self._at


class ClockMovedBackwards(ValueError):
    """Simulated time only moves forward: recorded events must stay in time order."""


class SimulatedClock:
    """Time that advances only when told to (``serve --clock simulated``); never backwards."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("a clock needs an aware instant")
        self._at = start.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._at

    def advance(self, by: timedelta) -> datetime:
        if by < timedelta(0):
            raise ClockMovedBackwards(f"cannot move time back by {-by}")
        with self._lock:
            self._at += by
            return self._at

    def set(self, to: datetime) -> datetime:
        if to.tzinfo is None:
            raise ValueError("a clock needs an aware instant")
        with self._lock:
            if to < self._at:
                raise ClockMovedBackwards(f"{to.isoformat()} is before {self._at.isoformat()}")
            self._at = to.astimezone(UTC)
            return self._at
