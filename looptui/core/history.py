"""A loop's iteration history as flat numeric rings, read back as :class:`IterationRecord`s.

Keeping one record object per iteration alive for 200 iterations, for thousands of
loops, hands the garbage collector millions of long-lived objects to scan: its gen-1 and
gen-2 pauses then make every loop late. Here a loop's records live in one
``array('d')`` (five numbers per record) and one ``bytearray`` (outcome and flags),
which the collector never scans, and records are materialised only when someone reads
them (the details view, a test). Exceptions are kept beside the rings, only for records
that have one, and a run of consecutive failures with the same type and message shares
one :class:`ExceptionInfo` (the newest).

The ring starts small and doubles up to ``maxlen`` (asking a :class:`~looptui.core.budget.
Budget`, when given, for the bytes first), so 10,000 hourly loops do not each reserve
room for 200 records they will not have for days.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, overload

from .records import ExceptionInfo, IterationRecord

if TYPE_CHECKING:
    from .budget import Budget

__all__ = ["IterationHistory", "RECORD_BYTES", "OUTCOMES"]

NAN = math.nan
STRIDE = 5
"""Numbers per record: iteration, scheduled (NaN: none), started, duration (NaN: running),
exception key (-1: none)."""
RECORD_BYTES = STRIDE * 8 + 1
"""Bytes one record takes in the rings."""
FIRST_CAPACITY = 4
"""Records a ring has room for before it first grows."""

OUTCOMES: tuple[str | None, ...] = (None, "ok", "failed", "retried", "cancelled")
"""Outcome names by code (code 0: still running)."""
OUTCOME_CODES = {name: code for code, name in enumerate(OUTCOMES) if name is not None}
TRIGGERED = 8
"""Flag bit: the record was started by ``trigger()``."""
OUTCOME_MASK = 7


class IterationHistory(Sequence[IterationRecord]):
    """The newest ``maxlen`` iteration records of a loop, oldest first.

    Reading (``len``, indexing, iteration, ``reversed``) materialises
    :class:`IterationRecord` snapshots: changing one does not change the history, and a
    record read while its body runs keeps ``duration is None`` (read it again later).
    Writing goes through :meth:`begin` / :meth:`end`, which take and return the record's
    sequence number (``seq``: 0 for the first record ever, counting on).
    """

    __slots__ = ("maxlen", "_cap", "_count", "_num", "_flags", "_exc", "_exc_refs",
                 "_exc_last", "_budget", "__weakref__")

    def __init__(self, maxlen: int, budget: Budget | None = None) -> None:
        self.maxlen = maxlen
        self._budget = budget
        self._cap = 0
        self._count = 0  # records ever begun
        self._num = array("d")
        self._flags = bytearray()
        self._exc: dict[int, ExceptionInfo] = {}  # key (seq of a run's first record) -> info
        self._exc_refs: dict[int, int] = {}  # key -> records in the ring that refer to it
        self._exc_last = -1  # key of the newest run of failures

    # ------------------------------------------------------------------ writing
    def begin(self, iteration: int, scheduled: float | None, started: float,
              triggered: bool = False) -> int:
        """Add a running record and return its sequence number."""
        seq = self._count
        cap = self._cap
        if seq >= cap:
            if seq == cap and cap < self.maxlen:
                self._grow()
                cap = self._cap
            if cap == 0:
                return -1  # maxlen 0: nothing is kept
        slot = seq % cap
        if seq >= cap:
            self._evict(slot)
        base = slot * STRIDE
        num = self._num
        num[base] = iteration
        num[base + 1] = NAN if scheduled is None else scheduled
        num[base + 2] = started
        num[base + 3] = NAN
        num[base + 4] = -1.0
        self._flags[slot] = TRIGGERED if triggered else 0
        self._count = seq + 1
        return seq

    def end(self, seq: int, duration: float, outcome: str,
            exception: ExceptionInfo | None = None) -> None:
        """Close record *seq* (no-op once it left the ring)."""
        if not self._holds(seq):
            return
        slot = seq % self._cap
        self._num[slot * STRIDE + 3] = duration
        self._flags[slot] = (self._flags[slot] & TRIGGERED) | OUTCOME_CODES[outcome]
        if exception is not None:
            self._num[slot * STRIDE + 4] = self._keep_exception(seq, exception)

    def started_of(self, seq: int) -> float:
        """When record *seq* started (NaN once it left the ring)."""
        if not self._holds(seq):
            return NAN
        return self._num[(seq % self._cap) * STRIDE + 2]

    def _holds(self, seq: int) -> bool:
        return 0 <= seq < self._count and seq >= self._count - self._cap

    def _grow(self) -> None:
        new_cap = min(self.maxlen, max(FIRST_CAPACITY, self._cap * 2))
        extra = new_cap - self._cap
        if self._budget is not None and self._cap and not self._budget.reserve(extra * RECORD_BYTES):
            return  # over budget: this ring keeps its size and starts dropping its oldest
        self._num.extend(array("d", bytes(8 * STRIDE * extra)))
        self._flags.extend(bytes(extra))
        self._cap = new_cap

    def _evict(self, slot: int) -> None:
        """Forget the record in *slot* (about to be overwritten)."""
        key = int(self._num[slot * STRIDE + 4])
        if key >= 0:
            left = self._exc_refs[key] - 1
            if left:
                self._exc_refs[key] = left
            else:
                del self._exc_refs[key]
                del self._exc[key]
                if key == self._exc_last:
                    self._exc_last = -1

    def _keep_exception(self, seq: int, info: ExceptionInfo) -> int:
        """Store *info* for record *seq*; same as the newest kept one: share its slot."""
        last = self._exc_last
        if last >= 0 and self._exc[last].signature() == info.signature():
            self._exc[last] = info
            self._exc_refs[last] += 1
            return last
        self._exc[seq] = info
        self._exc_refs[seq] = 1
        self._exc_last = seq
        return seq

    def release(self) -> None:
        """Give this ring's bytes back to the budget (the loop is gone)."""
        if self._budget is not None and self._cap > FIRST_CAPACITY:
            self._budget.free((self._cap - FIRST_CAPACITY) * RECORD_BYTES)
        self._budget = None

    def clear(self) -> None:
        """Forget every record (the ring keeps its size)."""
        self._count = 0
        self._exc.clear()
        self._exc_refs.clear()
        self._exc_last = -1

    def replace(self, records: list[IterationRecord]) -> None:
        """Hold exactly the newest ``maxlen`` of *records* (oldest first), renumbered from 0."""
        self.clear()
        for record in records[-self.maxlen:] if self.maxlen else []:
            seq = self.begin(record.iteration, record.scheduled, record.started, record.triggered)
            if record.outcome is not None:
                self.end(seq, record.duration if record.duration is not None else 0.0,
                         record.outcome, record.exception)

    # ------------------------------------------------------------------ reading
    def __len__(self) -> int:
        return min(self._count, self._cap)

    @property
    def total(self) -> int:
        """Records ever begun (also those dropped from the ring)."""
        return self._count

    @property
    def capacity(self) -> int:
        """Records the ring has room for now (grows up to ``maxlen``)."""
        return self._cap

    def record(self, seq: int) -> IterationRecord | None:
        """Record *seq* materialised, or ``None`` once it left the ring."""
        if not self._holds(seq):
            return None
        slot = seq % self._cap
        base = slot * STRIDE
        num = self._num
        scheduled = num[base + 1]
        flags = self._flags[slot]
        rec = IterationRecord(
            int(num[base]), None if scheduled != scheduled else scheduled, num[base + 2],
            bool(flags & TRIGGERED),
        )
        duration = num[base + 3]
        rec.duration = None if duration != duration else duration
        rec.outcome = OUTCOMES[flags & OUTCOME_MASK]  # type: ignore[assignment]
        key = int(num[base + 4])
        rec.exception = self._exc.get(key) if key >= 0 else None
        rec.seq = seq
        return rec

    @overload
    def __getitem__(self, index: int) -> IterationRecord: ...
    @overload
    def __getitem__(self, index: slice) -> list[IterationRecord]: ...

    def __getitem__(self, index: Any) -> Any:
        n = len(self)
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(n))]
        if index < 0:
            index += n
        if not 0 <= index < n:
            raise IndexError("history index out of range")
        return self.record(self._count - n + index)

    def __iter__(self) -> Iterator[IterationRecord]:
        first = self._count - len(self)
        for seq in range(first, self._count):
            rec = self.record(seq)
            if rec is not None:
                yield rec

    def __reversed__(self) -> Iterator[IterationRecord]:
        first = self._count - len(self)
        for seq in range(self._count - 1, first - 1, -1):
            rec = self.record(seq)
            if rec is not None:
                yield rec

    def last_started(self) -> float | None:
        """When the newest record started (``None`` when there is none), without
        materialising it: the table asks this for every visible row on every tick."""
        if not self._count or not self._cap:
            return None
        return self._num[((self._count - 1) % self._cap) * STRIDE + 2]

    def durations(self) -> list[float]:
        """Durations of the finished records, oldest first (without materialising them)."""
        n = len(self)
        cap = self._cap
        num = self._num
        out = []
        for seq in range(self._count - n, self._count):
            d = num[(seq % cap) * STRIDE + 3]
            if d == d:
                out.append(d)
        return out

    def exceptions(self) -> list[ExceptionInfo]:
        """The exceptions the records hold, oldest first, each once."""
        return [self._exc[key] for key in sorted(self._exc)]

    def __repr__(self) -> str:
        return f"<IterationHistory {len(self)}/{self.maxlen} records>"
