"""The live table of loops: one keyed row per tracker (key = the loop's unique name).

The table is redrawn from registry snapshots on the app's refresh tick, and the work per
tick is bounded by what is on screen, not by how many loops exist or how often they run:

* membership (rows added or removed) is reconciled only when ``Registry.version`` changed
  or the filter changed; rows that stay keep their key, and rows are appended in bulk;
* when sorted (``o``, a click on a column header) or showing trouble only (``f``), rows
  are also re-sorted and re-filtered when some loop changed (the sum of the trackers'
  versions moved) and once a second; a row that moves keeps its key and its drawn
  cells (only the row order changes), and the cursor stays on the same loop;
* only rows inside the viewport are looked at; a row whose ``Tracker.version`` did not
  change only has its two time-dependent cells (Next, Last) recomputed;
* only cells whose text or style changed are written, and the row is repainted once, so
  a tick where nothing visible changed repaints nothing;
* a tick redraws at most a budget of rows (resuming where it stopped next time), so rows
  that all change at once are spread over a few ticks instead of one long frame;
* columns have fixed widths chosen here, so no cell is ever measured by the table; they
  share the width by priority (:mod:`looptui.ui.column_layout`), recomputed only when the
  width, the columns or a column's widest text changed: lower columns are dropped rather
  than scrolled sideways, and the header says how many (``→`` shows them).

Rows scrolled into view are filled at once (from :meth:`watch_scroll_y`), so a row is
never seen stale for more than the frame in which it appears.

Drawing is specialised too. ``DataTable.update_cell`` invalidates every cached cell of
the table and renders each visible cell through Rich's layout machinery again (tens of
milliseconds per frame for a screenful of rows, measured), which would delay the very
loops being watched. This subclass keeps DataTable's model (``_data``, row and column
keys), cursor, bindings and messages, but repaints only the rows it changed, and
:meth:`_render_line` draws a row of one-line cells directly from cached per-cell
segments, caching each row's strip until that row changes. It relies on DataTable
internals of the pinned Textual version (8.2.8); ``tests/test_ui_table.py`` guards them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Iterable

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Region
from textual.message import Message
from textual.strip import Strip
from textual.widgets import DataTable
from textual.widgets.data_table import (
    CellDoesNotExist,
    Column,
    ColumnKey,
    DuplicateKey,
    Row,
    RowKey,
)

from looptui.core import clock

from ..colours import colours_of
from ..column_layout import ColumnFit, fit, hidden_hint
from ..process_column import loop_label, matches, shows_processes
from ..rows import Cell, columns_for, row_cells, time_cells
from ..sort_orders import BY_COLUMN, DEFINITION, ORDERS, SortOrder, sort_trackers
from ..text import one_line
from ..trouble import Context, in_trouble

if TYPE_CHECKING:
    from looptui.core.tracker import Tracker
    from looptui.session.interface import LoopDirectory

__all__ = ["LoopTable"]

_MIN_WIDTH = {"loop": 8, "process": 7, "status": 9, "iter": 4, "every": 5, "next": 5, "last": 7,
              "took": 5, "errors": 6, "exception": 14}
"""Starting widths (cells) of the columns; each grows to fit what it shows."""
_MAX_WIDTH = {"loop": 120, "process": 60, "status": 12, "iter": 13, "every": 60, "next": 7,
              "last": 8, "took": 7, "errors": 8, "exception": 300}
"""The most a column's wanted width grows to; :func:`~looptui.ui.column_layout.fit`
decides how much of it is shown (longer text is cut with ``…``; details show it whole)."""

_REBUILD_REMOVALS = 32
"""Above this many rows removed in one tick, the table is rebuilt instead (cheaper)."""

_RESORT_EVERY = 1.0
"""Seconds after which a sorted or trouble-only table is re-sorted even if no loop changed
(whether a loop blocked the event loop "lately" changes with time alone)."""

_EMPTY = Text("", end="")


class LoopTable(DataTable):
    """One row per monitored loop: Loop, Status, Iter, Every, Next, Last, Took, Errors,
    Last exception (those that fit; see :mod:`looptui.ui.column_layout`).

    | Key(s) | Description |
    | :- | :- |
    | up, k | Select the loop above. |
    | down, j | Select the loop below. |
    | enter | Open the selected loop's details. |
    | home, g / end, G | Select the first / last loop. |
    | right / left | Show the columns hidden for want of room / the usual ones. |

    A click selects a row; a click on the selected row (or a double click) opens it; a
    click on a column header sorts by that column (:class:`SortRequested`). A Process
    column follows Loop while the loops come from several programs
    (:mod:`looptui.ui.process_column`).
    """

    class SortRequested(Message):
        """A column header was clicked: the app should sort by :attr:`order`."""

        def __init__(self, table: LoopTable, order: str) -> None:
            super().__init__()
            self.table = table
            self.order = order
            """Id of the order (a key of :data:`looptui.ui.sort_orders.ORDERS`)."""

        @property
        def control(self) -> LoopTable:
            return self.table

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("enter", "app.details", "Details", tooltip="Open the selected loop's details",
                id="details"),
        Binding("home,g", "first", "First", key_display="g/home", show=False, id="first",
                tooltip="Select the first loop"),
        Binding("end,G", "last", "Last", key_display="G/end", show=False, id="last",
                tooltip="Select the last loop"),
        Binding("right", "columns_page(1)", "More columns", key_display="→", show=False,
                id="columns", tooltip="Show the columns hidden on a narrow terminal (← back)"),
        Binding("left", "columns_page(0)", "Usual columns", key_display="←", show=False),
    ]

    DEFAULT_CSS = """
    LoopTable {
        height: 1fr;
        max-height: 100%;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, id=id)
        self._trackers: dict[str, Tracker] = {}
        """Rows present, by key (the loop's unique name)."""
        self._order: list[str] = []
        """Row keys in display order (index = row index)."""
        self._drawn: dict[str, int] = {}
        """``Tracker.version`` each row was last drawn at (``-1``: never filled)."""
        self._cells: dict[str, list[Cell]] = {}
        """What each row's cells show now, to skip updates that change nothing."""
        self._registry_version = -1
        self._filter = ""
        self._sort: SortOrder = DEFINITION
        self._trouble_only = False
        self.main_failed = False
        """The program's main coroutine failed (loops waiting on it count as trouble);
        set by the app."""
        self._view_key: tuple[object, ...] = ()
        """What the rows were last sorted and filtered from (see :meth:`sync`)."""
        self._view_dirty = False
        """The order or "trouble only" changed: reconcile on the next :meth:`sync`."""
        self._hidden = 0
        self._widths: dict[str, int] = dict(_MIN_WIDTH)
        """Width each column would like (grows to fit what it has shown, up to a cap)."""
        self._fit = ColumnFit({})
        """Columns on screen and their widths (see :meth:`_layout`)."""
        self._fit_key: tuple[object, ...] = ()
        """What :attr:`_fit` was computed from (width, wanted widths, page)."""
        self._page = 0
        """``1`` while the columns hidden for want of room are shown (``→``)."""
        self._widths_dirty = False
        self.registry: LoopDirectory | None = None
        """Where rows come from; set by the app before the first :meth:`sync`."""
        self._resume = 0
        """Where the next budgeted scan of the visible rows starts."""
        self._line_style: Style | None = None
        self._columns_at: tuple[int, list[tuple[Column, int]]] = (-1, [])
        self._row_keys: dict[str, RowKey] = {}
        self._with_process = False
        """Whether the Process column is shown (loops of two programs or more)."""
        self._set_keys(False)
        self._row_gen: dict[RowKey, int] = {}
        """Bumped when a row's content changes: part of its cached strip's key."""
        self._strips: LRUCache[tuple[object, ...], Strip] = LRUCache(1024)
        self._cell_segments: LRUCache[tuple[object, ...], tuple[object, list[Segment]]] = (
            LRUCache(8192)
        )

    # ------------------------------------------------------------------ setup
    def on_mount(self) -> None:
        self._add_columns()

    def _set_keys(self, with_process: bool) -> None:
        """Choose the columns (and where Next, Last and Last exception are among them)."""
        self._with_process = with_process
        self._keys = [key for key, _ in columns_for(with_process)]
        self._column_keys: list[ColumnKey] = [ColumnKey(key) for key in self._keys]
        self._next = self._keys.index("next")
        self._last = self._keys.index("last")
        self._labels = dict(columns_for(with_process))

    def _add_columns(self) -> None:
        """Add the columns of the last fit (all of them before the first one)."""
        shown = self._fit.widths or {key: self._widths[key] for key in self._keys}
        for key, width in shown.items():
            self.add_column(self._label(key, width), key=key, width=width)

    def _label(self, key: str, width: int) -> Text:
        """A column's header label; the last one says how many columns are hidden."""
        text = Text(self._labels[key], end="")
        if key == next(reversed(self._fit.widths), None):
            hidden = len(self._fit.hidden)
            hint = hidden_hint(hidden, self._page, width - text.cell_len - 2)
            if not hint and (hidden or self._page):  # what is hidden (or the way back)
                hint = hidden_hint(hidden, self._page, 5)  # must stay visible (short):
                room = width - len(hint) - 2  # the label gives way instead
                text = Text(self._labels[key][:max(0, room - 1)] + "…" if room > 1 else "",
                            end="")
            if hint:
                text.append(" " * max(1, width - text.cell_len - len(hint)))
                text.append(hint, style="dim")
        return text

    def _show_process(self, on: bool, trackers: list[Tracker], now: float) -> None:
        """Add or remove the Process column: the table is rebuilt with the new columns
        (the cursor stays on the loop it was on)."""
        selected = self.selected_name
        self._set_keys(on)
        self._trackers.clear()
        self._order = []
        self._drawn.clear()
        self._cells.clear()
        self._row_keys.clear()
        self.clear(columns=True)
        self._fit = ColumnFit({})
        self._fit_key = ()
        self._add_columns()
        self._widths_dirty = True
        self._rebuild(self._wanted(trackers, now))
        self.select(selected)

    # ---------------------------------------------------------------- reading
    @property
    def names(self) -> list[str]:
        """Loop names in row order (only those matching the filter)."""
        return list(self._order)

    @property
    def selected_name(self) -> str | None:
        """Name of the loop under the cursor, or ``None`` when the table is empty."""
        if not self._order:
            return None
        row = min(max(self.cursor_row, 0), len(self._order) - 1)
        return self._order[row]

    @property
    def filter_text(self) -> str:
        return self._filter

    @property
    def shows_process(self) -> bool:
        """Whether the Process column is shown."""
        return self._with_process

    @property
    def shown_columns(self) -> list[str]:
        """Keys of the columns on screen, in order."""
        return [str(column.key.value) for column in self.ordered_columns]

    @property
    def hidden_columns(self) -> tuple[str, ...]:
        """Keys of the columns left out for want of room."""
        return self._fit.hidden

    @property
    def row_order(self) -> SortOrder:
        """How rows are ordered now."""
        return self._sort

    @property
    def trouble_only(self) -> bool:
        """Whether only loops in trouble are shown (``f``)."""
        return self._trouble_only

    @property
    def hidden_count(self) -> int:
        """Loops not shown because of the name filter or "trouble only"."""
        return self._hidden

    def shown_cells(self, name: str) -> list[str]:
        """The texts the row of *name* shows now (for tests and screenshots)."""
        return [text for text, _ in self._cells.get(name, [])]

    def visible_range(self) -> range:
        """Row indices inside the viewport."""
        header = self.header_height if self.show_header else 0
        height = max(0, self.scrollable_content_region.height - header)
        first = max(0, int(self.scroll_y))
        return range(first, min(len(self._order), first + height + 1))

    # ---------------------------------------------------------------- writing
    def set_filter(self, text: str) -> None:
        """Show only loops whose name (or program label, with the Process column)
        contains *text* (case-insensitive)."""
        text = text.strip().lower()
        if text == self._filter:
            return
        self._filter = text
        if self.registry is not None:
            self._rebuild(self._wanted(self.registry.trackers(), clock.now()))
            self.sync()

    def set_sort(self, order: str) -> None:
        """Order rows by *order* (an id of :data:`~looptui.ui.sort_orders.ORDERS`),
        keeping the cursor on the loop it is on."""
        self._sort = ORDERS[order]
        self._view_dirty = True
        self.sync()

    def set_trouble_only(self, on: bool) -> None:
        """Show only the loops in trouble (or all of them again)."""
        self._trouble_only = bool(on)
        self._view_dirty = True
        self.sync()

    def select(self, name: str | None = None, index: int | None = None) -> None:
        """Move the cursor to the row of *name* (or to row *index*)."""
        if name is not None and name in self._trackers:
            index = self._order.index(name)
        if index is not None and 0 <= index < len(self._order):
            self.move_cursor(row=index, animate=False)

    def sync(self, now: float | None = None, budget: int | None = None) -> None:
        """Bring the table up to date with the registry; cheap when nothing changed.

        Args:
            now: The time to compute countdowns from (default: the clock).
            budget: Redraw at most this many rows now (the rest on later calls);
                ``None`` redraws every visible row that changed.
        """
        registry = self.registry
        if registry is None:
            return
        now = clock.now() if now is None else now
        if registry.version != self._registry_version:
            trackers = registry.trackers()
            if shows_processes(trackers) != self._with_process:
                self._registry_version = registry.version
                self._view_dirty = False
                self._show_process(not self._with_process, trackers, now)
        if self._sort is not DEFINITION or self._trouble_only:
            trackers = registry.trackers()
            key = (registry.version, sum(t.version for t in trackers),
                   int(now // _RESORT_EVERY), self.main_failed)
            if key != self._view_key or self._view_dirty:
                self._view_key = key
                self._view_dirty = False
                self._registry_version = registry.version
                self._reconcile(self._wanted(trackers, now), len(trackers))
        elif registry.version != self._registry_version or self._view_dirty:
            self._view_dirty = False
            self._registry_version = registry.version
            trackers = registry.trackers()
            self._reconcile(self._wanted(trackers, now), len(trackers))
        self._sync_rows(self.visible_range(), now, budget)

    def relayout(self) -> None:
        """Share the table's width among the columns again (after a resize)."""
        self._layout()

    def action_first(self) -> None:
        """Select the first loop."""
        if self._order:
            self.move_cursor(row=0, animate=False)

    def action_last(self) -> None:
        """Select the last loop."""
        if self._order:
            self.move_cursor(row=len(self._order) - 1, animate=False)

    def action_columns_page(self, page: int) -> None:
        """Show the columns hidden for want of room (``1``), or the usual ones (``0``)."""
        if page and not self._fit.hidden and not self._page:
            self.app.notify("every column is shown", markup=False)
            return
        if page != self._page:
            self._page = page
            self._layout()

    def follow_viewport(self) -> None:
        """Put the cursor back inside the viewport if scrolling (the mouse wheel) left
        it outside, so that keys never act on a loop the user cannot see."""
        rows = self.visible_range()
        header = self.header_height if self.show_header else 0
        height = max(1, self.scrollable_content_region.height - header)
        last = min(rows.start + height, len(self._order)) - 1
        if not self._order or last < rows.start:
            return
        row = self.cursor_row
        if row < rows.start:
            self.move_cursor(row=rows.start, animate=False, scroll=False)
        elif row > last:
            self.move_cursor(row=last, animate=False, scroll=False)

    # --------------------------------------------------------------- internals
    def _wanted(self, trackers: list[Tracker], now: float) -> list[Tracker]:
        """The trackers to show, in order: name filter, "trouble only", then the sort."""
        needle = self._filter
        if needle:
            with_process = self._with_process
            shown = [t for t in trackers if matches(t, needle, with_process)]
        else:
            shown = list(trackers)
        context = Context(now, self.main_failed)
        if self._trouble_only:
            shown = [t for t in shown if in_trouble(t, context)]
        self._hidden = len(trackers) - len(shown)
        return sort_trackers(shown, self._sort, context)

    def _reconcile(self, wanted: list[Tracker], total: int | None = None) -> None:
        """Add, remove and move rows so that they match *wanted*, keeping rows that stay
        (and what they show) and the cursor on the loop it was on."""
        if total is not None:
            self._hidden = total - len(wanted)
        names = [t.name for t in wanted]
        current = self._order
        if names == current:
            for t in wanted:
                if self._trackers[t.name] is not t:  # same name, new loop (reload)
                    self._trackers[t.name] = t
                    self._drawn[t.name] = -1
            return
        wanted_set = set(names)
        current_set = set(current)
        removed = [n for n in current if n not in wanted_set]
        if len(removed) > _REBUILD_REMOVALS:
            self._rebuild(wanted)
            return
        selected = self.selected_name
        for name in removed:
            self.remove_row(name)
            self._forget(name)
        self._order = [n for n in current if n in wanted_set]
        for t in wanted:
            if t.name in current_set and self._trackers[t.name] is not t:
                self._trackers[t.name] = t
                self._drawn[t.name] = -1
        self._add_many(t for t in wanted if t.name not in current_set)
        if self._order != names:
            self._move_rows(names)
        self._after_membership_change()
        if selected in self._trackers and self.selected_name != selected:
            self.select(selected)  # the cursor follows its loop, not its row number

    def _move_rows(self, names: list[str]) -> None:
        """Put the existing rows in the order of *names* (the same set of rows).

        Only the row order changes, as in ``DataTable.sort``: rows keep their keys, data
        and cached cells, so moved rows are repainted from cache, not recomputed.
        """
        row_keys = self._row_keys
        self._order = names
        locations = type(self._row_locations)  # DataTable's two-way dict
        self._row_locations = locations({row_keys[name]: i for i, name in enumerate(names)})
        self._update_count += 1
        self.refresh()

    def _rebuild(self, wanted: list[Tracker]) -> None:
        selected = self.selected_name
        # Forget our rows first: clear() scrolls to the top, which syncs visible rows.
        self._trackers.clear()
        self._order = []
        self._drawn.clear()
        self._cells.clear()
        self._row_keys.clear()
        self._resume = 0
        self.clear()
        self._add_many(wanted)
        self._after_membership_change()
        if selected is not None:
            self.select(selected)

    def _forget(self, name: str) -> None:
        self._row_keys.pop(name, None)
        self._trackers.pop(name, None)
        self._drawn.pop(name, None)
        self._cells.pop(name, None)

    def _add_many(self, trackers: Iterable[Tracker]) -> None:
        """Append rows; their cells are filled when they are first visible.

        Equivalent to ``add_row`` per tracker, done in one pass: ``add_row`` re-validates
        the cursor and rebuilds the column list for every row, which makes 10,000 rows
        take seconds. Column widths are fixed here, so the table's own measuring of new
        cells on idle is skipped as well.
        """
        if not self.columns:
            return
        keys = self._column_keys  # every column, shown or not (see _set_table_columns)
        blank = [_EMPTY] * (len(keys) - 1)
        was_empty = self.row_count == 0
        loop_width = self._widths["loop"]
        added = 0
        for tracker in trackers:
            name = tracker.name
            name_cell: Cell = (one_line(loop_label(tracker, self._with_process), 120), "")
            row_key = RowKey(name)
            self._row_keys[name] = row_key
            if row_key in self._row_locations:
                raise DuplicateKey(f"The row key {row_key!r} already exists.")
            self._trackers[name] = tracker
            self._drawn[name] = -1
            self._cells[name] = [name_cell] + [("", "")] * (len(keys) - 1)
            self._row_locations[row_key] = len(self._order)
            self._order.append(name)
            self._data[row_key] = dict(zip(keys, [self._make(name_cell), *blank], strict=True))
            self.rows[row_key] = Row(row_key, 1)
            loop_width = max(loop_width, min(_MAX_WIDTH["loop"], len(name_cell[0])))
            added += 1
        if not added:
            return
        if loop_width != self._widths["loop"]:
            self._widths["loop"] = loop_width
            self._widths_dirty = True
        self._update_count += 1
        self._require_update_dimensions = True
        self.cursor_coordinate = self.cursor_coordinate  # re-clamp, as add_row does
        if was_empty and self.show_cursor and self.cursor_type != "none":
            self._highlight_cursor()
        self.check_idle()

    def _after_membership_change(self) -> None:
        if self._widths_dirty:
            self._layout()

    def _sync_rows(self, rows: range, now: float, budget: int | None = None) -> None:
        """Bring the rows at *rows* up to date, redrawing at most *budget* of them.

        With a budget, the scan resumes next time where it stopped, so every visible
        row is redrawn within ``len(rows) / budget`` ticks even when they all change at
        once (loops started together tick together): one tick never has to repaint a
        whole screen of rows, which would delay the loops by as much.
        """
        count = len(rows)
        if not count:
            return
        start = self._resume % count if budget is not None else 0
        redrawn = 0
        for k in range(count):
            position = (start + k) % count
            if budget is not None and redrawn >= budget:
                self._resume = position
                break
            if self._sync_row(rows[position], now):
                redrawn += 1
        else:
            self._resume = start
        if self._widths_dirty:
            self._layout()

    def _sync_row(self, index: int, now: float) -> bool:
        """Update the cells of row *index* that changed; True if any did."""
        name = self._order[index]
        tracker = self._trackers[name]
        old = self._cells[name]
        if self._drawn[name] != tracker.version:
            self._drawn[name] = tracker.version
            cells: tuple[Cell, ...] | list[Cell] = row_cells(tracker, now, self._with_process)
            changed = [k for k, cell in enumerate(cells) if old[k] != cell]
        else:
            nxt, last = time_cells(tracker, now)
            cells = old[:]
            nxt_at, last_at = self._next, self._last
            cells[nxt_at] = nxt
            cells[last_at] = last
            changed = [k for k in (nxt_at, last_at) if old[k] != cells[k]]
        if not changed:
            return False
        row_key = self._row_keys.get(name) or RowKey(name)
        data = self._data[row_key]
        keys = self._keys
        widths = self._widths
        for k in changed:
            cell = cells[k]
            old[k] = cell
            key = keys[k]
            data[self._column_keys[k]] = self._make(cell)
            if len(cell[0]) > widths[key]:
                widths[key] = min(len(cell[0]), _MAX_WIDTH[key])
                self._widths_dirty = True
        self._row_gen[row_key] = self._row_gen.get(row_key, 0) + 1
        self._refresh_line(index)
        return True

    def sync_row(self, name: str, now: float | None = None) -> None:
        """Redraw the row of *name* now (after an action on it), whatever the budget."""
        if name in self._trackers:
            self._sync_row(self._order.index(name), clock.now() if now is None else now)

    def _make(self, cell: Cell) -> Text:
        """The Text of a cell, in the colours of the app's current theme."""
        text, token = cell
        return Text(text, style=colours_of(self.app).style(token), no_wrap=True,
                    overflow="ellipsis", end="")

    def restyle(self) -> None:
        """Draw every row again in the current theme's colours (after a theme change)."""
        for name, cells in self._cells.items():
            row_key = self._row_keys.get(name)
            if row_key is None:
                continue
            self._data[row_key] = {key: self._make(cell)
                                   for key, cell in zip(self._column_keys, cells, strict=True)}
            self._row_gen[row_key] = self._row_gen.get(row_key, 0) + 1
        self._cell_segments.clear()
        self._strips.clear()
        self.refresh()

    def _refresh_line(self, index: int) -> None:
        header = self.header_height if self.show_header else 0
        width = max(self.size.width, self.virtual_size.width)
        self._refresh_region(Region(0, index + header, width, 1))

    def _layout(self) -> None:
        """Choose the shown columns and their widths (:func:`column_layout.fit`), and
        give them to the table; nothing is done when what they depend on is unchanged.

        The table never measures cells and never needs a horizontal scrollbar: columns
        that do not fit are left out (the header says how many) instead of scrolled to.
        """
        self._widths_dirty = False
        available = self.scrollable_content_region.width
        if available <= 0:
            return
        key = (available, tuple(self._widths[k] for k in self._keys), self._page,
               self._with_process, self.cell_padding)
        if key == self._fit_key:
            return
        self._fit_key = key
        fitted = fit(self._keys, self._widths, available, 2 * self.cell_padding,
                     page=self._page)
        old = self._fit
        self._fit = fitted
        if list(fitted.widths) != self.shown_columns:
            self._set_table_columns()
        elif fitted != old:
            for name, width in fitted.widths.items():
                column = self.columns[ColumnKey(name)]
                column.width = width
                column.label = self._label(name, width)
        else:
            return
        # Cached row strips depend on the widths: invalidate them, and let the table
        # recompute its virtual size on idle.
        self._update_count += 1
        self._require_update_dimensions = True
        self.refresh()
        self.check_idle()

    def _set_table_columns(self) -> None:
        """Give the table the columns of :attr:`_fit`, keeping every row and its data.

        Row data keeps a value for every column, shown or not, so a column comes back
        with its cells; only the table's column list changes, which ``add_column`` and
        ``remove_column`` would do at the cost of a pass over every row each.
        """
        self.columns.clear()
        locations = type(self._column_locations)  # DataTable's two-way dict
        self._column_locations = locations({})
        for index, (name, width) in enumerate(self._fit.widths.items()):
            column_key = ColumnKey(name)
            label = self._label(name, width)
            self.columns[column_key] = Column(column_key, label, width,
                                              content_width=label.cell_len)
            self._column_locations[column_key] = index
        self.cursor_coordinate = self.cursor_coordinate  # re-clamp the column
        self._clear_caches()

    # ----------------------------------------------------------------- drawing
    def update_cell(
        self,
        row_key: RowKey | str,
        column_key: ColumnKey | str,
        value: object,
        *,
        update_width: bool = False,
    ) -> None:
        """Set one cell, repainting only its row (columns here never auto-size).

        Raises:
            CellDoesNotExist: When the row or column does not exist.
        """
        if isinstance(row_key, str):
            row_key = RowKey(row_key)
        if isinstance(column_key, str):
            column_key = ColumnKey(column_key)
        if row_key not in self._row_locations or column_key not in self._column_locations:
            raise CellDoesNotExist(
                f"No cell exists for row_key={row_key!r}, column_key={column_key!r}."
            )
        self._data[row_key][column_key] = value
        self._row_gen[row_key] = self._row_gen.get(row_key, 0) + 1
        row_index = self._row_locations.get(row_key)
        if row_index is not None:  # (always: checked above)
            self._refresh_line(row_index)

    def render_lines(self, crop: Region) -> list[Strip]:
        # The widget's style is the same for every line of one render: look it up once
        # (``rich_style`` walks the CSS each time it is read).
        self._line_style = self.rich_style
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        """Line *y* of the viewport (the header stays put; rows scroll)."""
        scroll_x, scroll_y = self.scroll_offset
        header = self.header_height if self.show_header else 0
        if y >= header:
            y += scroll_y
        style = self._line_style if self._line_style is not None else self.rich_style
        return self._render_line(y, scroll_x, scroll_x + self.size.width, style)

    def _render_line(self, y: int, x1: int, x2: int, base_style: Style) -> Strip:
        """Draw line *y* of the table (header or one row), from a per-row cache."""
        width = self.size.width
        header = self.header_height if self.show_header else 0
        row_key: RowKey | None
        if y < header:
            row_index = -1
            row_key = self._header_row_key
        else:
            row_index = y - header
            row_key = self._row_locations.get_key(row_index)
            if row_key is None:
                return Strip.blank(width, base_style)
        show_cursor = self.show_cursor and self.cursor_type == "row"
        cursor = show_cursor and row_index >= 0 and self.cursor_coordinate.row == row_index
        hover = self._show_hover_cursor and self.hover_coordinate.row == row_index
        key = (
            row_key, row_index, self._row_gen.get(row_key, 0), cursor, hover, x1, x2, width,
            base_style, self._pseudo_class_state, self._update_count, show_cursor,
        )
        strip = self._strips.get(key)
        if strip is None:
            strip = self._draw_row(row_index, row_key, cursor, hover, base_style)
            strip = strip.crop(x1, x2).adjust_cell_length(width, base_style)
            self._strips[key] = strip
        return strip

    def _draw_row(
        self, row_index: int, row_key: RowKey, cursor: bool, hover: bool, base_style: Style
    ) -> Strip:
        """One row as segments: each cell's segments come from a cache keyed by the cell."""
        if self._columns_at[0] != self._update_count:
            self._columns_at = (
                self._update_count,
                [(column, column.get_render_width(self)) for column in self.ordered_columns],
            )
        columns = self._columns_at[1]
        is_header = row_index == -1
        if is_header:
            cells: list[object] = [column.label for column, _ in columns]
        else:
            data = self._data[row_key]
            cells = [data.get(column.key) for column, _ in columns]
        row_style = self._get_row_style(row_index, base_style)
        component, post = self._get_styles_to_render_cell(
            is_header, False, False, hover, cursor, self.show_cursor,
            self._show_hover_cursor, self.cursor_foreground_priority == "css",
            self.cursor_background_priority == "css",
        )
        pre = row_style + component
        segments: list[Segment] = []
        total = 0
        cache = self._cell_segments
        for (_column, render_width), cell in zip(columns, cells, strict=True):
            total += render_width
            cell_key = (id(cell), render_width, pre, post)
            cached = cache.get(cell_key)
            if cached is None or cached[0] is not cell:
                cached = (cell, self._draw_cell(cell, render_width, pre, post))
                cache[cell_key] = cached
            segments.extend(cached[1])
        remaining = max(0, self.size.width - total)
        if remaining:
            extend = row_style
            if self.cursor_type == "row":
                extend_component, _ = self._get_styles_to_render_cell(
                    is_header, False, False, hover, cursor, self.show_cursor,
                    self._show_hover_cursor, False, False,
                )
                extend = row_style + extend_component
            segments.append(Segment(" " * remaining, extend))
        return Strip(segments)

    def _draw_cell(self, cell: object, render_width: int, pre: Style, post: Style) -> list[Segment]:
        """A one-line cell, padded and cut (with ``…``) to *render_width* cells."""
        padding = self.cell_padding
        content_width = max(0, render_width - 2 * padding)
        pad_style = pre + post
        segments: list[Segment] = []
        if padding:
            segments.append(Segment(" " * padding, pad_style))
        text = cell if isinstance(cell, Text) else Text("" if cell is None else str(cell), end="")
        if text.cell_len > content_width:
            text = text.copy()
            text.truncate(content_width, overflow=text.overflow or "ellipsis")
        used = 0
        # ``Text.render`` yields the spans' styles only; the Text's own style (the cell's
        # colour) is added here, under them.
        own = text.style
        base = (Style.parse(own) if own else None) if isinstance(own, str) else own
        for segment in text.render(self.app.console):
            if not segment.text or segment.text == "\n":
                continue
            used += segment.cell_length
            style = segment.style
            if base:
                style = base + style if style else base
            segments.append(Segment(segment.text, pre + style + post if style else pad_style))
        if used < content_width + padding:
            segments.append(Segment(" " * (content_width - used + padding), pad_style))
        return segments

    async def _on_click(self, event: events.Click) -> None:
        """Click selects a row; clicking the selected row opens it (like ``enter``).

        Rows are drawn without per-cell click metadata, so the row comes from ``y``.
        """
        self._set_hover_cursor(False)
        header = self.header_height if self.show_header else 0
        if event.y < header:
            column = self._column_at(event.x + int(self.scroll_x))
            if column is not None:
                event.stop()
                self.post_message(self.SortRequested(self, BY_COLUMN[column]))
            return
        row_index = int(self.scroll_y) + event.y - header
        if not 0 <= row_index < self.row_count:
            return
        event.stop()
        if row_index == self.cursor_row or event.chain >= 2:
            self.move_cursor(row=row_index, animate=False)
            self._post_selected_message()
        else:
            self.move_cursor(row=row_index, animate=False)

    def _column_at(self, x: int) -> str | None:
        """Key of the column drawn at *x* (table coordinates), or ``None`` past the last."""
        right = 0
        for column in self.ordered_columns:
            right += column.get_render_width(self)
            if x < right:
                return str(column.key.value)
        return None

    # ------------------------------------------------------------------ events
    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if int(old_value) != int(new_value) and self.registry is not None:
            self._sync_rows(self.visible_range(), clock.now())

    def on_mouse_scroll_down(self) -> None:
        self.call_after_refresh(self.follow_viewport)

    def on_mouse_scroll_up(self) -> None:
        self.call_after_refresh(self.follow_viewport)

    def on_resize(self) -> None:
        self.relayout()
        self._sync_rows(self.visible_range(), clock.now())
