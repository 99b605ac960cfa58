"""Recording 5,000 loops every 0.5 s: their lateness with and without ``--record``.

Run: python benchmarks/record_scale.py [--loops 5000] [--seconds 10] [--skip 3]

The same program (``benchmarks/targets/many_loops.py`` with no stagger: N loops, every one every
0.5 s) runs twice in this run under ``looptui --headless --for SECONDS`` (readable output
to /dev/null): once without and once with ``--record FILE``. Each loop's wake-up
lateness is read from its history at exit; the first ``--skip`` seconds (start-up) are
left out. Reports lateness p50 / p99 / max of both, their p99 ratio, and how many
events the record file got.
"""

from __future__ import annotations

import argparse
import json
import os
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


def measure(loops: int, seconds: float, skip: float, record: Path | None) -> list[float]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "late.json"
        env = {**os.environ, "LOOPTUI_BENCH_LOOPS": str(loops), "LOOPTUI_BENCH_OUT": str(out),
               "LOOPTUI_BENCH_STAGGER": "0",
               "PYTHONPATH": str(ROOT)}
        args = [sys.executable, "-m", "looptui", str(TARGET), "--headless", "--no-reload",
                "--for", str(seconds)]
        if record is not None:
            args += ["--record", str(record)]
        subprocess.run(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=seconds * 20 + 120, check=False)
        pairs = json.loads(out.read_text())
    first = min((start for start, _ in pairs), default=0.0)
    return [late for start, late in pairs if start - first >= skip]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loops", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--skip", type=float, default=3.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        record = Path(tmp) / "events.jsonl"
        without = measure(args.loops, args.seconds, args.skip, None)
        with_record = measure(args.loops, args.seconds, args.skip, record)
        events = sum(1 for _ in record.open("rb"))
    print(f"{args.loops} loops every 0.5 s, {args.seconds:g} s (first {args.skip:g} s left out):")
    for label, late in (("headless          ", without), ("headless --record ", with_record)):
        print(f"  {label} iterations {len(late):6d}  lateness p50 {_ms(_pct(late, .5))}"
              f"  p99 {_ms(_pct(late, .99))}  max {_ms(max(late, default=float('nan')))}")
    ratio = _pct(with_record, .99) / _pct(without, .99) if without and with_record else float("nan")
    print(f"  p99 ratio with/without --record: {ratio:.2f}x  ({events:,} events recorded)")


if __name__ == "__main__":
    main()
