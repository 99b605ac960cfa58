"""The compact iteration history: numeric rings read back as records, nothing for the GC."""

from __future__ import annotations

import gc

import pytest

from looptui.core.budget import Budget
from looptui.core.history import (
    FAILED, FIRST_CAPACITY, OK, RECORD_BYTES, RETRIED, IterationHistory,
)
from looptui.core.records import ExceptionInfo
from looptui.core.tracker import HISTORY_SIZE, Tracker


def _info(exc: BaseException) -> ExceptionInfo:
    try:
        raise exc
    except BaseException as caught:
        return ExceptionInfo(caught, "body", 0.0)


def test_records_read_back_with_every_field() -> None:
    h = IterationHistory(10)
    a = h.begin(0, 100.0, 100.5)
    h.end(a, 0.25, OK)
    b = h.begin(0, None, 101.0, triggered=True)
    info = _info(ValueError("bad"))
    h.end(b, 0.5, FAILED, info)
    c = h.begin(1, 102.0, 102.0)
    first, second, third = list(h)
    assert (first.iteration, first.scheduled, first.started, first.duration, first.lateness,
            first.outcome, first.exception, first.triggered) == (
        0, 100.0, 100.5, 0.25, 0.5, "ok", None, False)
    assert (second.scheduled, second.lateness, second.outcome, second.triggered) == (
        None, 0.0, "failed", True)
    assert second.exception is info
    assert third.duration is None and third.outcome is None  # still running
    assert [r.seq for r in h] == [a, b, c] == [0, 1, 2]
    assert h[-1].seq == c and h[0].seq == a and [r.seq for r in h[1:]] == [b, c]
    assert [r.seq for r in reversed(h)] == [c, b, a]
    assert h.durations() == [0.25, 0.5]


def test_the_ring_keeps_the_newest_and_grows_only_when_needed() -> None:
    h = IterationHistory(50)
    assert h.capacity == 0
    h.begin(0, None, 0.0)
    assert h.capacity == FIRST_CAPACITY
    for i in range(1, 120):
        h.end(h.begin(i, None, float(i)), 0.0, OK)
    assert h.capacity == 50 and len(h) == 50 and h.total == 120
    assert [r.iteration for r in h] == list(range(70, 120))
    assert h.record(10) is None  # left the ring
    with pytest.raises(IndexError):
        h[50]


def test_a_refused_ring_keeps_its_size_and_drops_its_oldest() -> None:
    budget = Budget(limit_bytes=FIRST_CAPACITY * RECORD_BYTES)  # room to double once
    h = IterationHistory(200, budget)
    for i in range(100):
        h.end(h.begin(i, None, float(i)), 0.0, OK)
    assert h.capacity == 2 * FIRST_CAPACITY
    assert [r.iteration for r in h] == list(range(100 - 2 * FIRST_CAPACITY, 100))
    h.release()
    assert budget.used == 0


def test_equal_exceptions_in_a_row_share_one_info_and_leave_with_their_records() -> None:
    h = IterationHistory(4)
    infos = [_info(OSError("reset")) for _ in range(3)]
    for i, info in enumerate(infos):
        h.end(h.begin(i, None, float(i)), 0.0, RETRIED, info)
    assert [r.exception for r in h] == [infos[2]] * 3  # the newest stands for the run
    assert h.exceptions() == [infos[2]]
    other = _info(ValueError("x"))
    h.end(h.begin(3, None, 3.0), 0.0, FAILED, other)
    assert h.exceptions() == [infos[2], other]
    for i in range(4, 8):  # push every failure out of the ring
        h.end(h.begin(i, None, float(i)), 0.0, OK)
    assert h.exceptions() == []


def test_recording_creates_no_objects_the_gc_tracks() -> None:
    tracker = Tracker("t")
    for i in range(HISTORY_SIZE):  # the ring has grown to its full size
        tracker.iteration_finished(tracker.iteration_started(i, float(i)))
    gc.collect()
    before = len(gc.get_objects())
    for i in range(10 * HISTORY_SIZE):
        tracker.iteration_finished(tracker.iteration_started(i, float(i)))
    gc.collect()
    assert len(gc.get_objects()) - before <= 2  # nothing per iteration survives
    assert len(tracker.history) == HISTORY_SIZE
    assert tracker.history[-1].iteration == 10 * HISTORY_SIZE - 1


def test_current_is_the_running_body_and_survives_a_merge() -> None:
    old, new = Tracker("a"), Tracker("a")
    for i in range(3):
        old.iteration_finished(old.iteration_started(i, float(i)))
    seq = new.iteration_started(5, 10.0)
    assert new.current is not None and new.current.iteration == 5
    assert new.current_seq == seq
    new.adopt_history(old)
    assert [r.iteration for r in new.history] == [0, 1, 2, 5]
    assert new.current is not None and new.current.iteration == 5
    new.iteration_finished(new.current_seq)
    assert new.current is None
    assert [r.outcome for r in new.history] == ["ok"] * 4
