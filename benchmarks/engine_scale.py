"""5,000 loops every 0.5 s, engine only: event-loop lag and GC pauses, looptui vs discord.py.

Run: python benchmarks/engine_scale.py [--loops N] [--seconds S] [--rounds R]

Each implementation runs in a fresh child process (its own heap and GC state), one after
the other, R rounds alternating: N loops with an empty body every 0.5 s (staggered over
the first interval, as a real program starts them), no monitor attached — looptui's
``loop`` records every iteration (history, stats, states), discord.py's ``tasks.loop``
records nothing. During S seconds after a warm-up (the history rings fill), a probe task
measures how late a 10 ms timer wakes (the lag every loop suffers), and ``gc.callbacks``
times every garbage collection by generation, in wall-clock time and in CPU time (the
latter is what the collection itself cost: on a busy machine the wall-clock pause also
counts the time the process waited for a core). Reports lag p50 / p99 / max, collections
and their longest pause per generation, GC-tracked objects at the end, and the ratio of
the lag p99s (target: looptui ≤ 1.5× discord.py).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBE = 0.01


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


async def _child(impl: str, loops: int, seconds: float, warmup: float) -> dict:
    if impl == "looptui":
        from looptui import loop as make_loop
    else:
        from discord.ext.tasks import loop as make_loop

    async def body() -> None:
        pass

    made = []
    for i in range(loops):
        lp = make_loop(seconds=0.5, name=f"job{i}")(body) if impl == "looptui" else (
            make_loop(seconds=0.5, name=f"job{i}")(body)
        )
        made.append(lp)
    for i, lp in enumerate(made):
        lp.start()
        if i % (loops // 50 or 1) == 0:
            await asyncio.sleep(0.5 / 50)  # stagger the starts over one interval
    await asyncio.sleep(warmup)

    pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
    cpu_pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
    started: list[float] = [0.0, 0.0]

    def on_gc(phase: str, info: dict) -> None:
        if phase == "start":
            started[0], started[1] = time.perf_counter(), time.thread_time()
        else:
            pauses[info["generation"]].append(time.perf_counter() - started[0])
            cpu_pauses[info["generation"]].append(time.thread_time() - started[1])

    gc.callbacks.append(on_gc)
    lags: list[float] = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        t0 = time.perf_counter()
        await asyncio.sleep(PROBE)
        lags.append(time.perf_counter() - t0 - PROBE)
    gc.callbacks.remove(on_gc)
    tracked = len(gc.get_objects())
    for lp in made:
        lp.cancel()
    await asyncio.sleep(0.1)
    return {"lags": lags, "pauses": pauses, "cpu_pauses": cpu_pauses, "tracked": tracked}


def _run_child(impl: str, args: argparse.Namespace) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", impl, "--loops", str(args.loops),
         "--seconds", str(args.seconds), "--warmup", str(args.warmup)],
        capture_output=True, text=True, check=True, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loops", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=110.0,
                        help="seconds before measuring (looptui's history rings fill in 100 s)")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--child", choices=("looptui", "discord.py"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = asyncio.run(_child(args.child, args.loops, args.seconds, args.warmup))
        print(json.dumps(result))
        return

    merged: dict[str, dict] = {}
    for _ in range(args.rounds):
        for impl in ("discord.py", "looptui"):
            res = _run_child(impl, args)
            slot = merged.setdefault(impl, {"lags": [], "pauses": {"0": [], "1": [], "2": []},
                                            "cpu_pauses": {"0": [], "1": [], "2": []},
                                            "tracked": []})
            slot["lags"].extend(res["lags"])
            for key in ("pauses", "cpu_pauses"):
                for gen, values in res[key].items():
                    slot[key][gen].extend(values)
            slot["tracked"].append(res["tracked"])
    print(f"{args.loops:,} loops every 0.5 s, engine only, {args.seconds:g} s measured after "
          f"{args.warmup:g} s warm-up, {args.rounds} round(s), Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs:")
    for impl, res in merged.items():
        lags = res["lags"]
        print(f"  {impl:10s} lag p50 {_pct(lags, .5) * 1e3:6.2f} ms  p99 {_pct(lags, .99) * 1e3:6.2f} ms"
              f"  max {max(lags) * 1e3:7.2f} ms   GC-tracked objects {max(res['tracked']):,}")
        for gen in ("0", "1", "2"):
            values, cpu = res["pauses"][gen], res["cpu_pauses"][gen]
            if values:
                print(f"  {'':10s}   gen-{gen} collections {len(values):5d}  longest "
                      f"{max(values) * 1e3:6.2f} ms (CPU {max(cpu) * 1e3:6.2f} ms)  total "
                      f"{sum(values) * 1e3:7.1f} ms (CPU {sum(cpu) * 1e3:7.1f} ms)")
            else:
                print(f"  {'':10s}   gen-{gen} collections     0")
    ratio = _pct(merged["looptui"]["lags"], .99) / _pct(merged["discord.py"]["lags"], .99)
    print(f"  lag p99 looptui / discord.py: {ratio:.2f}x  (target <= 1.5x)")


if __name__ == "__main__":
    main()
