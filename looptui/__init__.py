"""looptui: a terminal UI monitor for live background loops.

The public API is the loop engine — a drop-in for ``discord.ext.tasks`` — and the records
the monitor shows. Importing this package never imports the UI (Textual).
"""

from __future__ import annotations

from typing import Any

from . import tasks
from .core.backoff import ExponentialBackoff
from .core.loop import Loop, loop
from .core.records import ExceptionInfo, IterationRecord
from .core.registry import REGISTRY, Registry
from .core.schedule import is_ambiguous, is_imaginary, resolve_datetime
from .core.states import LoopState
from .core.tracker import Stats, Tracker


def __getattr__(name: str) -> Any:
    """``__version__``, read from the package metadata on first use (see
    :func:`~looptui.core.version.looptui_version`: reading it eagerly would cost every
    start of the monitor the import of ``importlib.metadata``)."""
    if name == "__version__":
        from .core.version import looptui_version

        value = looptui_version()
        globals()["__version__"] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "loop", "Loop", "LoopState", "tasks", "ExponentialBackoff", "ExceptionInfo",
    "IterationRecord", "Registry", "REGISTRY", "Stats", "Tracker",
    "is_ambiguous", "is_imaginary", "resolve_datetime", "__version__",
]
