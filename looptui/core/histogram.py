"""Cumulative bucket counts of a loop's iteration durations and lateness, for metrics.

Prometheus histograms must count every observation, so these are fed as each iteration
ends (:meth:`~looptui.core.tracker.Tracker.iteration_finished` and ``iteration_failed``),
not rebuilt from the bounded history ring. They exist only while metrics are served
(:meth:`~looptui.core.registry.Registry.collect_histograms`): a tracker without them pays
one ``is None`` test per iteration; with them, two bisections and a few additions.
"""

from __future__ import annotations

import bisect
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .tracker import Tracker

__all__ = ["DURATION_BUCKETS", "LATENESS_BUCKETS", "Histogram", "LoopHistograms"]

DURATION_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
                    30.0, 60.0)
"""Upper bounds (seconds) of the iteration duration histogram."""
LATENESS_BUCKETS = (0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0)
"""Upper bounds (seconds) of the lateness histogram (start − scheduled; 0 when unscheduled)."""

_COUNTED = ("ok", "failed", "retried")
"""Outcomes that count as iterations (``total_iterations``); ``cancelled`` does not."""


class Histogram:
    """Counts of values per bucket (``value <= bound``), their sum and their number."""

    __slots__ = ("bounds", "counts", "sum", "count")

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self.bounds = bounds
        self.counts = [0] * (len(bounds) + 1)
        self.sum = 0.0
        self.count = 0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.bounds, value)] += 1
        self.sum += value
        self.count += 1

    def merge(self, other: Histogram) -> None:
        """Add *other*'s counts (same bounds) to these."""
        self.counts = [a + b for a, b in zip(self.counts, other.counts)]
        self.sum += other.sum
        self.count += other.count

    def buckets(self) -> list[tuple[str, float]]:
        """Cumulative ``(le, count)`` pairs as Prometheus wants them, ending with ``+Inf``."""
        out, running = [], 0
        for bound, n in zip(self.bounds, self.counts):
            running += n
            out.append((repr(float(bound)), running))
        out.append(("+Inf", self.count))
        return out


class LoopHistograms:
    """The two histograms of one loop: iteration durations and lateness."""

    __slots__ = ("duration", "lateness")

    def __init__(self) -> None:
        self.duration = Histogram(DURATION_BUCKETS)
        self.lateness = Histogram(LATENESS_BUCKETS)

    def observe(self, duration: float, lateness: float) -> None:
        """One iteration ended (an early start counts as not late)."""
        self.duration.observe(duration)
        self.lateness.observe(lateness if lateness > 0.0 else 0.0)

    def merge(self, other: LoopHistograms) -> None:
        self.duration.merge(other.duration)
        self.lateness.merge(other.lateness)

    @classmethod
    def from_history(cls, tracker: Tracker) -> LoopHistograms:
        """Histograms holding what *tracker*'s history ring still has (metrics turned on
        after the loop ran: its iterations older than the ring are not known)."""
        made = cls()
        for record in tracker.history:
            if record.outcome in _COUNTED and record.duration is not None:
                made.observe(record.duration, record.lateness)
        return made
