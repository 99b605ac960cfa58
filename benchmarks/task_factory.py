"""What noting every task's creation costs (the tasks view's ages): with vs without.

Run: python benchmarks/task_factory.py [--tasks N] [--repeats R]

``looptui bot.py`` installs a task factory (:mod:`looptui.session.debug.births`) that
notes when each task is created and by which task. It runs once per *task created*, so
two figures:

* ``create_task``: N tasks of an empty coroutine created and awaited (in batches of
  1,000), per task — the case it adds to directly;
* 0-second loop: a looptui ``@loop(seconds=0, count=N)`` with an empty body, per
  iteration — what a monitored loop pays (a loop makes its task once, at start).

Configurations alternate R times in the same process (no factory, then the births
factory); shown are the best run of each and the median of the ratios of adjacent runs.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from looptui import loop
from looptui.session.debug.births import TaskBirths


async def _noop() -> None:
    pass


async def _create(n: int) -> float:
    t0 = time.perf_counter()
    for _ in range(n // 1000):
        await asyncio.gather(*[asyncio.create_task(_noop()) for _ in range(1000)])
    return (time.perf_counter() - t0) / n


async def _zero_loop(n: int) -> float:
    @loop(seconds=0, count=n)
    async def spin() -> None:
        pass

    t0 = time.perf_counter()
    await spin.start()
    return (time.perf_counter() - t0) / n


async def run(n: int, repeats: int) -> None:
    births = TaskBirths()
    results: dict[str, dict[str, list[float]]] = {
        "create_task": {"off": [], "on": []}, "0-second loop": {"off": [], "on": []}}
    for _ in range(repeats):
        for mode in ("off", "on"):
            if mode == "on":
                births.install()
            results["create_task"][mode].append(await _create(n))
            results["0-second loop"][mode].append(await _zero_loop(n))
            births.uninstall()
    for name, runs in results.items():
        ratios = [on / off for off, on in zip(runs["off"], runs["on"], strict=True)]
        print(f"{name:<14} without {min(runs['off']) * 1e6:6.2f} µs   with "
              f"{min(runs['on']) * 1e6:6.2f} µs   best {min(runs['on']) / min(runs['off']):.2f}×"
              f"   median of rounds {statistics.median(ratios):.2f}×")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    asyncio.run(run(args.tasks, args.repeats))


if __name__ == "__main__":
    main()
