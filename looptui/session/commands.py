"""Carry out a front end's command on one loop of this process, or say why not.

One place decides what ``stop``, ``cancel``, ``restart``, ``interval``, ``trigger``,
``pause`` and ``resume`` do to a loop and when they are refused — the TUI's keys and a
remote client's commands get the same answers. The loop's own controls (looptui's Loop,
or an adapter for a discord.py-family loop) do the work; they may refuse an action with a
reason (:meth:`~looptui.core.tracker.Tracker.unsupported`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from looptui.core.schedule import format_interval
from looptui.core.states import TERMINAL_STATES, LoopState
from looptui.session.interface import COMMANDS, Reply
from looptui.session.output.sanitize import one_line

if TYPE_CHECKING:
    from looptui.core.tracker import Tracker

__all__ = ["run_command", "is_paused"]

NAME_CHARS = 60
"""A loop's name is cut to this many characters in a reply."""
REASON_CHARS = 200
"""A reason or error message is cut to this many characters in a reply."""


def is_paused(tracker: Tracker) -> bool:
    """Whether the loop is paused, as its controls know it (the state may lag behind:
    a paused loop may still be finishing its body, a resumed one not yet awake)."""
    controls = tracker.controls
    if controls is None:
        return tracker.state is LoopState.PAUSED
    try:
        return bool(controls.is_paused())
    except Exception:
        return False


def run_command(tracker: Tracker | None, command: str, value: Any = None,
                *, loop: str = "") -> Reply:
    """Carry out *command* on *tracker* and say what happened.

    Args:
        tracker: The loop, or ``None`` when no loop of that name exists (any more).
        command: One of :data:`~looptui.session.interface.COMMANDS`.
        value: For ``interval``: ``("seconds", float)`` or ``("times", [datetime.time])``.
        loop: The name asked for, used in the reply when *tracker* is ``None``.

    Returns:
        A :class:`~looptui.session.interface.Reply`; never raises for a loop's error.
    """
    if command not in COMMANDS:
        return _refused(loop or "?", f"unknown command {command!r}", f"{command!r} is not a command")
    if tracker is None:
        name = one_line(loop, NAME_CHARS)
        return Reply(False, f"{name}: no such loop", "warning", "no such loop")
    name = one_line(tracker.name, NAME_CHARS)
    state = tracker.state
    if command in ("stop", "cancel", "pause", "resume") and state in TERMINAL_STATES:
        return Reply(False, f"{name} is {state.value}: nothing to {command} (r starts it)",
                     "warning", f"the loop is {state.value}")
    if command == "restart" and state in TERMINAL_STATES:
        command = "start"  # restarting a loop that ended starts it
    action, verb, do, done = _plan(tracker, command, value)
    reason = tracker.unsupported(action)
    if reason:
        return _refused(name, f"cannot {verb}: {one_line(reason, REASON_CHARS)}", reason)
    controls = tracker.controls
    if controls is None:
        return _refused(name, f"cannot {verb}: the loop object no longer exists",
                        "the loop object no longer exists")
    try:
        do(controls)
    except Exception as err:
        message = one_line(f"{type(err).__name__}: {err}", REASON_CHARS)
        return Reply(False, f"{name}: {verb} failed: {message}", "error",
                     one_line(str(err), REASON_CHARS) or type(err).__name__)
    return Reply(True, f"{name}: {done()}")


def _refused(name: str, text: str, reason: str) -> Reply:
    return Reply(False, f"{name}: {text}", "warning", one_line(reason, REASON_CHARS))


def _plan(tracker: Tracker, command: str, value: Any
          ) -> tuple[str, str, Callable[[Any], object], Callable[[], str]]:
    """``(action the controls must support, verb, what to do, what was done)``."""
    if command == "stop":
        running = tracker.current is not None
        return ("stop", "stop", lambda c: c.ui_stop(),
                lambda: "stopping after the current iteration" if running else "stopped")
    if command == "cancel":
        return "cancel", "cancel", lambda c: c.ui_cancel(), lambda: "cancelled"
    if command == "start":
        return "start", "start", lambda c: c.ui_start(), lambda: "started"
    if command == "restart":
        return "restart", "restart", lambda c: c.ui_restart(), lambda: "restarting"
    if command == "trigger":
        return "trigger", "trigger", lambda c: c.ui_trigger(), lambda: "running one iteration now"
    if command == "pause":
        return "pause", "pause", lambda c: c.ui_pause(), lambda: "paused"
    if command == "resume":
        return "pause", "resume", lambda c: c.ui_resume(), lambda: "resumed"
    new: Any  # seconds or a list of times, checked by the loop's change_interval
    kind, new = value if isinstance(value, (tuple, list)) and len(value) == 2 else (None, None)
    adapted: list[str] = []  # how the loop's library took the value, when it had to adapt it

    def change(controls: Any) -> None:
        if kind == "seconds":
            note = controls.ui_change_interval(seconds=new)
        elif kind == "times":
            note = controls.ui_change_interval(times=new)
        else:
            raise ValueError("give ('seconds', number) or ('times', [time, ...])")
        if isinstance(note, str) and note:
            adapted.append(note)

    def changed() -> str:
        shown = format_interval(new) if kind == "seconds" else one_line(tracker.schedule, 80)
        return f"interval changed to {shown}" + "".join(f" ({n})" for n in adapted)

    return "change_interval", "change the interval", change, changed
