"""Exponential backoff for reconnect-style retries, with discord.py's delays.

The delay of retry *n* is uniform in ``[0, base * 2**n)`` with *n* capped at 10, and the
exponent resets when more than ``base * 2**11`` seconds pass between retries. Time comes
from :mod:`looptui.core.clock` and randomness from an injectable ``random.Random``, so
tests can make both exact.
"""

from __future__ import annotations

import random
from typing import Callable

from . import clock

__all__ = ["ExponentialBackoff"]


class ExponentialBackoff:
    """Next-delay calculator for retries.

    Args:
        base: The first retry waits up to this many seconds.
        integral: Return whole numbers of ``base`` periods.
        rng: The random generator (a fresh, OS-seeded one by default).
    """

    def __init__(self, base: int = 1, *, integral: bool = False, rng: random.Random | None = None):
        self._base = base
        self._exp = 0
        self._max = 10
        self._reset_time = base * 2**11
        self._last_invocation = clock.now()
        self._rng = rng if rng is not None else random.Random()
        self._draw: Callable[[float, float], float] = (
            # randrange is only used with the integral bounds this mode is given
            self._rng.randrange if integral else self._rng.uniform  # type: ignore[assignment]
        )

    def delay(self) -> float:
        """Return the next delay, growing the exponent (reset after a quiet period)."""
        invocation = clock.now()
        interval = invocation - self._last_invocation
        self._last_invocation = invocation
        if interval > self._reset_time:
            self._exp = 0
        self._exp = min(self._exp + 1, self._max)
        return self._draw(0, self._base * 2**self._exp)
