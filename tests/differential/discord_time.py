"""Run discord.py's ``tasks.loop`` on looptui's virtual clock.

discord.py reads the time in three places, none of which goes through the event loop:
``discord.ext.tasks`` calls ``datetime.datetime.now(datetime.timezone.utc)`` (through its
module global ``datetime``), ``discord.utils.compute_timedelta``/``utcnow`` call
``datetime.datetime.now``, and ``discord.backoff`` calls ``time.monotonic``. Each is
replaced, for the duration of :func:`patch_discord_time`, by a shim that reads
:func:`looptui.core.clock.now`, so that discord.py and looptui see one clock and their
traces can be compared.

This lives with the tests, not in the package, because looptui must not import discord.
"""

from __future__ import annotations

import contextlib
import datetime
import random
import types
from typing import Iterator

from looptui.core import clock

__all__ = ["patch_discord_time", "SeededRandom", "seeded_random_module", "READ_LAG"]

READ_LAG = 1e-6
"""How much later than the event loop discord.py's ``tasks`` module sees the clock.

A real event loop wakes a timer a little *after* its deadline, so when discord.py reads
``now`` after sleeping until 09:00:00 it gets 09:00:00.000something and picks the next
slot. The virtual loop wakes exactly on the deadline; read there, discord.py would choose
the same 09:00 slot again and its clock-drift guard would re-sleep zero seconds forever.
One microsecond (the resolution of a datetime) restores the real-world order of events
without moving any timer: sleeps are still computed from the exact virtual time.
"""


class _LaggedDatetime(datetime.datetime):
    """``datetime.datetime`` whose ``now()`` reads the virtual clock (plus READ_LAG)."""

    @classmethod
    def now(cls, tz: datetime.tzinfo | None = None) -> datetime.datetime:  # type: ignore[override]
        return datetime.datetime.fromtimestamp(clock.now() + READ_LAG, tz)


def _datetime_module_shim() -> types.ModuleType:
    shim = types.ModuleType("datetime")
    shim.__dict__.update({k: v for k, v in vars(datetime).items() if not k.startswith("__")})
    shim.datetime = _LaggedDatetime  # type: ignore[attr-defined]
    return shim


def _compute_timedelta(dt: datetime.datetime) -> float:
    """discord.utils.compute_timedelta on the exact virtual clock."""
    if dt.tzinfo is None:
        dt = dt.astimezone()
    now = datetime.datetime.fromtimestamp(clock.now(), datetime.timezone.utc)
    return max((dt - now).total_seconds(), 0)


def _utcnow() -> datetime.datetime:
    return _LaggedDatetime.now(datetime.timezone.utc)


class SeededRandom(random.Random):
    """A ``random.Random`` that seeds itself with 0 when asked for OS entropy.

    ``discord.backoff.ExponentialBackoff`` makes ``random.Random()`` and calls ``seed()``
    with no argument; looptui's backoff makes ``random.Random()``. With this class in place
    of both, their retry delays are the same sequence and runs are repeatable.
    """

    def __init__(self, x: object = None) -> None:
        super().__init__(0 if x is None else x)

    def seed(self, a: object = None, version: int = 2) -> None:  # type: ignore[override]
        super().seed(0 if a is None else a, version)


def seeded_random_module() -> types.SimpleNamespace:
    """A stand-in for the ``random`` module global of a backoff module."""
    return types.SimpleNamespace(Random=SeededRandom)


@contextlib.contextmanager
def patch_discord_time() -> Iterator[None]:
    """Make discord.py's tasks, utils and backoff read looptui's (virtual) clock.

    Also makes discord.py's backoff randomness repeatable (:class:`SeededRandom`).
    Everything is restored on exit.
    """
    import discord.backoff
    import discord.ext.tasks
    import discord.utils

    patches = [
        (discord.ext.tasks, "datetime", _datetime_module_shim()),
        (discord.utils, "compute_timedelta", _compute_timedelta),
        (discord.utils, "utcnow", _utcnow),
        (discord.backoff, "time", types.SimpleNamespace(monotonic=lambda: clock.now())),
        (discord.backoff, "random", seeded_random_module()),
    ]
    saved = [(module, name, getattr(module, name)) for module, name, _ in patches]
    try:
        for module, name, value in patches:
            setattr(module, name, value)
        yield
    finally:
        for module, name, value in reversed(saved):
            setattr(module, name, value)
