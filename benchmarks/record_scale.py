"""Recording 5,000 loops every 0.5 s: their lateness and looptui's CPU with and without ``--record``.

Run: python benchmarks/record_scale.py [--loops 5000] [--seconds 10] [--skip 3] [--rounds 3]

The same program (``benchmarks/targets/many_loops.py`` with no stagger: N loops, every one every
0.5 s) runs under ``looptui --headless --for SECONDS`` (readable output to /dev/null),
without and with ``--record FILE``, one after the other, ``--rounds`` times. Each loop's
wake-up lateness is read from its history at exit; the first ``--skip`` seconds
(start-up) are left out. Reports, per round, lateness p50 / p99 / max of both and their
p99 ratio, the CPU seconds of looptui's own process until the program's exit hooks (the
event loop the loops run on; of them, garbage collection) and of the whole run (with the
record's writer process),
and how many events the record file got; then the spread of the p99 ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "benchmarks" / "targets" / "many_loops.py"  # with no stagger


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def _ms(value: float) -> str:
    return f"{value * 1000:.2f} ms"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(loops: int, seconds: float, skip: float,
            record: Path | None) -> tuple[list[float], float, float, float]:
    """Lateness of every iteration after *skip*, CPU s of looptui's process until the
    program's exit hooks, CPU s of the rest of the run (its end, the writer process),
    s looptui's process spent in garbage collection."""
    with tempfile.TemporaryDirectory() as tmp:
        out, cpu_out = Path(tmp) / "late.json", Path(tmp) / "cpu.json"
        env = {**os.environ, "LOOPTUI_BENCH_LOOPS": str(loops), "LOOPTUI_BENCH_OUT": str(out),
               "LOOPTUI_BENCH_STAGGER": "0", "LOOPTUI_BENCH_CPU_OUT": str(cpu_out),
               "PYTHONPATH": str(ROOT)}
        args = [sys.executable, "-m", "looptui", str(TARGET), "--headless", "--no-reload",
                "--for", str(seconds)]
        if record is not None:
            args += ["--record", str(record)]
        before = _children_cpu()
        subprocess.run(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=seconds * 20 + 120, check=False)
        total = _children_cpu() - before  # looptui and the children it waited for
        pairs = json.loads(out.read_text())
        own = json.loads(cpu_out.read_text())
    first = min((start for start, _ in pairs), default=0.0)
    late = [late for start, late in pairs if start - first >= skip]
    return late, own["cpu"], max(0.0, total - own["cpu"]), own["gc"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loops", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--skip", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"{args.loops} loops every 0.5 s, {args.seconds:g} s (first {args.skip:g} s left out):")
    ratios = []
    for round_ in range(1, args.rounds + 1):
        with tempfile.TemporaryDirectory() as tmp:
            record = Path(tmp) / "events.jsonl"
            runs = [("headless          ", measure(args.loops, args.seconds, args.skip, None)),
                    ("headless --record ", measure(args.loops, args.seconds, args.skip, record))]
            events = sum(1 for _ in record.open("rb"))
        print(f" round {round_}:")
        for label, (late, own, children, collecting) in runs:
            print(f"  {label} iterations {len(late):6d}  lateness p50 {_ms(_pct(late, .5))}"
                  f"  p99 {_ms(_pct(late, .99))}  max {_ms(max(late, default=float('nan')))}"
                  f"  CPU looptui {own:.2f} s (GC {collecting:.2f} s; all processes "
                  f"{own + children:.2f} s)")
        without, with_record = runs[0][1][0], runs[1][1][0]
        ratio = (_pct(with_record, .99) / _pct(without, .99) if without and with_record
                 else float("nan"))
        ratios.append(ratio)
        print(f"  p99 ratio with/without --record: {ratio:.2f}x  ({events:,} events recorded)")
    print(f"p99 ratio over {len(ratios)} rounds: min {min(ratios):.2f}x  "
          f"median {_pct(ratios, .5):.2f}x  max {max(ratios):.2f}x")


if __name__ == "__main__":
    main()
