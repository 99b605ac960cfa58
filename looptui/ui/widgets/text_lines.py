"""A scrollable view of many lines of (already sanitised) rich text, rendered lazily.

Used for captured output and for tracebacks. Only the lines inside the viewport are ever
turned into segments, so a log of thousands of lines or a 1 MB exception message costs
nothing to keep on screen; wrapping is recomputed only when the width changes. Lines far
longer than the screen are cut into screen-wide pieces instead of word-wrapped (fast and
still complete).
"""

from __future__ import annotations

import collections
from typing import Iterable

from rich.cells import cell_len
from rich.segment import Segment
from rich.text import Text
from textual.cache import LRUCache
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

__all__ = ["TextLines"]

_HARD_WRAP = 4000
"""Lines longer than this many characters are cut at the width, not word-wrapped."""


class TextLines(ScrollView, can_focus=True):
    """Lines of :class:`~rich.text.Text`, wrapped to the width, appended or replaced.

    Args:
        max_lines: Keep at most this many logical lines (oldest dropped), or unbounded.
        follow: Stay scrolled to the end as lines arrive, unless the user scrolled up.
        placeholder: Shown (dim) when there are no lines.
        fit_height: When given, the widget is as tall as its wrapped lines, up to this
            many rows (and scrolls beyond that); otherwise its height comes from CSS.
    """

    DEFAULT_CSS = """
    TextLines {
        height: 1fr;
        overflow-x: hidden;
        scrollbar-gutter: stable;
        background: $surface;
    }
    TextLines:focus {
        background-tint: $foreground 4%;
    }
    """

    def __init__(
        self,
        *,
        max_lines: int | None = None,
        follow: bool = True,
        placeholder: str = "",
        fit_height: int | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self._logical: collections.deque[Text] = collections.deque(maxlen=max_lines)
        self._counts: collections.deque[int] = collections.deque(maxlen=max_lines)
        self._visual: list[Text] = []
        self._wrap_width = 0
        self._generation = 0
        self._cache: LRUCache[tuple[int, int], Strip] = LRUCache(256)
        self.follow = follow
        self.placeholder = placeholder
        self.fit_height = fit_height
        self._stick = True
        """Whether the view is pinned to the end (the user has not scrolled up)."""

    # ------------------------------------------------------------------ public
    @property
    def line_count(self) -> int:
        """Logical lines held."""
        return len(self._logical)

    @property
    def plain_lines(self) -> list[str]:
        """The logical lines as plain text (tests, copy)."""
        return [t.plain for t in self._logical]

    def set_lines(self, lines: Iterable[Text]) -> None:
        """Replace everything shown."""
        self._logical.clear()
        self._counts.clear()
        self._visual = []
        self._generation += 1
        self._append(lines)
        self.scroll_to(y=0, animate=False, immediate=True)
        self._after_change(scroll=False)

    def append(self, lines: Iterable[Text]) -> None:
        """Add lines at the end (dropping the oldest beyond ``max_lines``)."""
        if self._append(lines):
            self._after_change(scroll=self.follow and self._stick)

    def clear(self) -> None:
        self.set_lines(())

    def follow_end(self) -> None:
        """Scroll to the last line and stay there as lines arrive."""
        self._stick = True
        self.scroll_end(animate=False, immediate=True, x_axis=False, force=True)
        self.call_after_refresh(self._scroll_to_end)

    # --------------------------------------------------------------- internals
    def _width(self) -> int:
        """Width lines are wrapped to (0 until the widget has been laid out)."""
        return max(0, self.scrollable_content_region.width)

    def _wrap(self, text: Text, width: int) -> list[Text]:
        plain = text.plain
        if len(plain) <= width and "\n" not in plain and cell_len(plain) <= width:
            return [text]
        if len(plain) > _HARD_WRAP:
            # One pass over the text (slicing a Text piece by piece is quadratic).
            return list(text.divide(range(width, len(plain), width))) or [text]
        lines = text.wrap(self.app.console, width, overflow="fold")
        return list(lines) or [Text("")]

    def _append(self, lines: Iterable[Text]) -> bool:
        width = self._wrap_width
        added = False
        maxlen = self._logical.maxlen
        drop = 0
        for text in lines:
            added = True
            if maxlen is not None and len(self._logical) == maxlen:
                drop += self._counts[0]
            self._logical.append(text)
            if width:
                pieces = self._wrap(text, width)
                self._counts.append(len(pieces))
                self._visual.extend(pieces)
            else:  # not laid out yet: wrapped on the first resize
                self._counts.append(0)
        if drop:
            del self._visual[:drop]
            self._generation += 1  # visual indices shifted
        return added

    def _rewrap(self, width: int) -> None:
        self._wrap_width = width
        self._generation += 1
        self._visual = []
        self._counts.clear()
        for text in self._logical:
            pieces = self._wrap(text, width)
            self._counts.append(len(pieces))
            self._visual.extend(pieces)

    def _after_change(self, scroll: bool) -> None:
        self.virtual_size = Size(self._wrap_width, len(self._visual))
        if self.fit_height is not None:
            height = max(1, min(len(self._visual), self.fit_height))
            if self.styles.height is None or self.styles.height.value != height:
                self.styles.height = height
        self.refresh()
        if scroll:
            self.scroll_end(animate=False, immediate=True, x_axis=False, force=True)
            # Once more after the new size is laid out (max_scroll_y may still be stale).
            self.call_after_refresh(self._scroll_to_end)

    def _scroll_to_end(self) -> None:
        if self._stick:
            self.scroll_end(animate=False, immediate=True, x_axis=False, force=True)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        # Keep the thumb right even if we scrolled while the scrollbar was hidden.
        self.vertical_scrollbar.position = new_value
        self._stick = new_value >= self.max_scroll_y - 1

    def on_resize(self) -> None:
        width = self._width()
        if width and width != self._wrap_width:
            self._rewrap(width)
            self._after_change(scroll=self.follow and self._stick)
        elif self.follow and self._stick:
            self.call_after_refresh(self._scroll_to_end)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.size.width
        style = self.rich_style
        if not self._visual:
            if y == 0 and self.placeholder:
                text = Text(self.placeholder, style="dim", end="")
                segments = Segment.apply_style(text.render(self.app.console), style)
                return Strip(segments).crop_extend(0, width, style)
            return Strip.blank(width, style)
        if index >= len(self._visual):
            return Strip.blank(width, style)
        key = (self._generation, index)
        strip = self._cache.get(key)
        if strip is None:
            text = self._visual[index]
            segments = [seg for seg in text.render(self.app.console) if seg.text != "\n"]
            strip = Strip(Segment.apply_style(segments, style))
            self._cache[key] = strip
        return strip.crop_extend(scroll_x, scroll_x + width, style)
