"""Benchmark target: N loops (default 1,000) every 0.5 s plus a stagger (default 0.01 s × i % 50).

Used by ``benchmarks/observer.py`` to compare the lateness of the same loops under the TUI
and headless, and by ``benchmarks/record_scale.py`` (``LOOPTUI_BENCH_STAGGER=0``: every loop
every 0.5 s) with and without ``--record``. Each loop's wake-up lateness is kept in its
history; at exit the module writes every recorded ``[start, lateness]`` pair (epoch s, s) to
the file named by ``LOOPTUI_BENCH_OUT``, and with ``LOOPTUI_BENCH_CPU_OUT`` the CPU seconds this
process used (not its children) to that file.
"""

import atexit
import json
import os
import time

from looptui import loop

N = int(os.environ.get("LOOPTUI_BENCH_LOOPS", "1000"))
STAGGER = float(os.environ.get("LOOPTUI_BENCH_STAGGER", "0.01"))
LOOPS = []


def _make(i: int):
    @loop(seconds=0.5 + (i % 50) * STAGGER, name=f"worker-{i:04d}")
    async def worker():
        pass

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
    if cpu_out:  # CPU seconds of this process (the event loop and looptui's threads)
        with open(cpu_out, "w") as fh:
            json.dump(time.process_time(), fh)


atexit.register(_dump)
