"""Reading what the real app shows in Pilot tests: a widget's plain text, waiting on a condition."""

from __future__ import annotations

import io
from typing import Any, Callable

from rich.console import Console
from rich.text import Text
from textual.pilot import Pilot

from polling import until_drawn


def plain(widget: Any) -> str:
    """What a Static shows, as plain text (Rich tables rendered 300 columns wide)."""
    content = widget.content
    if isinstance(content, Text):
        return content.plain
    console = Console(width=300, file=io.StringIO(), color_system=None)
    with console.capture() as capture:
        console.print(content)
    return capture.get()


async def until(pilot: Pilot, predicate: Callable[[], object], rounds: int = 400) -> None:
    """Let the app and the loops run until *predicate* holds (bounded)."""
    await until_drawn(pilot, predicate, rounds=rounds, pause=0.02)
