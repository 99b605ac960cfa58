"""From the stack samples of one stall to the blocks to report: who held the loop, how long.

One turn of the event loop can run several callbacks: four loops that each call
``time.sleep(0.3)`` and are due at the same instant make one stall of 1.2 s. Reporting
that as one block would blame one of them for all of it and hide the others. So the
samples (taken every few milliseconds by the watchdog thread, each with the asyncio
task running) are cut into *segments* of consecutive samples of the same task. A
segment starts half-way between its first sample and the previous segment's last one
(the first at the start of the stall) and ends where the next begins (the last at the
end of the stall), so the durations add up to the stall's.

Each segment at least as long as the threshold is a block of its own. When none is —
many short callbacks that only together held the loop — the stall is one block with no
loop, and its stack text lists the longest contributors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from looptui.session.health.stacks import RawFrame, format_frames, is_monitor_callback

__all__ = ["Block", "Sample", "analyse", "NO_STACK"]

Sample = tuple[float, tuple[RawFrame, ...], Any]
"""``(monotonic time, innermost-first frames, running task or None)``."""

NO_STACK = (
    "(no stack: the blocking code held the interpreter lock for the whole stall, "
    "e.g. one long call into C such as a regular expression or big-number arithmetic)\n"
)
_CONTRIBUTORS = 5


@dataclass(frozen=True)
class Block:
    """Part (or all) of one stall of the event loop, reported after the stall ended.

    Attributes:
        duration: Seconds the loop was held (estimated to a few ms when a stall is
            shared by several callbacks; exact when it is not).
        stack: Where it was held (traceback-style text), or :data:`NO_STACK`.
        task: The asyncio task that held it, or ``None`` (a plain callback, or unknown).
        samples: Stack samples behind this block.
        monitor: True when the callback that held the loop is the monitor's own
            (looptui's file watcher, Textual's redraw …: see
            :func:`~looptui.session.health.stacks.is_monitor_callback`).
        stall: Seconds the whole stall lasted (equal to ``duration`` unless shared).
    """

    duration: float
    stack: str
    task: Any
    samples: int
    monitor: bool
    stall: float


class _Segment:
    __slots__ = ("task", "samples", "start", "end")

    def __init__(self, task: Any, start: float) -> None:
        self.task = task
        self.samples: list[Sample] = []
        self.start = start
        self.end = start

    @property
    def duration(self) -> float:
        return max(0.0, self.end - self.start)

    def most_common(self) -> tuple[RawFrame, ...]:
        counts: dict[tuple[RawFrame, ...], int] = {}
        for _t, frames, _task in self.samples:
            counts[frames] = counts.get(frames, 0) + 1
        best = max(counts.values())
        # ties: the latest, closest to where the segment ended
        return next(f for _t, f, _k in reversed(self.samples) if counts[f] == best)

    def block(self, stall: float, duration: float | None = None) -> Block:
        frames = self.most_common()
        return Block(self.duration if duration is None else duration, format_frames(frames),
                     self.task, len(self.samples), is_monitor_callback(frames), stall)


def segments(since: float, duration: float, samples: Sequence[Sample]) -> list[_Segment]:
    """Consecutive samples of the same task, with start and end times (see module doc)."""
    out: list[_Segment] = []
    for sample in samples:
        when, _frames, task = sample
        if not out or out[-1].task is not task:
            start = since if not out else (out[-1].samples[-1][0] + when) / 2
            if out:
                out[-1].end = start
            out.append(_Segment(task, start))
        out[-1].samples.append(sample)
    if out:
        out[-1].end = since + duration
    return out


def analyse(since: float, duration: float, samples: Sequence[Sample],
            threshold: float) -> list[Block]:
    """The blocks to report for a stall of *duration* seconds that began at *since*."""
    if not samples:
        return [Block(duration, NO_STACK, None, 0, False, duration)]
    parts = segments(since, duration, samples)
    if len(parts) == 1:
        return [parts[0].block(duration, duration)]
    long = [part for part in parts if part.duration >= threshold]
    if long:
        return [part.block(duration) for part in long]
    biggest = sorted(parts, key=lambda part: part.duration, reverse=True)
    head = [f"(several callbacks held the event loop in one turn; the longest "
            f"{len(biggest[:_CONTRIBUTORS])} of {len(parts)}:)\n"]
    for part in biggest[:_CONTRIBUTORS]:
        name = _task_name(part.task)
        head.append(f"--- about {part.duration * 1000:.0f} ms in {name}:\n")
        head.append(format_frames(part.most_common(), show=6))
    first = biggest[0]
    return [Block(duration, "".join(head), None, len(samples),
                  is_monitor_callback(first.most_common()), duration)]


def _task_name(task: Any) -> str:
    if task is None:
        return "a callback outside any task"
    get_name = getattr(task, "get_name", None)
    return f"task {get_name()!r}" if callable(get_name) else repr(task)
