"""The record's fast encoders write exactly what the general one writes for the same event.

``encode_loop_event`` (and its per-kind templates, ``iteration_line``) must give the line
``encode_line(loop_event(kind, tracker, fields))`` gives: same text, so the same parsed
JSON with the keys in the documented order (README "Headless mode and events": ``event``, ``time``, ``loop``,
then the fields), for hostile names and text too (terminal controls, non-ASCII, lone
surrogates, huge strings, non-finite numbers), and for the fields a real tracker emits.
"""

from __future__ import annotations

import json
import math

import pytest

from looptui.core import clock
from looptui.core.registry import Registry
from looptui.core.states import LoopState
from looptui.core.tracker import Tracker
from looptui.session.events.build import loop_event
from looptui.session.events.encode import encode_line, encode_loop_event, iteration_line
from looptui.session.events.recorder import Recorder

NOW = 1714554000.5
HOSTILE_NAMES = [
    "worker-0001",
    "",
    "漢字 é 🙂",
    "\x00\x07\x1b[2J\x1b]0;title\x07\x7f\x9b\x85",
    "\u202e\u2028\u2029\u200b\ufeff\u061c\u2066",
    'quote"back\\slash/\t\n\r',
    "lone \udc80 and \ud800 surrogates",
    "é" * 50_000 + "\x9b" + "x" * 50_000,
]
ITERATION_FIELDS = [  # as the tracker emits them: the registry adds "time" last
    ("state", {"state": "running", "time": NOW + 0.0004}),
    ("state", {"state": "sleeping", "time": NOW + 0.9996}),
    ("state", {"state": "\x1b[31m\u202e漢字\udc80" * 10_000, "time": NOW}),
    ("iteration_started", {"iteration": 3, "scheduled": NOW - 0.1234, "triggered": False,
                           "time": NOW}),
    ("iteration_started", {"iteration": 0, "scheduled": None, "triggered": True, "time": NOW}),
    ("iteration_finished", {"iteration": 7, "duration": 0.000123, "lateness": 1.5e-05,
                            "time": NOW + 0.0015}),
    ("iteration_finished", {"iteration": 2**70, "duration": 2.0, "lateness": -0.0,
                            "time": 1.0}),
    ("iteration_finished", {"iteration": 1, "duration": 1e-300, "lateness": 123456789.125,
                            "time": 0.9999996}),  # rounds up to the next second
]
UNUSUAL_FIELDS = [  # not the tracker's shapes: the general path, still the same text
    ("state", {"state": object()}),
    ("state", {"state": LoopState.RUNNING, "time": NOW}),
    ("state", {"state": "running"}),  # no time: the event's own
    ("state", {"time": NOW, "state": "running"}),  # another key order
    ("iteration_finished", {"iteration": 1, "duration": math.nan, "lateness": math.inf,
                            "time": NOW}),
    ("iteration_finished", {"iteration": True, "duration": 1.0, "lateness": 0.0, "time": NOW}),
    ("iteration_finished", {"iteration": 1, "duration": 1, "lateness": 0.0, "time": NOW}),
    ("iteration_finished", {"iteration": 1, "duration": 1.0, "lateness": 0.0, "time": -1.5}),
    ("iteration_started", {"iteration": 1, "scheduled": 5, "triggered": False, "time": NOW}),
    ("iteration_started", {"iteration": 1, "scheduled": NOW, "triggered": False, "time": NOW,
                           "extra": ["é\x9b", {"k": None}]}),
]


class _Named:
    def __init__(self, name: str) -> None:
        self.name = name


class _Frozen:
    def time(self) -> float:
        return NOW


def general(kind: str, name: str, fields: dict) -> str:
    """The line of the event dict, with the clock frozen at ``NOW`` for a missing time."""
    previous = clock.get_clock()
    clock.set_clock(_Frozen())
    try:
        return encode_line(loop_event(kind, _Named(name), dict(fields)))
    finally:
        clock.set_clock(previous)


def assert_same_line(line: str, expected: str, kind: str, fields: dict) -> None:
    assert line == expected
    assert line.isascii() or not any(c in line for c in "\x9b\u202e\u2028\ufeff")
    parsed = json.loads(line)
    assert parsed == json.loads(expected) or math.nan in fields.values()
    keys = ["event", "time", "loop"] + [k for k in fields if k != "time"]
    assert list(parsed) == keys


@pytest.mark.parametrize("kind, fields", ITERATION_FIELDS)
@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_the_iteration_templates_write_what_the_event_dict_would(kind, fields, name):
    line = iteration_line(kind, name, fields)
    assert line is not None  # the fast path took it
    assert_same_line(line, general(kind, name, fields), kind, fields)
    assert encode_loop_event(kind, name, fields, NOW) == line


@pytest.mark.parametrize("kind, fields", UNUSUAL_FIELDS)
@pytest.mark.parametrize("name", HOSTILE_NAMES[::2])
def test_unusual_fields_leave_the_templates_and_still_write_the_same(kind, fields, name):
    assert iteration_line(kind, name, fields) is None
    assert_same_line(encode_loop_event(kind, name, fields, NOW), general(kind, name, fields),
                     kind, fields)


def test_a_real_trackers_iteration_events_all_take_the_templates():
    """If the tracker's fields change shape, this says the fast path stopped applying."""
    seen: list[tuple[str, str, dict]] = []
    registry = Registry()
    registry.add_listener(lambda kind, tracker, fields: seen.append((kind, tracker.name, fields)))
    tracker = registry.register(Tracker("漢字\x9b\udc80 worker", schedule="5s"))
    for iteration in range(3):
        seq = tracker.iteration_started(iteration, clock.now() - 0.25, state=LoopState.RUNNING)
        tracker.iteration_finished(seq, then=LoopState.SLEEPING)
    seq = tracker.iteration_started(3, None, triggered=True)
    tracker.iteration_finished(seq)
    kinds = [kind for kind, _, _ in seen]
    assert {"state", "iteration_started", "iteration_finished"} <= set(kinds)
    for kind, name, fields in seen:
        if kind in ("state", "iteration_started", "iteration_finished"):
            line = iteration_line(kind, name, fields)
            assert line is not None, (kind, fields)
            assert line == encode_line(loop_event(kind, tracker, fields))


def test_the_record_file_reads_back_the_hostile_names(tmp_path):
    path = tmp_path / "e.jsonl"
    recorder = Recorder(path)  # outside an event loop: each event is written at once
    for name in HOSTILE_NAMES:
        for kind, fields in ITERATION_FIELDS:
            recorder.take_raw(kind, _Named(name), fields)
    recorder.close()
    text = path.read_text(encoding="utf-8")
    assert not any(c in text for c in "\x1b\x9b\u202e\u2028\ufeff")
    lines = text.splitlines()
    assert len(lines) == len(HOSTILE_NAMES) * len(ITERATION_FIELDS)
    assert [json.loads(line)["loop"] for line in lines[::len(ITERATION_FIELDS)]] == HOSTILE_NAMES
