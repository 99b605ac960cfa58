"""What counts as a loop in trouble (README "Keys": ``f``), and how bad it is, in one place.

The table's "trouble only" filter (``f``), its "trouble first" order (``o``) and the
header all ask :func:`trouble_rank`, so a new kind of trouble is one more test here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from looptui.core.states import LoopState

from .rows import recently_blocked

if TYPE_CHECKING:
    from looptui.core.tracker import Tracker

__all__ = ["Context", "CALM", "trouble_rank", "in_trouble"]


@dataclass(frozen=True)
class Context:
    """What trouble depends on besides the loop itself.

    Attributes:
        now: The current time (a block counts as recent for a while).
        main_failed: The program's main coroutine failed (a loop still ``waiting`` in
            ``before_loop`` then probably waits for something that will never come).
    """

    now: float
    main_failed: bool = False


CALM = 9
"""The rank of a loop in no trouble (ranks below it are trouble, lower is worse)."""


def trouble_rank(tracker: Tracker, context: Context) -> int:
    """How bad *tracker*'s trouble is: 0 failed, 1 retrying or stuck, 2 blocked the event
    loop lately, 3 waiting on a failed main, 4 errors since it started, :data:`CALM` none."""
    state = tracker.state
    if state is LoopState.FAILED:
        return 0
    notes = tracker.notes
    if state is LoopState.RETRYING or (notes.get("stuck") and state is LoopState.RUNNING):
        return 1
    if notes and recently_blocked(tracker, context.now):
        return 2
    if context.main_failed and state is LoopState.WAITING:
        return 3
    if tracker.failures or tracker.retries:
        return 4
    return CALM


def in_trouble(tracker: Tracker, context: Context) -> bool:
    """Whether *tracker* is one the "trouble only" filter keeps."""
    return trouble_rank(tracker, context) < CALM
