"""The ``a`` tasks view: every asyncio task of the program, and the ones that died.

A row per task — name, coroutine, state, where it waits (the program's own file:line),
age, the loop it is or that created it — read from the session (in this process, or the
program's agent over attach) once a second while the view is open, never otherwise.
Tasks that ended with an exception nobody retrieved come first, in the failed colour;
``enter`` shows a task's whole await chain (a failed one's traceback), ``x`` cancels
(looptui's own tasks, hidden unless ``h``, ask first), ``/`` filters, ``o`` sorts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from rich.style import Style
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Input, Static

from looptui.core import clock
from looptui.session.front import row_matches

from .. import format as fmt
from ..text import one_line, safe_text

__all__ = ["REFRESH_EVERY", "SHOWN", "SORTS", "ConfirmScreen", "TaskStackScreen", "TasksScreen"]

REFRESH_EVERY = 1.0
"""Seconds between two readings of the tasks while the view is open."""
SHOWN = 150
"""Rows of tasks shown at most (the oldest; ``/`` narrows them down)."""
SORTS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "age": lambda row: -float(row.get("age") or 0.0),
    "name": lambda row: str(row.get("name") or "").lower(),
    "state": lambda row: str(row.get("state") or ""),
    "where": lambda row: str(row.get("where") or ""),
    "coroutine": lambda row: str(row.get("coro") or ""),
}
"""The orders ``o`` cycles through (failed tasks always come first)."""
_COLUMNS = (("Task", "name"), ("Coroutine", "coro"), ("State", "state"),
            ("Waits at", "where"), ("Age", "age"), ("Loop", "loop"))


def _label(row: dict[str, Any]) -> str:
    """``loop NAME`` for a loop's own task; ``by NAME`` the loop whose body created it,
    else ``by task NAME`` the task that did."""
    who = row.get("loop")
    if who:
        return f"loop {who}"
    creator = row.get("created_by")
    if creator:
        return f"by {creator}"
    parent = row.get("parent")
    return f"by task {parent}" if parent else ""


def _age(row: dict[str, Any]) -> str:
    """The task's age (``≥``: counted from when looptui first saw it, its creation was
    not noted), or for a failed one how long ago it died."""
    if row.get("failed"):
        when = row.get("time")
        return f"died {fmt.ago(when, clock.now()).removesuffix(' ago')}" \
            if isinstance(when, (int, float)) else ""
    age = row.get("age")
    if not isinstance(age, (int, float)):
        return ""
    return fmt.took(age) if row.get("born") else f"≥{fmt.took(age)}"


class TasksScreen(Screen[None]):
    """Every task of the program (see the module doc). ``escape``/``q`` go back."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "back", "Back", key_display="esc"),
        Binding("enter", "stack", "Stack", tooltip="The task's whole await chain"),
        Binding("x", "cancel_task", "Cancel", tooltip="Cancel the selected task"),
        Binding("slash", "filter", "Filter", key_display="/"),
        Binding("o", "sort", "Sort", tooltip="Sort by age, name, state, where, coroutine"),
        Binding("h", "toggle_own", "looptui's", tooltip="Show or hide looptui's own tasks"),
    ]

    DEFAULT_CSS = """
    TasksScreen #tasks-title { height: 1; background: $panel; padding: 0 1; }
    TasksScreen #tasks-filter { display: none; height: 1; border: none; padding: 0 1; }
    TasksScreen #tasks-filter.-shown { display: block; }
    TasksScreen #tasks-table { height: 1fr; }
    TasksScreen #tasks-trouble { height: auto; max-height: 12; padding: 0 1;
        border-top: solid $error 50%; display: none; }
    TasksScreen #tasks-trouble.-shown { display: block; }
    """

    def __init__(self, ask: Callable[[dict[str, Any]], Any], *,
                 failed_style: str | Style = "bold red") -> None:
        super().__init__()
        self.ask = ask
        self.failed_style = failed_style
        self.rows: list[dict[str, Any]] = []
        self.failures: list[dict[str, Any]] = []
        self.failed_total = 0
        self.total = 0
        self.show_own = False
        self.sort = "age"
        self.filter_text = ""
        self.reason = ""
        self._read_at = float("-inf")
        self._reading = False
        self._again = False
        self.readings = 0
        self._title = Static(id="tasks-title")
        self._filter = Input(placeholder="filter: name, coroutine, file, loop",
                             id="tasks-filter")
        self._table: DataTable[Any] = DataTable(cursor_type="row", zebra_stripes=False,
                                                id="tasks-table")
        self._trouble = Static(id="tasks-trouble")
        self._keyed: dict[str, dict[str, Any]] = {}
        self._drawn: dict[str, list[str]] = {}  # what each row shows, in table order
        self._ready = False  # columns added (mounted): a refresh tick may come before

    def compose(self) -> ComposeResult:
        yield self._title
        yield self._filter
        yield self._table
        yield self._trouble
        yield Footer()

    def on_unmount(self) -> None:
        self._ready = False

    def on_mount(self) -> None:
        for label, key in _COLUMNS:
            self._table.add_column(label, key=key)
        self._ready = True
        self._title.update(Text("tasks · reading…", end=""))
        self._table.focus()
        self.refresh_view(force=True)

    # ------------------------------------------------------------ reading
    def refresh_view(self, now: float | None = None, *, force: bool = False) -> None:
        """Read the tasks again when :data:`REFRESH_EVERY` has passed (the app's tick)."""
        import time

        moment = time.monotonic()
        if self._reading:
            self._again = self._again or force
            return
        if not self._ready or (not force and moment - self._read_at < REFRESH_EVERY):
            return
        self._read_at = moment
        self._reading = True
        self._read()

    @work(exclusive=True, group="tasks-read")
    async def _read(self) -> None:
        try:
            reply = await self.ask({"type": "tasks", "action": "list", "own": self.show_own,
                                    "filter": self.filter_text, "limit": SHOWN})
        finally:
            self._reading = False
            if self._again:  # asked again meanwhile (the filter changed): read again now
                self._again = False
                self.call_later(self.refresh_view, force=True)
        if not isinstance(reply, dict) or not reply.get("ok"):
            self.reason = str((reply or {}).get("reason") or "no answer")
        else:
            self.reason = ""
            self.rows = list(reply.get("tasks") or [])
            self.total = int(reply.get("total") or len(self.rows))
            self.failures = list(reply.get("failures") or [])
            self.failed_total = int(reply.get("failed_total") or 0)
        self.readings += 1
        if self._ready:
            self.show()

    # ------------------------------------------------------------ drawing
    def shown_rows(self) -> list[dict[str, Any]]:
        """Failed tasks first (newest first), then the live ones in the chosen order."""
        failed = [r for r in reversed(self.failures) if row_matches(r, self.filter_text)]
        live = sorted((r for r in self.rows if row_matches(r, self.filter_text)),
                      key=SORTS[self.sort])
        return failed + live

    def _texts(self, row: dict[str, Any]) -> list[str]:
        """The row's cells as plain text (compared with what is drawn before any
        styled text is made: most readings change only an age or two)."""
        failed = bool(row.get("failed"))
        state = f"failed: {row.get('error')}" if failed else str(row.get("state") or "")
        return [one_line(str(row.get("name") or ""), 28), one_line(str(row.get("coro") or ""), 28),
                one_line(state, 28), one_line(str(row.get("where") or ""), 40), _age(row),
                one_line(_label(row), 30)]

    def _styled(self, row: dict[str, Any], texts: list[str]) -> list[Text]:
        failed = bool(row.get("failed"))
        style = self.failed_style if failed else ("dim" if row.get("own") else "")
        styles = (style, "", style, "", "", "dim")
        return [Text(text, style=cell_style) for text, cell_style in zip(texts, styles, strict=True)]

    def show(self) -> None:
        """Draw the rows: when the same tasks are listed in the same order (most
        readings: only ages move), only the cells whose text changed are updated, so
        the table's layout is not computed again."""
        table = self._table
        selected = self.selected()
        rows = self.shown_rows()
        keyed = {(f"failed-{i}" if row.get("failed") else f"task-{row.get('id')}"): row
                 for i, row in enumerate(rows)}
        drawn = {key: self._texts(row) for key, row in keyed.items()}
        if list(drawn) == list(self._drawn):
            columns = [key for _label, key in _COLUMNS]
            for key, texts in drawn.items():
                before = self._drawn[key]
                if texts == before:
                    continue
                styled = self._styled(keyed[key], texts)
                for index, (text, old) in enumerate(zip(texts, before, strict=True)):
                    if text != old:
                        table.update_cell(key, columns[index], styled[index])
        else:
            table.clear()
            for key, texts in drawn.items():
                table.add_row(*self._styled(keyed[key], texts), key=key)
            if selected is not None:
                for index, row in enumerate(rows):
                    if row.get("id") == selected.get("id") and \
                            row.get("failed") == selected.get("failed"):
                        table.move_cursor(row=index)
                        break
        self._keyed = keyed
        self._drawn = drawn
        title = Text(end="", no_wrap=True, overflow="ellipsis")
        title.append("tasks", style="bold")
        count = len(self.rows)
        title.append(f" · {count} task{'s' if count != 1 else ''}")
        if count >= SHOWN:  # there may be more (self.total counts looptui's own too)
            title.append(f" (the {SHOWN} oldest: / finds others)", style="dim")
        if self.failed_total:
            title.append(" · ")
            title.append(f"{self.failed_total} failed, never retrieved",
                         style=self.failed_style)
        title.append(f" · sort: {self.sort}", style="dim")
        if self.filter_text:
            title.append(f" · filter {self.filter_text!r}", style="dim")
        title.append(" · looptui's shown" if self.show_own else " · looptui's hidden (h)",
                     style="dim")
        title.append(" · enter: stack", style="dim")
        if self.reason:
            title.append(f" · {one_line(self.reason, 80)}", style=self.failed_style)
        self._title.update(title)
        self._show_trouble()

    def _show_trouble(self) -> None:
        row = self.selected()
        shown = row is not None and bool(row.get("failed"))
        self._trouble.set_class(shown, "-shown")
        if shown and row is not None:
            self._trouble.update(Text(safe_text(str(row.get("traceback") or ""), 20_000)
                                      .rstrip(), style="", end=""))

    def on_data_table_row_highlighted(self, _event: Any) -> None:
        self._show_trouble()

    def on_data_table_row_selected(self, event: Any) -> None:
        """``enter`` on a row (the table takes the key): its stack."""
        event.stop()
        self.action_stack()

    def selected(self) -> dict[str, Any] | None:
        table = self._table
        if not table.row_count:
            return None
        try:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        except Exception:
            return None
        return self._keyed.get(str(key))

    # ------------------------------------------------------------ actions
    def action_back(self) -> None:
        if self._filter.has_focus:
            self._close_filter()
            return
        self.dismiss(None)

    def action_sort(self) -> None:
        names = list(SORTS)
        self.sort = names[(names.index(self.sort) + 1) % len(names)]
        self.show()

    def action_toggle_own(self) -> None:
        self.show_own = not self.show_own
        self.refresh_view(force=True)

    def action_filter(self) -> None:
        self._filter.add_class("-shown")
        self._filter.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value.strip()
        self.show()
        self.refresh_view(force=True)  # the program may have more that match

    def on_input_submitted(self, _event: Input.Submitted) -> None:
        self._table.focus()

    def _close_filter(self) -> None:
        self._filter.value = ""
        self.filter_text = ""
        self._filter.remove_class("-shown")
        self._table.focus()
        self.show()

    def action_stack(self) -> None:
        row = self.selected()
        if row is None:
            return
        self._open_stack(row)

    @work(group="tasks-stack")
    async def _open_stack(self, row: dict[str, Any]) -> None:
        if row.get("failed"):
            text = str(row.get("traceback") or "")
        else:
            reply = await self.ask({"type": "tasks", "action": "stack", "task": row.get("id")})
            text = str(reply.get("text") or reply.get("reason") or "")
        self.app.push_screen(TaskStackScreen(str(row.get("name") or "?"), text))

    def action_cancel_task(self) -> None:
        row = self.selected()
        if row is None or row.get("failed"):
            self.notify("nothing to cancel: the task has ended", severity="warning")
            return
        name = one_line(str(row.get("name") or "?"), 60)
        if row.get("own"):
            def confirmed(yes: bool | None) -> None:
                if yes:
                    self._cancel(row)

            self.app.push_screen(ConfirmScreen(
                f"{name} is looptui's own task: cancelling it may break the monitor. "
                "Cancel it? (y/n)"), confirmed)
            return
        self._cancel(row)

    @work(group="tasks-cancel")
    async def _cancel(self, row: dict[str, Any]) -> None:
        reply = await self.ask({"type": "tasks", "action": "cancel", "task": row.get("id")})
        ok = bool(reply.get("ok"))
        self.notify(one_line(str(reply.get("text") or reply.get("reason") or ""), 200),
                    severity="information" if ok else "warning", markup=False)
        self.refresh_view(force=True)


class TaskStackScreen(Screen[None]):
    """A task's await chain, or a failed task's traceback. ``escape``/``q`` go back."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,enter", "back", "Back", key_display="esc"),
    ]

    DEFAULT_CSS = """
    TaskStackScreen #stack-title { height: 1; background: $panel; padding: 0 1; }
    TaskStackScreen #stack-body { height: 1fr; padding: 0 1; }
    """

    def __init__(self, name: str, text: str) -> None:
        super().__init__()
        self.task_name = name
        self.text = text

    def compose(self) -> ComposeResult:
        yield Static(Text(f"task {one_line(self.task_name, 80)} · esc back", style="bold",
                          end=""), id="stack-title")
        with VerticalScroll(id="stack-body"):
            yield Static(Text(safe_text(self.text, 200_000).rstrip(), end=""), id="stack-text")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#stack-body").focus()

    def action_back(self) -> None:
        self.dismiss(None)


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question: ``y`` answers yes, ``n`` or ``escape`` no."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen Static { width: 60; height: auto; padding: 1 2; background: $panel;
        border: thick $warning; }
    """

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        yield Static(Text(self.question, end=""))

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
