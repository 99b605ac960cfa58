"""What the main screen shows instead of an empty table."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Static

from ..text import one_line

__all__ = ["EmptyHint", "no_loops_text", "no_match_text", "no_trouble_text"]


def no_loops_text(module: str, reason: Any = None) -> Text:
    """The empty table: why there are no loops (*reason*: ``what`` and ``then``, from the
    session) or, when the program simply defines none, how to write one."""
    text = Text(justify="center", end="")
    if reason is not None:
        text.append("No loops yet in ", style="bold")
        text.append(one_line(module, 80), style="bold cyan")
        text.append("\n\n", style="bold")
        text.append(one_line(str(reason.what), 300), style="")
        text.append("\n" + one_line(str(reason.then), 200), style="bold")
        text.append("\n\nl log · ? help · q quit", style="dim")
        return text
    text.append("No loops found in ", style="bold")
    text.append(one_line(module, 80), style="bold cyan")
    text.append(".\n\n", style="bold")
    text.append("Decorate a coroutine with @loop(seconds=…) (from looptui, or "
                "discord.ext.tasks)\nat module level or on a class, and save the file:\n"
                "looptui reloads it and the loops appear here.", style="")
    text.append("\n\n? help · q quit", style="dim")
    return text


def no_match_text(needle: str) -> Text:
    text = Text(justify="center", end="")
    text.append("No loop name contains ", style="")
    text.append(repr(one_line(needle, 60)), style="bold")
    text.append("\nesc clears the filter", style="dim")
    return text


def no_trouble_text(needle: str = "") -> Text:
    """Nothing to show with "trouble only" on: good news, and how to see every loop."""
    text = Text(justify="center", end="")
    text.append("No loop is in trouble", style="bold")
    if needle:
        text.append(" among those whose name contains ")
        text.append(repr(one_line(needle, 60)), style="bold")
    text.append(".\nf shows every loop again", style="dim")
    return text


class EmptyHint(Static):
    """A centred hint (no loops, or no loop matching the filter)."""

    DEFAULT_CSS = """
    EmptyHint {
        width: 100%;
        height: 1fr;
        content-align: center middle;
        display: none;
        color: $text;
    }
    EmptyHint.-shown {
        display: block;
    }
    """
