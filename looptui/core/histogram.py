"""Cumulative bucket counts of a loop's iteration durations and lateness, for metrics.

Prometheus histograms must count every observation, so these are fed as each iteration
ends (:meth:`~looptui.core.tracker.Tracker.iteration_finished` and ``iteration_failed``),
not rebuilt from the bounded history ring. They exist only while metrics are served
(:meth:`~looptui.core.registry.Registry.collect_histograms`): a tracker without them pays
one ``is None`` test per iteration; with them, one call, two bisections and a few
additions.
"""

from __future__ import annotations

from bisect import bisect_left as _bisect
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .records import IterationRecord

__all__ = ["DURATION_BUCKETS", "LATENESS_BUCKETS", "LoopHistograms", "cumulative"]

DURATION_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
                    30.0, 60.0)
"""Upper bounds (seconds) of the iteration duration histogram."""
LATENESS_BUCKETS = (0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0)
"""Upper bounds (seconds) of the lateness histogram (start − scheduled; 0 when unscheduled)."""

_COUNTED = ("ok", "failed", "retried")
"""Outcomes that count as iterations (``total_iterations``); ``cancelled`` does not."""


def cumulative(bounds: tuple[float, ...], counts: list[int], total: int
               ) -> list[tuple[str, float]]:
    """Per-bucket *counts* as the cumulative ``(le, count)`` pairs Prometheus wants,
    ending with ``("+Inf", total)``."""
    out: list[tuple[str, float]] = []
    running = 0
    for bound, n in zip(bounds, counts, strict=False):  # counts has one more: +Inf
        running += n
        out.append((repr(float(bound)), running))
    out.append(("+Inf", total))
    return out


class LoopHistograms:
    """One loop's iteration durations and lateness: counts per bucket (``value <= bound``;
    the last slot is above every bound), their sums, and how many iterations.

    One :meth:`observe` per iteration, with no call inside it but two bisections: this
    runs on the loops' hot path while metrics are served.
    """

    __slots__ = ("duration_counts", "lateness_counts", "duration_sum", "lateness_sum",
                 "count")

    def __init__(self) -> None:
        self.duration_counts = [0] * (len(DURATION_BUCKETS) + 1)
        self.lateness_counts = [0] * (len(LATENESS_BUCKETS) + 1)
        self.duration_sum = 0.0
        self.lateness_sum = 0.0
        self.count = 0

    def observe(self, duration: float, lateness: float) -> None:
        """One iteration ended (an early start counts as not late)."""
        self.duration_counts[_bisect(DURATION_BUCKETS, duration)] += 1
        self.duration_sum += duration
        if lateness > 0.0:
            self.lateness_counts[_bisect(LATENESS_BUCKETS, lateness)] += 1
            self.lateness_sum += lateness
        else:
            self.lateness_counts[0] += 1
        self.count += 1

    def merge(self, other: LoopHistograms) -> None:
        """Add *other*'s counts (the same loop's earlier generation, across a reload)."""
        self.duration_counts = [a + b for a, b in zip(self.duration_counts,
                                                      other.duration_counts, strict=True)]
        self.lateness_counts = [a + b for a, b in zip(self.lateness_counts,
                                                      other.lateness_counts, strict=True)]
        self.duration_sum += other.duration_sum
        self.lateness_sum += other.lateness_sum
        self.count += other.count

    def duration_buckets(self) -> list[tuple[str, float]]:
        return cumulative(DURATION_BUCKETS, self.duration_counts, self.count)

    def lateness_buckets(self) -> list[tuple[str, float]]:
        return cumulative(LATENESS_BUCKETS, self.lateness_counts, self.count)

    @classmethod
    def from_history(cls, history: Iterable[IterationRecord]) -> LoopHistograms:
        """Histograms holding what a loop's *history* ring still has (metrics turned on
        after the loop ran: its iterations older than the ring are not known)."""
        made = cls()
        for record in history:
            if record.outcome in _COUNTED and record.duration is not None:
                made.observe(record.duration, record.lateness)
        return made
