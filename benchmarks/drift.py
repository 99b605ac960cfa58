"""Drift and wake-up lateness of a 10 ms loop: looptui vs asyncio.sleep vs discord.py.

Run: python benchmarks/drift.py [--iterations N] [--interval S]

* drift: how far the last iteration's start is from ``start + (N-1) * interval`` (the
  grid). A loop that sleeps "interval after the body" drifts by the body time and the
  wake-up lateness every iteration; a grid loop does not.
* lateness: start time minus scheduled time of each iteration, p50 / p99 / max.
  ``asyncio.sleep`` lateness (sleep for the time left to the same grid) is measured in
  the same run as the floor: how late the event loop itself wakes up.
"""

from __future__ import annotations

import argparse
import asyncio
import time


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


async def _asyncio_grid(n: int, interval: float) -> tuple[float, list[float]]:
    start = time.time()
    late = []
    for i in range(n):
        target = start + i * interval
        delay = target - time.time()
        if delay > 0:
            await asyncio.sleep(delay)
        late.append(time.time() - target)
    return late[-1], late


async def _looptui(n: int, interval: float) -> tuple[float, list[float]]:
    from looptui import loop

    first: list[float] = []
    late: list[float] = []

    @loop(seconds=interval, count=n)
    async def job() -> None:
        record = job.tracker.current  # the record of this very iteration
        if not first:
            first.append(record.scheduled)
        late.append(record.lateness)
        last[:] = [record.started]

    last: list[float] = []
    await job.start()
    return last[0] - (first[0] + (n - 1) * interval), late


async def _discord(n: int, interval: float) -> tuple[float, list[float]]:
    from discord.ext import tasks

    starts: list[float] = []
    scheduled: list[float] = []

    @tasks.loop(seconds=interval, count=n)
    async def job() -> None:
        starts.append(time.time())
        scheduled.append(job._last_iteration.timestamp())

    await job.start()
    drift = starts[-1] - (scheduled[0] + (n - 1) * interval)
    return drift, [s - c for s, c in zip(starts, scheduled)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=1000)
    parser.add_argument("--interval", type=float, default=0.010)
    args = parser.parse_args()

    async def run() -> None:
        print(f"{args.iterations} iterations every {args.interval * 1000:g} ms")
        print(f"{'':14s} {'drift':>9s} {'p50 late':>9s} {'p99 late':>9s} {'max late':>9s}")
        for name, fn in (("asyncio.sleep", _asyncio_grid), ("looptui", _looptui), ("discord.py", _discord)):
            drift, late = await fn(args.iterations, args.interval)
            print(
                f"{name:14s} {drift * 1e3:8.3f}ms {_pct(late, .5) * 1e3:8.3f}ms "
                f"{_pct(late, .99) * 1e3:8.3f}ms {max(late) * 1e3:8.3f}ms"
            )

    asyncio.run(run())


if __name__ == "__main__":
    main()
