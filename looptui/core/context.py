"""Which loop is running right now, as a context variable.

A loop sets :data:`current_tracker` at the top of its task, so the body, its hooks and any
task they create inherit it. Output capture and the blocking watchdog read it to attribute
a ``print``, a log record or a blocked event loop to the loop responsible.
"""

from __future__ import annotations

import contextvars
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .tracker import Tracker

__all__ = ["current_tracker"]

current_tracker: contextvars.ContextVar[Tracker | None] = contextvars.ContextVar(
    "looptui_current_tracker", default=None
)
