"""Hand a loop's identity over from the old code to the new one during a reload.

* :func:`hide` / :func:`show`: while the new code is imported, the old generation's
  trackers leave the registry's name table (so the new loops get the very same display
  names, ``heartbeat`` and not ``heartbeat#2``) but keep reporting events; after a failed
  import they are put back, in their order.
* :func:`carry_over`: the new tracker takes the old one's counters, history, distinct
  exceptions and output, merged in time order (the new loop may already have run).
* :func:`release`: an old tracker's recorded exceptions keep their formatted traceback
  but drop the exception object, whose frames would keep the old module alive — after
  many reloads that would be many copies of the user's program.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:
    from looptui.core.registry import Registry
    from looptui.core.tracker import Tracker

__all__ = ["hide", "show", "carry_over", "release"]


def hide(registry: Registry, trackers: Iterable[Tracker]) -> None:
    """Take *trackers* out of the name table; they stay attached for their events."""
    registry.hide(list(trackers))


def show(registry: Registry, trackers: Iterable[Tracker]) -> None:
    """Put hidden *trackers* back first in the table, ahead of any listed since."""
    registry.show(list(trackers))


def carry_over(new: Tracker, old: Tracker) -> None:
    """Give *new* the counters, history, exceptions and output of *old* (same loop)."""
    new.adopt_history(old)


def release(tracker: Tracker) -> None:
    """Format *tracker*'s exceptions now and let go of the exception objects."""
    infos = list(tracker.exceptions)
    infos.extend(tracker.history.exceptions())
    if tracker.last_exception is not None:
        infos.append(tracker.last_exception)
    for info in infos:
        if info.exc is not None:
            _ = info.traceback  # formats and keeps the text
            info.exc = None
