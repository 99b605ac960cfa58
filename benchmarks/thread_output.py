"""Threads printing without pause: how late a 50 ms loop runs, with and without looptui.

Run: python benchmarks/thread_output.py [--threads 1 3] [--seconds 8]

For each thread count, the same program (``benchmarks/targets/printing_threads.py``:
N threads printing as fast as they can, one loop every 50 ms) runs twice in this run:
bare (``python printing_threads.py``, output to /dev/null) and under
``looptui --headless --json --for SECONDS``. Reports the loop's lateness p50 / p99 / max
in both, their p99 ratio, and how long ``--for SECONDS`` took from start to exit (a
monitor that starves its loops also overruns its own deadline).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "benchmarks" / "targets" / "printing_threads.py"


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def _ms(value: float) -> str:
    return f"{value * 1000:.2f} ms"


def bare(threads: int, seconds: float) -> list[float]:
    env = {**os.environ, "PRINTING_THREADS": str(threads), "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, str(TARGET), str(seconds)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            timeout=seconds * 20 + 60)
    return [float(line) for line in result.stderr.split() if line.strip()]


def monitored(threads: int, seconds: float) -> tuple[list[float], float]:
    env = {**os.environ, "PRINTING_THREADS": str(threads), "PYTHONPATH": str(ROOT)}
    began = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "looptui", str(TARGET), "--headless", "--json", "--no-reload",
         "--for", str(seconds)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        timeout=seconds * 40 + 120,
    )
    took = time.perf_counter() - began
    late = []
    for line in result.stdout.splitlines():
        if not line.startswith("{"):  # the threads print on after looptui let go of stdout
            continue
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if event.get("event") == "iteration_finished" and event.get("loop") == "beat":
            late.append(event["lateness"])
    return late, took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 3])
    parser.add_argument("--seconds", type=float, default=8.0)
    args = parser.parse_args()
    for threads in args.threads:
        plain = bare(threads, args.seconds)
        late, took = monitored(threads, args.seconds)
        print(f"{threads} printing thread{'s' if threads != 1 else ''}, {args.seconds:g} s:")
        print(f"  bare     iterations {len(plain):4d}  lateness p50 {_ms(_pct(plain, .5))}"
              f"  p99 {_ms(_pct(plain, .99))}  max {_ms(max(plain, default=float('nan')))}")
        print(f"  looptui  iterations {len(late):4d}  lateness p50 {_ms(_pct(late, .5))}"
              f"  p99 {_ms(_pct(late, .99))}  max {_ms(max(late, default=float('nan')))}"
              f"  (--for {args.seconds:g} took {took:.2f} s)")
        ratio = _pct(late, .99) / _pct(plain, .99) if plain and late else float("nan")
        print(f"  p99 ratio looptui/bare: {ratio:.2f}x")


if __name__ == "__main__":
    main()
