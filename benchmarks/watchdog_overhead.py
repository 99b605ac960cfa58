"""What the blocking watchdog costs when nothing blocks: with vs without, in the same run.

Run: python benchmarks/watchdog_overhead.py [--iterations N] [--repeats R] [--idle S]

* event-loop turn: ``await asyncio.sleep(0)`` N times (one event-loop iteration each,
  the case the selector wrapper adds to most directly).
* 0-second loop: a looptui ``@loop(seconds=0, count=N)`` with an empty body, per
  iteration (what a busy monitored loop pays).
* lateness: 200 loops every 10 ms for a while, p50 / p99 of how late each body started.
* idle CPU: process CPU seconds over S seconds of an idle event loop (the watchdog
  thread's wake-ups are all that runs).

Each cost alternates "off" and "on" R times; shown are the best (least disturbed) run
of each and the median of the R on/off ratios of adjacent runs — on a shared machine
the median ratio is the steadier figure.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import time

from looptui.session.health.watchdog import Watchdog


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


async def _turns(n: int) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        await asyncio.sleep(0)
    return (time.perf_counter() - t0) / n


async def _zero_loop(n: int) -> float:
    from looptui import loop

    @loop(seconds=0, count=n)
    async def body() -> None:
        pass

    t0 = time.perf_counter()
    await body.start()
    return (time.perf_counter() - t0) / n


async def _lateness(loops: int, seconds: float) -> tuple[float, float]:
    from looptui import loop

    made = []
    for _ in range(loops):
        @loop(seconds=0.01)
        async def tick() -> None:
            pass

        made.append(tick)
    for lp in made:
        lp.start()
    await asyncio.sleep(seconds)
    late = [r.lateness for lp in made for r in list(lp.history)[1:]]
    for lp in made:
        lp.cancel()
    await asyncio.sleep(0.05)
    return _pct(late, 0.5), _pct(late, 0.99)


async def _idle_cpu(seconds: float) -> float:
    t0 = time.process_time()
    await asyncio.sleep(seconds)
    return time.process_time() - t0


async def _measure(name: str, on: bool, coro_factory):
    watchdog = Watchdog(lambda block: None)
    if on:
        watchdog.start()
    try:
        gc.collect()
        return await coro_factory()
    finally:
        watchdog.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--idle", type=float, default=3.0)
    args = parser.parse_args()
    n = args.iterations

    async def run() -> None:
        cases = {
            "event-loop turn (us)": lambda: _turns(n),
            "0-second loop iteration (us)": lambda: _zero_loop(n),
        }
        print(f"watchdog overhead when nothing blocks (best of {args.repeats}, "
              f"alternating off/on):")
        for label, factory in cases.items():
            best = {False: float("inf"), True: float("inf")}
            ratios = []
            for i in range(args.repeats):
                pair = {}
                for on in ((False, True) if i % 2 else (True, False)):
                    pair[on] = await _measure(label, on, factory)
                    best[on] = min(best[on], pair[on])
                ratios.append(pair[True] / pair[False])
            print(f"  {label:32s} off {best[False] * 1e6:7.3f}  on {best[True] * 1e6:7.3f}"
                  f"  ratio best {best[True] / best[False]:.3f}, median {_pct(ratios, 0.5):.3f}")
        late = {False: (float("inf"),) * 2, True: (float("inf"),) * 2}
        for _ in range(max(1, args.repeats // 2)):
            for on in (False, True):
                p50, p99 = await _measure("lateness", on, lambda: _lateness(200, 2.0))
                late[on] = min(late[on], (p50, p99), key=lambda pair: pair[1])
        print(f"  {'lateness of 200 loops @10ms (ms)':32s} "
              f"off p50 {late[False][0] * 1e3:.3f} p99 {late[False][1] * 1e3:.3f}  "
              f"on p50 {late[True][0] * 1e3:.3f} p99 {late[True][1] * 1e3:.3f}")
        cpu = {False: 0.0, True: 0.0}
        for on in (False, True):
            cpu[on] = await _measure("idle", on, lambda: _idle_cpu(args.idle))
        print(f"  {'idle CPU over %gs (ms)' % args.idle:32s} off {cpu[False] * 1e3:7.2f}  "
              f"on {cpu[True] * 1e3:7.2f}  (+{(cpu[True] - cpu[False]) / args.idle * 100:.3f}% "
              "of one core)")

    asyncio.run(run())


if __name__ == "__main__":
    main()
