"""What recording costs the event loop per event: writer process vs encoding in-process.

Run: python benchmarks/record_cost.py [--loops 5000] [--rounds 20] [--repeat 3]

Feeds a :class:`~looptui.session.events.recorder.Recorder` the four events of one
iteration of every loop (``state`` running, ``iteration_started``, ``iteration_finished``,
``state`` sleeping, with the fields the tracker emits) ``--rounds`` times on a running
event loop, letting each batch be written, and reads the CPU seconds of this process
(not of the writer child) and the time spent in garbage collection. The same feed runs
with the writer process and with in-process encoding, alternately, ``--repeat`` times.
This is the recorder's own cost, without the engine; ``record_scale.py`` measures what
the loops feel.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import tempfile
import time
from pathlib import Path

from looptui.session.events.recorder import FLUSH_EVERY, Recorder


class _Named:
    def __init__(self, name: str) -> None:
        self.name = name


async def feed(loops: int, rounds: int, writer_process: bool) -> tuple[float, float, int]:
    """CPU s of this process, s in garbage collection, events written."""
    names = [_Named(f"worker-{i:04d}") for i in range(loops)]
    collecting = [0.0, 0.0]

    def timed(phase: str, _info: dict) -> None:
        if phase == "start":
            collecting[1] = time.perf_counter()
        else:
            collecting[0] += time.perf_counter() - collecting[1]

    with tempfile.TemporaryDirectory() as tmp:
        recorder = Recorder(Path(tmp) / "events.jsonl", writer_process=writer_process)
        gc.callbacks.append(timed)
        start = time.process_time()
        try:
            for iteration in range(rounds):
                now = time.time()
                for i, tracker in enumerate(names):
                    recorder.take_raw("state", tracker, {"state": "running", "time": now})
                    recorder.take_raw("iteration_started", tracker, {
                        "iteration": iteration, "scheduled": now - 0.001, "triggered": False,
                        "time": now})
                    recorder.take_raw("iteration_finished", tracker, {
                        "iteration": iteration, "duration": 1.234e-05, "lateness": 0.00123,
                        "time": now})
                    recorder.take_raw("state", tracker, {"state": "sleeping", "time": now})
                    if i % 500 == 0:
                        await asyncio.sleep(0)  # other callbacks (the flush) get their turn
                await asyncio.sleep(FLUSH_EVERY * 1.2)
            recorder.close()
            return time.process_time() - start, collecting[0], recorder.written
        finally:
            gc.callbacks.remove(timed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loops", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    per_event: dict[str, list[float]] = {"in-process": [], "writer process": []}
    for _ in range(args.repeat):
        for label, process in (("in-process", False), ("writer process", True)):
            cpu, collected, events = asyncio.run(feed(args.loops, args.rounds, process))
            per_event[label].append(cpu / events * 1e6)
            print(f"  {label:15s} CPU of this process {cpu:.2f} s for {events:,} events = "
                  f"{cpu / events * 1e6:.2f} µs/event (garbage collection {collected:.2f} s)")
    a, b = per_event["in-process"], per_event["writer process"]
    print(f"µs/event: in-process {min(a):.2f}–{max(a):.2f}, writer process {min(b):.2f}–{max(b):.2f}"
          f"  (ratio of medians {sorted(b)[len(b) // 2] / sorted(a)[len(a) // 2]:.2f}x)")


if __name__ == "__main__":
    main()
