"""Facts read from a foreign loop object: its function, name, schedule, place, times."""

from __future__ import annotations

import datetime
import inspect
from typing import Any

from ..core.schedule import describe_times, format_interval

__all__ = [
    "real_coro", "is_class_template", "describe_schedule", "base_name", "where_defined",
    "timestamp", "utcnow",
]

UTC = datetime.timezone.utc

_DEFAULT_TASK_NAME = "discord-ext-tasks: "
"""discord.py's task name when ``name=`` is not given (followed by the qualified name)."""


def real_coro(loop: Any) -> Any:
    """The user's coroutine function as stored on the loop, never an observing wrapper."""
    return loop.__dict__.get("coro")


def is_class_template(coro: Any) -> bool:
    """A loop defined in a class body: only its per-instance copies are shown.

    A bound method (``tasks.loop(...)(self.method)`` at run time) is not a template.
    """
    if inspect.ismethod(coro):
        return False
    parts = getattr(coro, "__qualname__", "").split(".")
    return len(parts) > 1 and parts[-2] != "<locals>"


def describe_schedule(loop: Any) -> str:
    """``30s`` or ``09:00, 15:00 UTC``, from the loop's public properties."""
    try:
        times = loop.time
        if times:
            return describe_times(times)
        total = (loop.seconds or 0) + (loop.minutes or 0) * 60.0 + (loop.hours or 0) * 3600.0
        return format_interval(total)
    except Exception:  # a subclass with odd properties must not break the monitor
        return ""


def base_name(loop: Any, coro: Any) -> str:
    """discord.py's ``name=`` when given, else the coroutine's qualified name."""
    qualname = getattr(coro, "__qualname__", None) or repr(coro)
    task_name = loop.__dict__.get("_name")
    if isinstance(task_name, str) and task_name != _DEFAULT_TASK_NAME + qualname:
        return task_name
    return qualname


def where_defined(coro: Any) -> tuple[str | None, int | None]:
    """File and first line of the user's coroutine function."""
    func = getattr(coro, "__func__", coro)
    try:
        func = inspect.unwrap(func)
    except Exception:
        pass
    code = getattr(func, "__code__", None)
    return (code.co_filename, code.co_firstlineno) if code is not None else (None, None)


def timestamp(value: Any) -> float | None:
    """Epoch seconds of a library datetime (naive means UTC); ``None`` for MISSING/None."""
    if not isinstance(value, datetime.datetime):
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


def utcnow() -> datetime.datetime:
    """Now, as the libraries read it (``datetime.now`` in UTC)."""
    return datetime.datetime.now(UTC)
