"""The log pane (``l``): captured output of every loop, tagged with the loop's name.

It reads the same bounded buffers as the rest of the monitor (each tracker's ``output``
ring and the session's ``general_output``) and only while it is shown. Per refresh tick it
takes at most :data:`MAX_LINES_PER_TICK` new lines; a loop that prints faster than that
is shown as "N lines skipped" instead of flooding the screen (and the event loop).
"""

from __future__ import annotations

import datetime
import hashlib
import itertools
from typing import TYPE_CHECKING, Any, Iterable

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from ..process_column import output_tag, shows_processes
from ..text import safe_text
from .text_lines import TextLines

if TYPE_CHECKING:
    from looptui.core.tracker import Tracker

__all__ = ["LogPane", "output_lines", "name_style"]

GENERAL_TAG = "·"
"""Tag of output that no loop produced (module import, ``--main``, other tasks)."""
TAG_WIDTH = 24
"""Widest loop-name column in the log pane."""
MAX_LINES_PER_TICK = 400
"""New lines taken per refresh tick; beyond this, lines are counted as skipped."""
KEEP_LINES = 3000
"""Lines the pane keeps for scrolling back."""

_PALETTE = ("cyan", "magenta", "green", "yellow", "bright_blue", "bright_magenta",
            "bright_cyan", "bright_green", "dark_orange", "orchid")
_STREAM_STYLE = {"stderr": "red", "logging": "", "stdout": ""}


def name_style(name: str) -> str:
    """A stable colour per loop name, so one loop's lines are easy to follow."""
    digest = hashlib.blake2s(name.encode("utf-8", "replace"), digest_size=2).digest()
    return _PALETTE[int.from_bytes(digest, "big") % len(_PALETTE)]


def output_lines(
    entries: Iterable[tuple[float, str, str]],
    tag: str | None,
    tz: datetime.tzinfo | None,
    tag_width: int = 0,
) -> list[Text]:
    """Turn ``(time, stream, text)`` entries into display lines ``HH:MM:SS tag │ text``.

    Args:
        entries: ``(epoch seconds, stream, text)`` as kept by trackers and the session.
        tag: The loop's name (``None``: no tag column, as in a loop's own details).
        tz: Time zone of the timestamps (``None``: local).
        tag_width: Pad (or cut) the tag to this many characters, so columns line up.

    Multi-line entries become several lines; continuation lines are indented.
    """
    lines: list[Text] = []
    tag_text = None
    if tag is not None:
        tag_text = safe_text(tag, 40)
        if tag_width:
            tag_text = tag_text[:tag_width].ljust(tag_width)
    tag_style = name_style(tag) if tag and tag != GENERAL_TAG else "dim"
    for ts, stream, raw in entries:
        when = datetime.datetime.fromtimestamp(ts, tz)
        stamp = when.strftime("%H:%M:%S")
        body = safe_text(raw, 20_000).rstrip("\n")
        style = _STREAM_STYLE.get(stream, "")
        first = True
        for part in body.split("\n") or [""]:
            line = Text(end="")
            if first:
                line.append(stamp, style="dim")
                line.append(" ")
            else:
                line.append(" " * (len(stamp) + 1))
            if tag_text is not None:
                line.append(tag_text if first else " " * len(tag_text), style=tag_style)
                line.append(" │ ", style="dim")
            line.append(part, style=style)
            lines.append(line)
            first = False
    return lines


class LogPane(Vertical):
    """A titled panel of everyone's output; call :meth:`collect` on each refresh tick."""

    DEFAULT_CSS = """
    LogPane {
        height: 40%;
        min-height: 5;
        border-top: solid $primary;
        display: none;
    }
    LogPane.-shown {
        display: block;
    }
    LogPane > TextLines {
        padding: 0 0 0 1;
    }
    LogPane > #log-title {
        height: 1;
        color: $text-muted;
        padding: 0 1;
    }
    """

    def __init__(self, *, tz: datetime.tzinfo | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        self.tz = tz
        self._seen: dict[int, tuple[Any, int]] = {}
        """id(tracker) -> (tracker, output_total already shown)."""
        self._general_last: object = None
        self.skipped = 0
        """Lines not shown because they came faster than the pane shows them."""
        self._lines = TextLines(max_lines=KEEP_LINES, placeholder="No output yet.",
                                id="log-lines")

    def compose(self) -> ComposeResult:
        yield Static(Text("Output of all loops — l to hide", end=""), id="log-title")
        yield self._lines

    @property
    def lines(self) -> TextLines:
        """The view of the lines (kept, so that a late refresh tick never queries)."""
        return self._lines

    @property
    def shown(self) -> bool:
        return self.has_class("-shown")

    def collect(self, trackers: list[Tracker], general: Iterable[tuple[float, str, str]]) -> None:
        """Append output produced since the last call (bounded per call)."""
        batch: list[tuple[float, str, str, str | None]] = []
        skipped = 0
        seen = self._seen
        with_process = shows_processes(trackers)
        for tracker in trackers:
            total = tracker.output_total
            entry = seen.get(id(tracker))
            before = entry[1] if entry is not None and entry[0] is tracker else 0
            if total == before:
                continue
            seen[id(tracker)] = (tracker, total)
            output = tracker.output
            new = total - before
            take = min(new, len(output), MAX_LINES_PER_TICK)
            skipped += new - take
            name = output_tag(tracker, with_process)
            for ts, stream, text in itertools.islice(output, len(output) - take, None):
                batch.append((ts, stream, text, name))
        if len(seen) > len(trackers):  # forget loops that are gone
            alive = {id(t) for t in trackers}
            for key in [k for k in seen if k not in alive]:
                del seen[key]
        fresh = self._new_general(general)
        batch.extend((ts, stream, text, None) for ts, stream, text in fresh)
        if len(batch) > MAX_LINES_PER_TICK:
            batch.sort(key=lambda e: e[0])
            skipped += len(batch) - MAX_LINES_PER_TICK
            batch = batch[-MAX_LINES_PER_TICK:]
        else:
            batch.sort(key=lambda e: e[0])
        lines: list[Text] = []
        if batch:  # as wide as the longest tag of any loop, so the column stays put
            longest = max((len(output_tag(t, with_process)) for t in trackers), default=1)
            width = max(1, min(TAG_WIDTH, longest))
        if skipped:
            self.skipped += skipped
            lines.append(Text(f"… {skipped:,} lines skipped (output faster than shown)",
                              style="dim italic", end=""))
        for ts, stream, text, tag in batch:
            lines.extend(output_lines([(ts, stream, text)],
                                      tag if tag is not None else GENERAL_TAG,
                                      self.tz, width))
        if lines:
            self.lines.append(lines)

    def _new_general(
        self, general: Iterable[tuple[float, str, str]]
    ) -> list[tuple[float, str, str]]:
        """Lines of *general* not shown yet (found by identity of the last one shown)."""
        items = list(general) if not isinstance(general, list) else general
        if not items:
            return []
        last = self._general_last
        self._general_last = items[-1]
        if last is None:
            return items[-MAX_LINES_PER_TICK:]
        fresh: list[tuple[float, str, str]] = []
        for item in reversed(items):
            if item is last:
                break
            fresh.append(item)
            if len(fresh) >= MAX_LINES_PER_TICK:
                break
        fresh.reverse()
        return fresh
