"""Benchmark target: N loops (default 1,000) every 0.5 s plus a stagger (default 0.01 s × i % 50).

With ``LOOPTUI_BENCH_SPREAD=S`` loop i waits S × i / N seconds before its first run (its
``before_loop``), so the loops are spread evenly over S seconds instead of all due at once.

Used by ``benchmarks/observer.py`` to compare the lateness of the same loops under the TUI
and headless, and by ``benchmarks/record_scale.py`` (``LOOPTUI_BENCH_STAGGER=0``: every loop
every 0.5 s) with and without ``--record``. Each loop's wake-up lateness is kept in its
history; at exit the module writes every recorded ``[start, lateness]`` pair (epoch s, s) to
the file named by ``LOOPTUI_BENCH_OUT``, and with ``LOOPTUI_BENCH_CPU_OUT`` the CPU seconds this
process used (not its children) and the seconds it spent in garbage collection to that file.
"""

import asyncio
import atexit
import gc
import json
import os
import time

from looptui import loop

N = int(os.environ.get("LOOPTUI_BENCH_LOOPS", "1000"))
STAGGER = float(os.environ.get("LOOPTUI_BENCH_STAGGER", "0.01"))
SPREAD = float(os.environ.get("LOOPTUI_BENCH_SPREAD", "0"))
"""Seconds over which the loops' first runs are spread (each waits i/N of it in its
``before_loop``); 0: every loop runs first at once."""
LOOPS = []


def _make(i: int):
    @loop(seconds=0.5 + (i % 50) * STAGGER, name=f"worker-{i:04d}")
    async def worker():
        pass

    if SPREAD:
        @worker.before_loop
        async def _spread():
            await asyncio.sleep(SPREAD * i / N)

    return worker


for _i in range(N):
    LOOPS.append(_make(_i))
    globals()[f"worker_{_i:04d}"] = LOOPS[-1]


def _dump() -> None:
    out = os.environ.get("LOOPTUI_BENCH_OUT")
    if not out:
        return
    late = [[r.started, r.lateness] for lp in LOOPS for r in lp.history if r.scheduled is not None]
    with open(out, "w") as fh:
        json.dump(late, fh)
    cpu_out = os.environ.get("LOOPTUI_BENCH_CPU_OUT")
    if cpu_out:  # CPU s of this process (the event loop, looptui's threads), s collecting
        with open(cpu_out, "w") as fh:
            json.dump({"cpu": time.process_time(), "gc": _COLLECTING[0]}, fh)


_COLLECTING = [0.0, 0.0]
"""Seconds spent in garbage collection so far, and when the one under way started."""


def _timed(phase, _info):
    if phase == "start":
        _COLLECTING[1] = time.perf_counter()
    else:
        _COLLECTING[0] += time.perf_counter() - _COLLECTING[1]


gc.callbacks.append(_timed)


atexit.register(_dump)
