"""Hand an event to every sink of a session; a sink that raises is dropped, never the others."""

from __future__ import annotations

from typing import Any, Callable

from looptui.session.interface import Sink

__all__ = ["deliver"]


def deliver(sinks: list[Sink], event: dict[str, Any], note: Callable[[str], None]) -> list[Sink]:
    """Send *event* to each of *sinks*; one that raises is removed and *note* says so.
    Returns the sinks removed."""
    removed: list[Sink] = []
    for sink in list(sinks):
        try:
            sink(event)
        except Exception as exc:  # one broken sink must not silence the others
            sinks.remove(sink)
            removed.append(sink)
            note(f"looptui: event sink {sink!r} failed, removed: {exc!r}")
    return removed
