"""A loop's iteration history as flat numeric rings, read back as :class:`IterationRecord`s.

Keeping one record object per iteration alive for 200 iterations, for thousands of
loops, hands the garbage collector millions of long-lived objects to scan: its gen-1 and
gen-2 pauses then make every loop late. Here a loop's records live in one
``array('d')`` (four numbers per record) and one ``bytearray`` (outcome and flags),
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
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, cast, overload

from .records import ExceptionInfo, IterationRecord, Outcome

if TYPE_CHECKING:
    from .budget import Budget

__all__ = ["IterationHistory", "RECORD_BYTES", "OUTCOMES", "OK", "FAILED", "RETRIED",
           "CANCELLED"]

STRIDE = 4
"""Numbers per record in the ring: iteration, scheduled, started, duration."""
RECORD_BYTES = STRIDE * 8 + 1
"""Bytes one record takes in the rings."""
FIRST_CAPACITY = 4
"""Records a ring has room for before it first grows."""

_NONE = cast("dict[int, Any]", MappingProxyType({}))
"""The read-only empty map a ring's exception maps start as (most rings never fail: no three
dicts each); typed as a dict because every write happens after ``_keep_exception`` has
replaced it with real ones, and reads are the same either way."""

OUTCOMES: tuple[Outcome | None, ...] = (None, "ok", "failed", "retried", "cancelled")
"""Outcome names by code (code 0: still running)."""
OK, FAILED, RETRIED, CANCELLED = 1, 2, 3, 4
"""Outcome codes, for :meth:`IterationHistory.end`."""
OUTCOME_MASK = 7
TRIGGERED = 8
"""Flag bit: the record was started by ``trigger()``."""
UNSCHEDULED = 16
"""Flag bit: the record has no scheduled time (a trigger, a retry)."""


class IterationHistory(Sequence[IterationRecord]):
    """The newest ``maxlen`` iteration records of a loop, oldest first.

    Reading (``len``, indexing, iteration, ``reversed``) materialises
    :class:`IterationRecord` snapshots: changing one does not change the history, and a
    record read while its body runs keeps ``duration is None`` (read it again later).
    Writing goes through :meth:`begin` / :meth:`end`, which take and return the record's
    sequence number (``seq``: 0 for the first record ever, counting on).
    """

    __slots__ = ("maxlen", "_cap", "_count", "_num", "_flags", "_exc", "_exc_refs",
                 "_exc_slot", "_exc_last", "_budget")

    def __init__(self, maxlen: int, budget: Budget | None = None) -> None:
        self.maxlen = maxlen
        self._budget = budget
        self._cap = 0
        self._count = 0  # records ever begun
        self._num = array("d")
        self._flags = bytearray()
        # Made at the first exception (most loops never have one): until then, read-only
        # empty stand-ins.
        self._exc: dict[int, ExceptionInfo] = _NONE  # key (seq of a run's first record) -> info
        self._exc_refs: dict[int, int] = _NONE  # key -> records in the ring that refer to it
        self._exc_slot: dict[int, int] = _NONE  # slot -> key, for records with an exception
        self._exc_last = -1  # key of the newest run of failures

    # ------------------------------------------------------------------ writing
    def begin(self, iteration: int, scheduled: float | None, started: float,
              triggered: bool = False) -> int:
        """Add a running record and return its sequence number (-1: nothing is kept)."""
        seq = self._count
        cap = self._cap
        if seq < cap:
            slot = seq
        elif cap == self.maxlen and cap and not self._exc_slot:  # full, nothing to forget
            slot = seq % cap
        else:
            slot = self._make_room(seq)
            if slot < 0:
                return -1
        base = slot << 2
        num = self._num
        num[base] = iteration
        num[base + 2] = started
        if scheduled is None:
            self._flags[slot] = UNSCHEDULED | TRIGGERED if triggered else UNSCHEDULED
        else:
            num[base + 1] = scheduled
            self._flags[slot] = TRIGGERED if triggered else 0
        self._count = seq + 1
        return seq

    def end(self, seq: int, duration: float, outcome: int,
            exception: ExceptionInfo | None = None) -> None:
        """Close record *seq* with an outcome code (:data:`OK` …); no-op once it left."""
        count = self._count
        if not (count - self._cap <= seq < count and seq >= 0):
            return
        slot = seq % self._cap
        self._num[(slot << 2) + 3] = duration
        self._flags[slot] = (self._flags[slot] & ~OUTCOME_MASK) | outcome
        if exception is not None:
            self._keep_exception(seq, slot, exception)

    def started_of(self, seq: int) -> float:
        """When record *seq* started (NaN once it left the ring)."""
        if not self._holds(seq):
            return math.nan
        return self._num[((seq % self._cap) << 2) + 2]

    def _holds(self, seq: int) -> bool:
        return 0 <= seq < self._count and seq >= self._count - self._cap

    def _make_room(self, seq: int) -> int:
        """The slot for record *seq* when the ring is full: grow it, or evict the oldest."""
        cap = self._cap
        if seq == cap and cap < self.maxlen:
            self._grow()
            if self._cap > cap:
                return seq
        if not self._cap:
            return -1  # maxlen 0: nothing is kept
        slot = seq % self._cap
        if self._exc_slot:
            self._evict(slot)
        return slot

    def _grow(self) -> None:
        new_cap = min(self.maxlen, max(FIRST_CAPACITY, self._cap * 2))
        extra = new_cap - self._cap
        if self._budget is not None and self._cap and not self._budget.reserve(extra * RECORD_BYTES):
            return  # over budget: this ring keeps its size and starts dropping its oldest
        self._num.extend(array("d", bytes(8 * STRIDE * extra)))
        self._flags.extend(bytes(extra))
        self._cap = new_cap

    def _evict(self, slot: int) -> None:
        """Forget the exception of the record in *slot* (about to be overwritten)."""
        key = self._exc_slot.pop(slot, -1)
        if key >= 0:
            left = self._exc_refs[key] - 1
            if left:
                self._exc_refs[key] = left
            else:
                del self._exc_refs[key]
                del self._exc[key]
                if key == self._exc_last:
                    self._exc_last = -1

    def _keep_exception(self, seq: int, slot: int, info: ExceptionInfo) -> None:
        """Store *info* for record *seq*; same as the newest kept one: share its entry."""
        if self._exc is _NONE:
            self._exc, self._exc_refs, self._exc_slot = {}, {}, {}
        if slot in self._exc_slot:  # ended twice: forget the first one
            self._evict(slot)
        last = self._exc_last
        if last >= 0 and self._exc[last].signature() == info.signature():
            self._exc[last] = info
            self._exc_refs[last] += 1
            key = last
        else:
            key = seq
            self._exc[seq] = info
            self._exc_refs[seq] = 1
            self._exc_last = seq
        self._exc_slot[slot] = key

    def release(self) -> None:
        """Give this ring's bytes back to the budget (the loop is gone)."""
        if self._budget is not None and self._cap > FIRST_CAPACITY:
            self._budget.free((self._cap - FIRST_CAPACITY) * RECORD_BYTES)
        self._budget = None

    def clear(self) -> None:
        """Forget every record (the ring keeps its size)."""
        self._count = 0
        self._exc = self._exc_refs = self._exc_slot = _NONE
        self._exc_last = -1

    def replace(self, records: list[IterationRecord]) -> None:
        """Hold exactly the newest ``maxlen`` of *records* (oldest first), renumbered from 0."""
        self.clear()
        for record in records[-self.maxlen:] if self.maxlen else []:
            seq = self.begin(record.iteration, record.scheduled, record.started, record.triggered)
            if record.outcome is not None:
                self.end(seq, record.duration if record.duration is not None else 0.0,
                         OUTCOMES.index(record.outcome), record.exception)

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
        base = slot << 2
        num = self._num
        flags = self._flags[slot]
        rec = IterationRecord(
            int(num[base]), None if flags & UNSCHEDULED else num[base + 1], num[base + 2],
            bool(flags & TRIGGERED),
        )
        code = flags & OUTCOME_MASK
        rec.duration = num[base + 3] if code else None
        rec.outcome = OUTCOMES[code]
        key = self._exc_slot.get(slot, -1)
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
        return self._num[(((self._count - 1) % self._cap) << 2) + 2]

    def durations(self) -> list[float]:
        """Durations of the finished records, oldest first (without materialising them)."""
        n = len(self)
        cap = self._cap
        num = self._num
        out = []
        flags = self._flags
        for seq in range(self._count - n, self._count):
            slot = seq % cap
            if flags[slot] & OUTCOME_MASK:
                out.append(num[(slot << 2) + 3])
        return out

    def exceptions(self) -> list[ExceptionInfo]:
        """The exceptions the records hold, oldest first, each once."""
        return [self._exc[key] for key in sorted(self._exc)]

    def __repr__(self) -> str:
        return f"<IterationHistory {len(self)}/{self.maxlen} records>"
