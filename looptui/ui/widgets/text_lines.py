"""A scrollable view of many lines of (already sanitised) rich text, rendered lazily.

Used for captured output and for tracebacks. Only the lines inside the viewport are ever
turned into segments, so a log of thousands of lines or a 1 MB exception message costs
nothing to keep on screen; wrapping is recomputed only when the width changes. Lines far
longer than the screen are cut into screen-wide pieces instead of word-wrapped (fast and
still complete).

For huge content (a 200,000-line exception message) even making one ``Text`` per line
and wrapping it stalls every loop for seconds. :meth:`TextLines.set_lazy` takes plain
strings and a function styling one line: rows are counted from string lengths (cut at
the width, not word-wrapped) and a line becomes ``Text`` only when it is on screen.
"""

from __future__ import annotations

import bisect
import collections
import itertools
from typing import Callable, Iterable, Sequence

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
        self._lazy: Sequence[str | Text] | None = None
        self.styler: Callable[[int, str], Text] | None = None
        """Lazy mode (:meth:`set_lazy`): styles a plain line when it is drawn."""
        self._ends: list[int] = []  # lazy mode: visual row just past each line

    # ------------------------------------------------------------------ public
    @property
    def line_count(self) -> int:
        """Logical lines held."""
        return len(self._lazy) if self._lazy is not None else len(self._logical)

    @property
    def plain_lines(self) -> list[str]:
        """The logical lines as plain text (tests, copy)."""
        if self._lazy is not None:
            return [x if isinstance(x, str) else x.plain for x in self._lazy]
        return [t.plain for t in self._logical]

    def set_lazy(self, lines: Sequence[str | Text], styler: Callable[[int, str], Text]) -> None:
        """Replace everything shown with *lines*, styled only when drawn.

        Args:
            lines: Plain strings (one line each, already sanitised) or ready ``Text``.
            styler: ``styler(index, line)`` turns the plain line at *index* into ``Text``.
        """
        self._logical.clear()
        self._counts.clear()
        self._visual = []
        self._lazy = lines
        self.styler = styler
        self._generation += 1
        self._count_rows()
        self.scroll_to(y=0, animate=False, immediate=True)
        self._after_change(scroll=False)

    def _count_rows(self) -> None:
        lines, width = self._lazy, self._wrap_width
        if lines is None:
            return
        if not width:
            self._ends = []
            return
        self._ends = list(itertools.accumulate(
            max(1, -(-len(x if isinstance(x, str) else x.plain) // width)) for x in lines
        ))

    def _rows(self) -> int:
        if self._lazy is not None:
            return self._ends[-1] if self._ends else 0
        return len(self._visual)

    def set_lines(self, lines: Iterable[Text]) -> None:
        """Replace everything shown."""
        self._lazy = None
        self.styler = None
        self._ends = []
        self._logical.clear()
        self._counts.clear()
        self._visual = []
        self._generation += 1
        self._append(lines)
        self.scroll_to(y=0, animate=False, immediate=True)
        self._after_change(scroll=False)

    def append(self, lines: Iterable[Text]) -> None:
        """Add lines at the end (dropping the oldest beyond ``max_lines``)."""
        if self._lazy is not None:  # leave lazy mode, keeping what was shown
            self.set_lines([x if isinstance(x, Text) else Text(x, end="")
                            for x in self._lazy])
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
        if self._lazy is not None:
            self._count_rows()
            return
        self._visual = []
        self._counts.clear()
        for text in self._logical:
            pieces = self._wrap(text, width)
            self._counts.append(len(pieces))
            self._visual.extend(pieces)

    def _after_change(self, scroll: bool) -> None:
        rows = self._rows()
        self.virtual_size = Size(self._wrap_width, rows)
        if self.fit_height is not None:
            height = max(1, min(rows, self.fit_height))
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
        rows = self._rows()
        if not rows:
            if y == 0 and self.placeholder:
                text = Text(self.placeholder, style="dim", end="")
                segments = Segment.apply_style(text.render(self.app.console), style)
                return Strip(segments).crop_extend(0, width, style)
            return Strip.blank(width, style)
        if index >= rows:
            return Strip.blank(width, style)
        key = (self._generation, index)
        strip = self._cache.get(key)
        if strip is None:
            text = self._visual[index] if self._lazy is None else self._lazy_row(index)
            segments = [seg for seg in text.render(self.app.console) if seg.text != "\n"]
            strip = Strip(Segment.apply_style(segments, style))
            self._cache[key] = strip
        return strip.crop_extend(scroll_x, scroll_x + width, style)

    def _lazy_row(self, index: int) -> Text:
        """Visual row *index* in lazy mode: its line styled, then the row's piece of it."""
        assert self._lazy is not None and self.styler is not None
        line_no = bisect.bisect_right(self._ends, index)
        first = self._ends[line_no - 1] if line_no else 0
        item = self._lazy[line_no]
        text = self.styler(line_no, item) if isinstance(item, str) else item
        width = self._wrap_width
        if len(text.plain) <= width:
            return text
        start = (index - first) * width
        return text[start:start + width]
