"""looptui's terminal UI (Textual): the only package of looptui that imports textual.

``looptui.ui.format`` and ``looptui.ui.interval_parse`` are pure helpers that do not
import textual, so importing them (or this package) stays cheap; the app itself is
loaded on first use of :data:`LoopTuiApp`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import LoopTuiApp

__all__ = ["LoopTuiApp"]


def __getattr__(name: str) -> Any:
    if name == "LoopTuiApp":
        from .app import LoopTuiApp

        return LoopTuiApp
    raise AttributeError(name)
