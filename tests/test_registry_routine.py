"""Listeners that do not want the routine events of every iteration: trackers do not even
build those for them, and they still get every other event."""

from __future__ import annotations

from typing import Any

from looptui.core.registry import Registry, is_routine
from looptui.core.states import LoopState
from looptui.core.tracker import Tracker


class CountingRegistry(Registry):
    """A registry that notes every event a tracker hands it."""

    def __init__(self) -> None:
        super().__init__()
        self.built: list[str] = []

    def emit(self, kind: str, tracker: Tracker, fields: dict[str, Any]) -> None:
        self.built.append(kind if kind != "state" else f"state:{fields['state']}")
        super().emit(kind, tracker, fields)


def run_iterations(tracker: Tracker, n: int) -> None:
    for i in range(n):
        seq = tracker.iteration_started(i, 0.0, state=LoopState.RUNNING)
        tracker.iteration_finished(seq, then=LoopState.SLEEPING)


def test_no_routine_event_is_built_for_a_listener_that_does_not_want_them() -> None:
    registry = CountingRegistry()
    got: list[str] = []
    registry.add_listener(lambda kind, tracker, fields: got.append(kind), routine=False)
    tracker = registry.register(Tracker("job"))
    run_iterations(tracker, 50)
    assert registry.built == ["loop_added"]  # nothing per iteration
    seq = tracker.iteration_started(50, 0.0, state=LoopState.RUNNING)
    tracker.iteration_failed(seq, ValueError("no"), retrying=False)
    tracker.set_state(LoopState.FAILED)
    assert got == ["loop_added", "iteration_failed", "state"]
    assert tracker.total_iterations == 51 and tracker.failures == 1


def test_a_routine_listener_gets_every_event_and_the_other_only_the_rest() -> None:
    registry = Registry()
    every: list[str] = []
    rest: list[str] = []
    registry.add_listener(lambda kind, tracker, fields: every.append(kind))
    registry.add_listener(lambda kind, tracker, fields: rest.append(kind), routine=False)
    tracker = registry.register(Tracker("job"))
    run_iterations(tracker, 2)
    tracker.set_state(LoopState.PAUSED)
    assert every == ["loop_added", "state", "iteration_started", "iteration_finished", "state",
                     "state", "iteration_started", "iteration_finished", "state", "state"]
    assert rest == ["loop_added", "state"]
    assert is_routine("state", {"state": "sleeping"}) and not is_routine("log", {})


def test_silence_and_restore_keep_what_each_listener_wants() -> None:
    registry = Registry()
    everything = lambda *a: None  # noqa: E731
    table = lambda *a: None  # noqa: E731
    registry.add_listener(everything)
    registry.add_listener(table, routine=False)
    saved = registry.silence()
    assert not registry.listeners and not registry.routine_listeners
    later = lambda *a: None  # noqa: E731
    registry.add_listener(later)
    registry.restore(saved)
    assert registry.listeners == [everything, table, later]
    assert registry.routine_listeners == [everything, later]
    registry.remove_listener(everything)
    assert registry.routine_listeners == [later]
