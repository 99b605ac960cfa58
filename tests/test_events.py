"""Event dicts (README "Headless mode and events"): keys, types and conversions, from hand-made trackers.

:func:`check_event` is the schema every ``--json``/``--record`` line must satisfy; the
headless tests apply it to a real run.
"""

from __future__ import annotations

import datetime
import json

import pytest

from looptui.core import clock
from looptui.core.registry import Registry
from looptui.core.states import LoopState
from looptui.core.tracker import Tracker
from looptui.session.events.build import iso, json_safe, loop_event, session_event, summary_event

NUM = (int, float)
OPT_STR = (str, type(None))
STATES = {s.value for s in LoopState}

SCHEMA: dict[str, dict[str, tuple[type, ...] | type]] = {
    "loop_added": {"schedule": str, "source": str},
    "state": {"state": str},
    "iteration_started": {"iteration": int, "scheduled": OPT_STR},
    "iteration_finished": {"iteration": int, "duration": NUM, "lateness": NUM},
    "iteration_failed": {
        "iteration": int, "duration": NUM, "lateness": NUM, "error": str, "message": str,
        "traceback": str, "retrying": bool,
    },
    "iteration_cancelled": {"iteration": int, "duration": NUM, "lateness": NUM},
    "hook_failed": {"hook": str, "error": str, "message": str, "traceback": str},
    "loop_removed": {},
    "log": {"stream": str, "text": str},
    "blocked": {"duration": NUM, "stack": str},
    "stuck": {"iteration": int, "running_for": NUM, "threshold": NUM},
    "log_dropped": {"dropped": int},
    "reload": {"added": list, "removed": list, "changed": list},
    "reload_failed": {"error": str, "traceback": str},
    "summary": {"loops": list},
}
LOOPLESS = {"summary", "reload", "reload_failed"}
"""Kinds without a ``loop`` key (``log``, ``log_dropped`` and ``blocked`` have one that
may be null)."""


def check_event(event: dict) -> None:
    """Assert that *event* has the keys and types the README promises for its kind."""
    json.dumps(event)  # JSON-ready
    kind = event["event"]
    assert kind in SCHEMA, f"unknown event kind {kind!r}"
    stamp = datetime.datetime.fromisoformat(event["time"])
    assert stamp.utcoffset() == datetime.timedelta(0), "time must be UTC"
    if kind not in LOOPLESS:
        assert "loop" in event
        nullable = kind in ("log", "log_dropped", "blocked")
        assert isinstance(event["loop"], str) or (nullable and event["loop"] is None)
    for key, types in SCHEMA[kind].items():
        assert key in event, f"{kind} lacks {key!r}"
        assert isinstance(event[key], types), f"{kind}.{key} = {event[key]!r}"
    if kind == "state":
        assert event["state"] in STATES
    if kind == "iteration_started" and event["scheduled"] is not None:
        datetime.datetime.fromisoformat(event["scheduled"])
    if kind == "log":
        assert event["stream"] in ("stdout", "stderr", "logging")
    if kind == "loop_added":
        assert event["source"] in ("looptui", "discord.py", "nextcord", "disnake", "py-cord")
    if kind == "summary":
        for entry in event["loops"]:
            assert set(entry) == {"loop", "state", "iterations", "failures", "retries",
                                  "last_error"}
            assert entry["state"] in STATES
            assert isinstance(entry["iterations"], int) and isinstance(entry["failures"], int)
            assert isinstance(entry["last_error"], OPT_STR)


class Listener:
    def __init__(self) -> None:
        self.events: list[dict] = []

    def __call__(self, kind, tracker, fields):
        self.events.append(loop_event(kind, tracker, fields))


@pytest.fixture
def recorded():
    registry = Registry()
    listener = Listener()
    registry.add_listener(listener)
    tracker = Tracker("job", schedule="5s")
    registry.register(tracker)
    return tracker, listener.events


def raise_and_catch(exc: BaseException) -> BaseException:
    try:
        raise exc
    except BaseException as caught:
        return caught


def test_iso_is_utc_with_milliseconds():
    assert iso(0.0) == "1970-01-01T00:00:00.000Z"
    assert iso(1_700_000_000.1234) == "2023-11-14T22:13:20.123Z"
    assert iso(None) is None


def test_every_tracker_event_has_the_promised_shape(recorded):
    tracker, events = recorded
    tracker.set_state(LoopState.RUNNING)
    record = tracker.iteration_started(0, clock.now() - 0.5)
    tracker.add_output("stdout", "hello")
    tracker.iteration_finished(record)
    record = tracker.iteration_started(1, None, triggered=True)
    tracker.iteration_failed(record, raise_and_catch(ValueError("bad")), retrying=True)
    record = tracker.iteration_started(2, clock.now())
    tracker.iteration_cancelled(record)
    tracker.exception(raise_and_catch(RuntimeError("hook")), "before_loop")
    tracker.registry.unregister(tracker)
    kinds = [e["event"] for e in events]
    assert kinds == [
        "loop_added", "state", "iteration_started", "log", "iteration_finished",
        "iteration_started", "iteration_failed", "iteration_started", "iteration_cancelled",
        "hook_failed", "loop_removed",
    ]
    for event in events:
        check_event(event)
        assert event["loop"] == "job"
    failed = events[6]
    assert failed["error"] == "ValueError" and failed["message"] == "bad"
    assert failed["retrying"] is True
    assert failed["traceback"].rstrip().endswith("ValueError: bad")
    assert events[5]["scheduled"] is None
    hook = events[9]
    assert hook["hook"] == "before_loop" and "RuntimeError: hook" in hook["traceback"]
    assert events[0]["schedule"] == "5s" and events[0]["source"] == "looptui"


def test_loop_event_converts_times_and_passes_unknown_fields_through():
    tracker = Tracker("t")
    event = loop_event(
        "custom", tracker,
        {"time": 0.0, "scheduled": 60.0, "state": LoopState.PAUSED, "when": datetime.time(9)},
    )
    assert event == {
        "event": "custom", "time": "1970-01-01T00:00:00.000Z", "loop": "t",
        "scheduled": "1970-01-01T00:01:00.000Z", "state": "paused", "when": "09:00:00",
    }


def test_json_safe_handles_anything():
    assert json_safe({1: (1, "a"), "s": {2}}) == {"1": [1, "a"], "s": [2]}
    assert json_safe(object.__new__(Registry)).startswith("<looptui.core.registry.Registry")


def test_session_events_and_summary():
    log = session_event("log", time=0.0, loop=None, stream="stdout", text="hi")
    check_event(log)
    assert log == {"event": "log", "time": "1970-01-01T00:00:00.000Z", "loop": None,
                   "stream": "stdout", "text": "hi"}
    check_event(session_event("blocked", loop=None, duration=0.5, stack="x"))
    check_event(session_event("reload", added=["a"], removed=[], changed=["b"]))
    check_event(session_event("reload_failed", error="SyntaxError", traceback="..."))

    ok, bad = Tracker("ok"), Tracker("bad")
    ok.set_state(LoopState.STOPPED)
    ok.total_iterations = 4
    bad.set_state(LoopState.FAILED)
    record = bad.iteration_started(0, None)
    bad.iteration_failed(record, raise_and_catch(KeyError("k")), retrying=False)
    summary = summary_event([ok, bad])
    check_event(summary)
    assert summary["loops"] == [
        {"loop": "ok", "state": "stopped", "iterations": 4, "failures": 0, "retries": 0,
         "last_error": None},
        {"loop": "bad", "state": "failed", "iterations": 1, "failures": 1, "retries": 0,
         "last_error": "KeyError: 'k'"},
    ]
