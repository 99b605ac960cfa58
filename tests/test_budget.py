"""The shared memory budget: oldest output lines dropped first across loops, newest kept."""

from __future__ import annotations

import gc
import weakref

from looptui.core.budget import KEEP_NEWEST, Budget, line_cost
from looptui.core.registry import Registry
from looptui.core.tracker import OUTPUT_SIZE, Tracker

LINE = "x" * 50
COST = line_cost(LINE)


def test_over_budget_the_oldest_lines_go_first_whoever_wrote_them() -> None:
    budget = Budget(limit_bytes=100 * COST)
    noisy, quiet = Tracker("noisy", budget=budget), Tracker("quiet", budget=budget)
    for i in range(30):
        quiet.add_output("stdout", f"{i:02d}" + LINE[2:])
    for i in range(200):
        noisy.add_output("stdout", f"{i:03d}" + LINE[3:])
    assert budget.used <= budget.limit
    assert len(noisy.output) + len(quiet.output) == 100
    # quiet's lines were the oldest: it is down to its newest, noisy keeps the rest
    assert [t[:2] for _, _, t in quiet.output] == [f"{i:02d}" for i in range(30 - KEEP_NEWEST, 30)]
    assert noisy.output[-1][2].startswith("199")
    assert noisy.dropped + quiet.dropped == 130 == budget.dropped
    assert noisy.output_total == 200


def test_every_loop_keeps_its_newest_lines_even_far_over_budget() -> None:
    budget = Budget(limit_bytes=10 * COST)
    trackers = [Tracker(f"t{i}", budget=budget) for i in range(5)]
    for _ in range(3):
        for t in trackers:
            for _ in range(KEEP_NEWEST):
                t.add_output("stdout", LINE)
    assert all(len(t.output) == KEEP_NEWEST for t in trackers)
    assert budget.used == 5 * KEEP_NEWEST * COST  # the floor: over the limit, but bounded


def test_the_per_loop_cap_still_holds_and_the_queue_stays_bounded() -> None:
    budget = Budget(limit_bytes=10**9)
    t = Tracker("t", budget=budget)
    for i in range(20 * OUTPUT_SIZE):
        t.add_output("stdout", LINE)
    assert len(t.output) == OUTPUT_SIZE
    assert t.dropped == 19 * OUTPUT_SIZE
    assert budget.used == OUTPUT_SIZE * COST
    assert budget.queued <= 2 * OUTPUT_SIZE + 4096  # stale entries are compacted


def test_a_removed_loop_gives_its_bytes_back_and_is_not_held() -> None:
    budget = Budget(limit_bytes=10**9)
    registry = Registry()
    t = Tracker("t", budget=budget)
    registry.register(t)
    for _ in range(10):
        t.add_output("stdout", LINE)
    registry.unregister(t)
    assert budget.used == 0 and t.budget is None
    assert len(t.output) == 10  # still readable
    gone = weakref.ref(t)
    del t
    other = Tracker("o", budget=budget)
    for _ in range(6000):
        other.add_output("stdout", LINE)
    gc.collect()
    assert gone() is None  # the budget's queue let go of it
    assert budget.used == OUTPUT_SIZE * COST


def test_a_merged_history_is_counted_once() -> None:
    budget = Budget(limit_bytes=10**9)
    old, new = Tracker("a", budget=budget), Tracker("a", budget=budget)
    for _ in range(3):
        old.add_output("stdout", LINE)
        new.add_output("stdout", LINE)
    new.adopt_history(old)
    assert len(new.output) == 6
    assert budget.used == 6 * COST
