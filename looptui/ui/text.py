"""Text from user code, made safe to show: inert escape sequences, never markup.

Everything the user's code controls (loop names, exception messages, tracebacks, captured
output) goes through :func:`looptui.session.output.sanitize.safe_text` and reaches Textual as a
:class:`rich.text.Text`, never as a string that Textual or Rich would parse as markup:
``[red]`` in a loop name is shown as the five characters ``[red]``, and an ESC byte is
shown as ``␛`` and does nothing.
"""

from __future__ import annotations

from typing import Any

from rich.style import Style
from rich.text import Text

from looptui.session.front import one_line, safe_text

__all__ = ["safe_text", "safe", "one_line", "clip"]


def safe(s: Any, style: str | Style = "", limit: int | None = None) -> Text:
    """Sanitised *s* as a :class:`~rich.text.Text` (never parsed as markup)."""
    return Text(safe_text(s, limit), style=style, end="")


def clip(text: str, width: int) -> str:
    """Cut *text* to *width* characters, ending with ``…`` when something was cut."""
    if width <= 0:
        return ""
    if len(text) <= width:
        return text
    return text[: max(0, width - 1)] + "…"
