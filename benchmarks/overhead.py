"""Per-iteration cost of a 0-second loop: looptui vs discord.py's tasks.loop, same run.

Run: python benchmarks/overhead.py [--iterations N] [--repeats R]

Each implementation runs a ``seconds=0`` loop with an empty body for N iterations
(``count=N``), R times, alternating, and the best time per iteration is kept (the least
disturbed run). looptui runs with recording on (history, stats, state tracking: what the
monitor reads). A bare ``await asyncio.sleep(0)`` loop is measured too, as the floor.
The figure that matters is the ratio looptui / discord.py measured in the same process.
Both wall-clock time and CPU time (``time.process_time``: not counting the time the
process waited for a core) are measured; on a shared machine the CPU-time ratio is the
steadier one.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import time


async def _bare(n: int) -> tuple[float, float]:
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(n):
        await asyncio.sleep(0)
    return time.perf_counter() - t0, time.process_time() - c0


async def _run_loop(make, n: int) -> tuple[float, float]:
    async def body() -> None:
        pass

    lp = make(body, n)
    t0, c0 = time.perf_counter(), time.process_time()
    await lp.start()
    return time.perf_counter() - t0, time.process_time() - c0


def _looptui(body, n):
    from looptui import loop

    return loop(seconds=0, count=n)(body)


def _discord(body, n):
    from discord.ext import tasks

    return tasks.loop(seconds=0, count=n)(body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=20000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    n = args.iterations
    names = ("asyncio.sleep(0)", "discord.py", "looptui")
    best = {name: float("inf") for name in names}
    best_cpu = {name: float("inf") for name in names}

    async def run() -> None:
        for _ in range(args.repeats):
            for name in best:
                gc.collect()
                if name == "asyncio.sleep(0)":
                    elapsed, cpu = await _bare(n)
                else:
                    elapsed, cpu = await _run_loop(
                        _discord if name == "discord.py" else _looptui, n)
                best[name] = min(best[name], elapsed / n)
                best_cpu[name] = min(best_cpu[name], cpu / n)

    asyncio.run(run())
    base, base_cpu = best["discord.py"], best_cpu["discord.py"]
    print(f"per-iteration cost of a 0-second loop ({n} iterations, best of {args.repeats}):")
    for name in names:
        print(f"  {name:18s} wall {best[name] * 1e6:7.2f} us (ratio vs discord.py "
              f"{best[name] / base:.2f})   CPU {best_cpu[name] * 1e6:7.2f} us (ratio "
              f"{best_cpu[name] / base_cpu:.2f})")


if __name__ == "__main__":
    main()
