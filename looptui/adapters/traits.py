"""What differs between the libraries' ``Loop`` classes, found by looking at the class."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

__all__ = ["LibraryTraits"]


class LibraryTraits:
    """Per hooked class: the source name and the behaviours the adapter depends on.

    Attributes:
        source: ``discord.py``, ``nextcord``, ``disnake`` or ``py-cord``.
        slots_from_clock: ``time=`` slots are computed from the clock alone
            (``_get_next_sleep_time(now=…)``, discord.py), so the schedule of a paused
            ``time=`` loop can be moved safely; the others keep a slot index.
        default_error_code: Code of the class's own default error handler, to recognise
            nextcord's failure to call it on a class-bound loop.
        guards_change_interval: ``change_interval`` on a running loop is safe before its
            first iteration (discord.py, disnake). nextcord and py-cord then add the
            interval to a time they do not have yet, and fail half-way.
    """

    def __init__(self, cls: type, source: str) -> None:
        self.source = source
        lib: Any = cls  # the library's Loop class, read by name
        params: Mapping[str, Any]
        try:
            params = inspect.signature(lib._get_next_sleep_time).parameters
        except (TypeError, ValueError, AttributeError):
            params = {}
        self.slots_from_clock = "now" in params
        default_error = cls.__dict__.get("_error")
        self.default_error_code = getattr(default_error, "__code__", None)
        self.guards_change_interval = source not in ("nextcord", "py-cord")
