"""What a tracker reports its events to, as a small protocol.

A :class:`~looptui.core.tracker.Tracker` tells the registry it belongs to what happened,
and the :class:`~looptui.core.registry.Registry` holds trackers. Naming the registry's
event side here, below both, keeps the two modules from importing each other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["Emitter"]


class Emitter(Protocol):
    """Something that passes a tracker's events on to listeners (the registry).

    Attributes:
        listeners: Who wants events; when empty, trackers build no event at all.
        routine_listeners: Who also wants the events of every iteration; when empty,
            trackers do not build those.
    """

    @property
    def listeners(self) -> Sequence[Any]: ...
    @property
    def routine_listeners(self) -> Sequence[Any]: ...

    def emit(self, kind: str, tracker: Any, fields: dict[str, Any]) -> None:
        """Hand the event *kind* of *tracker*, with *fields*, to every listener."""
