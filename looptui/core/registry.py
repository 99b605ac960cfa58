"""The registry: every monitored loop, by unique display name, and who listens to them.

Loops register themselves (looptui's own :class:`~looptui.core.loop.Loop` on creation or
when bound to an instance; adapters when they see a foreign loop). The registry holds the
:class:`~looptui.core.tracker.Tracker`, never the loop itself, so registering keeps nothing
alive: a loop that is garbage-collected drops out (unless it ended ``failed``, which stays
visible so an error is never lost).

Listeners get ``(kind, tracker, fields)`` calls synchronously, on the event-loop thread.
A listener added with ``routine=False`` is not called for the events every iteration
makes (:func:`is_routine`: ``iteration_started``, ``iteration_finished`` and the state
changes to ``running``/``sleeping``); while no listener wants those, trackers do not even
build them, so such a listener costs the loops' hot path nothing.
Front ends that draw a table should not listen: they read :meth:`Registry.trackers` on
their own refresh tick (the UI pulls; it is never pushed per event).
"""

from __future__ import annotations

import weakref
from typing import Any, Callable, Iterator

from . import clock
from .histogram import LoopHistograms
from .states import LoopState
from .tracker import Tracker

__all__ = ["Registry", "Listener", "REGISTRY", "get_registry", "UNNAMED", "ROUTINE_KINDS",
           "ROUTINE_STATES", "is_routine"]

UNNAMED = "(no name)"
"""The display name of a loop given an empty or blank ``name=``."""

Listener = Callable[[str, Tracker, "dict[str, Any]"], None]

ROUTINE_KINDS = frozenset({"iteration_started", "iteration_finished"})
"""Event kinds every iteration makes (see :func:`is_routine`)."""
ROUTINE_STATES = frozenset({LoopState.RUNNING.value, LoopState.SLEEPING.value})
"""States a loop passes through on every iteration; changes to them are routine events."""


def is_routine(kind: str, fields: dict[str, Any]) -> bool:
    """Whether an event is one that every iteration makes (not sent to ``routine=False``
    listeners)."""
    if kind in ROUTINE_KINDS:
        return True
    if kind != "state":
        return False
    state = fields.get("state")
    return getattr(state, "value", state) in ROUTINE_STATES


class Registry:
    """Trackers by display name plus event listeners.

    Attributes:
        listeners: Callables receiving events; empty means no event is built.
        routine_listeners: Those of :attr:`listeners` that also want the routine events
            of every iteration; empty means those are not built.
        version: Bumped whenever a tracker is added or removed.
    """

    def __init__(self) -> None:
        self._trackers: dict[str, Tracker] = {}
        self.listeners: list[Listener] = []
        self.routine_listeners: list[Listener] = []
        self.histograms = False
        """Whether trackers count every iteration in histograms (metrics are served)."""
        self.version = 0
        self._watchers: dict[int, weakref.ref[Any]] = {}

    # ----------------------------------------------------------- membership
    def register(self, tracker: Tracker, owner: object | None = None) -> Tracker:
        """Add *tracker* under a unique display name and emit ``loop_added``.

        Args:
            tracker: The tracker; its ``base_name`` is made unique with ``#2``, ``#3`` …
                (an empty or blank ``name=`` shows as :data:`UNNAMED`, never a blank row)
            owner: When given, the tracker is dropped once *owner* is garbage-collected
                (unless it ended ``failed``).
        """
        if tracker.registry is self:
            return tracker
        base = tracker.base_name if tracker.base_name.strip() else UNNAMED
        name = base
        n = 1
        while name in self._trackers:
            n += 1
            name = f"{base}#{n}"
        tracker.name = name
        tracker.registry = self
        if self.histograms and tracker.histograms is None:
            tracker.histograms = LoopHistograms.from_history(tracker.history)
        tracker.rejoin_budget()
        self._trackers[name] = tracker
        self.version += 1
        if owner is not None:
            tracker_ref = weakref.ref(tracker)

            def _gone(_ref: object, tracker_ref: weakref.ref[Tracker] = tracker_ref) -> None:
                t = tracker_ref()
                if t is not None and t.state is not LoopState.FAILED:
                    self.unregister(t)

            self._watchers[id(tracker)] = weakref.ref(owner, _gone)
        if self.listeners:
            self.emit("loop_added", tracker, {"schedule": tracker.schedule, "source": tracker.source})
        return tracker

    def unregister(self, tracker: Tracker) -> None:
        """Remove *tracker* (its name becomes free again)."""
        if self._trackers.get(tracker.name) is tracker:
            del self._trackers[tracker.name]
            self.version += 1
            if self.listeners:
                self.emit("loop_removed", tracker, {})
        self._watchers.pop(id(tracker), None)
        tracker.registry = None
        tracker.release_buffers()  # its buffers no longer count against the shared budget

    def hide(self, trackers: list[Tracker]) -> None:
        """Unlist *trackers* without detaching them: they keep reporting events.

        A reload hides the old generation while the new code is imported, so the new
        loops get the very same display names; :meth:`show` puts them back if the import
        fails, or they are unregistered for good once the old loops have stopped.
        """
        for tracker in trackers:
            if self._trackers.get(tracker.name) is tracker:
                del self._trackers[tracker.name]
        self.version += 1

    def show(self, trackers: list[Tracker]) -> None:
        """List hidden *trackers* again, first, ahead of any registered since.

        Trackers unregistered meanwhile (their loop was garbage-collected) stay out.
        """
        merged = {t.name: t for t in trackers if t.registry is self}
        for name, tracker in self._trackers.items():
            merged.setdefault(name, tracker)
        self._trackers = merged
        self.version += 1

    def clear(self) -> None:
        """Forget every tracker (tests, reloads that start from scratch)."""
        for tracker in list(self._trackers.values()):
            self.unregister(tracker)

    # -------------------------------------------------------------- reading
    def trackers(self) -> list[Tracker]:
        """All trackers in registration order (a new list: safe to keep)."""
        return list(self._trackers.values())

    def get(self, name: str) -> Tracker | None:
        return self._trackers.get(name)

    def __iter__(self) -> Iterator[Tracker]:
        return iter(list(self._trackers.values()))

    def __len__(self) -> int:
        return len(self._trackers)

    def __contains__(self, name: object) -> bool:
        return name in self._trackers

    # ----------------------------------------------------------- histograms
    def collect_histograms(self, on: bool = True) -> None:
        """Have every tracker, present and future, count each iteration's duration and
        lateness (:attr:`Tracker.histograms`), or stop (*on* False: they are dropped).

        Loops that already ran start from what their history ring holds.
        """
        self.histograms = on
        for tracker in self._trackers.values():
            if not on:
                tracker.histograms = None
            elif tracker.histograms is None:
                tracker.histograms = LoopHistograms.from_history(tracker.history)

    # --------------------------------------------------------------- events
    def add_listener(self, listener: Listener, *, routine: bool = True) -> None:
        """Call *listener* with events from now on.

        Args:
            listener: The callable.
            routine: Also the routine events of every iteration (:func:`is_routine`).
        """
        self.listeners.append(listener)
        if routine:
            self.routine_listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        for listeners in (self.listeners, self.routine_listeners):
            try:
                listeners.remove(listener)
            except ValueError:
                pass

    def silence(self) -> tuple[list[Listener], list[Listener]]:
        """Stop calling every listener (a reload importing the new code); what was
        listening, for :meth:`restore`."""
        saved = (list(self.listeners), list(self.routine_listeners))
        self.listeners.clear()
        self.routine_listeners.clear()
        return saved

    def restore(self, saved: tuple[list[Listener], list[Listener]]) -> None:
        """Call the listeners :meth:`silence` stopped again (ahead of any added since)."""
        for listeners, before in zip((self.listeners, self.routine_listeners), saved, strict=True):
            listeners[:] = before + [x for x in listeners if x not in before]

    def emit(self, kind: str, tracker: Tracker, fields: dict[str, Any]) -> None:
        """Call every listener with one event. A failing listener is removed, not raised."""
        fields.setdefault("time", clock.now())
        listeners = self.routine_listeners if is_routine(kind, fields) else self.listeners
        for listener in list(listeners):
            try:
                listener(kind, tracker, fields)
            except Exception:  # a broken front end must not kill the loop it watches
                self.remove_listener(listener)
                import sys
                import traceback

                print(f"looptui: event listener {listener!r} failed and was removed:", file=sys.stderr)
                traceback.print_exc()


REGISTRY = Registry()
"""The process-wide registry every loop registers in."""


def get_registry() -> Registry:
    return REGISTRY
