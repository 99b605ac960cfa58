"""Which loop is running right now, as a context variable.

A loop sets :data:`current_tracker` at the top of its task, so the body, its hooks and any
task they create inherit it. Output capture and the blocking watchdog read it to attribute
a ``print``, a log record or a blocked event loop to the loop responsible.
"""

from __future__ import annotations

import contextvars
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from .tracker import Tracker

__all__ = ["current_tracker", "output_redirect"]

current_tracker: contextvars.ContextVar[Tracker | None] = contextvars.ContextVar(
    "looptui_current_tracker", default=None
)

output_redirect: contextvars.ContextVar[Callable[[str, str], bool] | None] = \
    contextvars.ContextVar("looptui_output_redirect", default=None)
"""Where the output capture sends what code running in this context writes instead:
``redirect(stream, text)`` returns True when it took the text. The console sets it for
the statements it runs, so their ``print`` shows in the console, not as a loop's output."""
