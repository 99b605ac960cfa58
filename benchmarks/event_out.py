"""Every event out at 10,000 iterations/s: lateness under ``--json`` and ``--record`` vs bare discord.py.

Run: python benchmarks/event_out.py [--loops 5000] [--seconds 10] [--skip 3] [--rounds 3]
                                    [--only discord.py engine json record headless]

N loops with an empty body, every one every 0.5 s (2 × N iterations a second), their
first runs spread evenly over the first 0.5 s (each waits its share in ``before_loop``),
as a real program's loops come to be spread, or with ``--burst`` all due at the same
instant — then the loops of each library stay as tightly packed as its own start-up
left them (discord.py's first steps are slower, which spreads its loops over ≈ 150 ms
of each period, looptui's over ≈ 25 ms: the same work comes in a denser burst, and
the p99 measures the burst), each configuration in a fresh process, the configurations
interleaved round after round (on a shared machine the load drifts; interleaving spreads
it over all of them):

* ``discord.py``: the same loops written with discord.py's ``tasks.loop``, started by a
  plain asyncio program, no monitor at all (the peer);
* ``engine``: ``benchmarks/targets/many_loops.py`` (the same loops written with
  ``looptui.loop``) started by a plain asyncio program, no monitor;
* ``json``: ``benchmarks/targets/many_loops.py`` (``looptui.loop``) under
  ``looptui --headless --json`` with stdout a file (every event encoded and written);
* ``record``: the same under ``looptui --headless --record FILE`` (readable output to
  /dev/null);
* ``headless``: the same under ``looptui --headless`` (readable output, routine events
  not made), for reference.

Lateness is how late each iteration started after the time it was due (looptui: from
the loops' history; discord.py: measured in the body against ``Loop._last_iteration``,
the time discord.py scheduled it for); the first ``--skip`` seconds (start-up) are left
out. Reports per round lateness p50 / p99 / max, each configuration's p99 as a ratio
to the discord.py run of the same round and the CPU seconds of the whole run (all its
processes, start-up included: on a loaded machine the figure that depends least on
what else runs), then per configuration the best and the median
over rounds. Target: ``json`` and ``record`` p99 ≤ max(100 ms, 2 × discord.py's).
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
TARGET = ROOT / "benchmarks" / "targets" / "many_loops.py"
CONFIGS = ("discord.py", "engine", "json", "record", "headless")

DISCORD = '''\
import asyncio, datetime, json, sys
from discord.ext import tasks

N, SECONDS, OUT, SPREAD = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3], float(sys.argv[4])
UTC = datetime.timezone.utc
pairs = []


def make(i):
    @tasks.loop(seconds=0.5, name=f"worker-{i:04d}")
    async def worker():
        now = datetime.datetime.now(UTC)
        pairs.append((now.timestamp(), (now - worker._last_iteration).total_seconds()))

    if SPREAD:
        @worker.before_loop
        async def spread():
            await asyncio.sleep(SPREAD * i / N)
    return worker


async def main():
    loops = [make(i) for i in range(N)]
    for lp in loops:
        lp.start()
    await asyncio.sleep(SECONDS)
    for lp in loops:
        lp.cancel()
    with open(OUT, "w") as fh:
        json.dump(pairs, fh)

asyncio.run(main())
'''

ENGINE = '''\
import asyncio, importlib.util, sys
spec = importlib.util.spec_from_file_location("many_loops", sys.argv[1])


async def main():
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # its exit hook writes the lateness
    for lp in module.LOOPS:
        lp.start()
    await asyncio.sleep(float(sys.argv[2]))
    for lp in module.LOOPS:
        lp.cancel()

asyncio.run(main())
'''


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def _ms(value: float) -> str:
    return f"{value * 1000:8.1f} ms"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(config: str, loops: int, seconds: float, skip: float,
            spread: float) -> tuple[list[float], int, float]:
    """Lateness (s) of every iteration after *skip* in one run of *config*, the events
    written (``json``, ``record``; 0 otherwise), and the CPU seconds of the whole run
    (every process of it: looptui, its writer process; start-up included)."""
    with tempfile.TemporaryDirectory() as tmp:
        late_out = Path(tmp) / "late.json"
        events_out = Path(tmp) / "events.jsonl"
        env = {**os.environ, "LOOPTUI_BENCH_LOOPS": str(loops), "LOOPTUI_BENCH_OUT": str(late_out),
               "LOOPTUI_BENCH_STAGGER": "0", "LOOPTUI_BENCH_SPREAD": str(spread),
               "PYTHONPATH": str(ROOT)}
        looptui = [sys.executable, "-m", "looptui", str(TARGET), "--headless", "--no-reload",
                   "--for", str(seconds)]
        if config == "discord.py":
            script = Path(tmp) / "bare_discord.py"
            script.write_text(DISCORD)
            args = [sys.executable, str(script), str(loops), str(seconds), str(late_out),
                    str(spread)]
        elif config == "engine":
            script = Path(tmp) / "bare_engine.py"
            script.write_text(ENGINE)
            args = [sys.executable, str(script), str(TARGET), str(seconds)]
        elif config == "json":
            args = [*looptui, "--json"]
        elif config == "record":
            args = [*looptui, "--record", str(events_out)]
        else:
            args = looptui
        cpu = _children_cpu()
        with open(events_out if config == "json" else os.devnull, "ab") as out:
            subprocess.run(args, env=env, stdout=out, stderr=subprocess.DEVNULL,
                           timeout=seconds * 20 + 120, check=False)
        cpu = _children_cpu() - cpu
        pairs = json.loads(late_out.read_text())
        events = 0
        if config in ("json", "record"):
            with events_out.open("rb") as fh:
                events = sum(1 for _ in fh)
    first = min((start for start, _ in pairs), default=0.0)
    return [late for start, late in pairs if start - first >= skip], events, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loops", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--skip", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--burst", action="store_true",
                        help="every loop first runs at once (default: spread over 0.5 s)")
    parser.add_argument("--only", nargs="+", choices=CONFIGS, default=list(CONFIGS))
    args = parser.parse_args()
    configs = ["discord.py", *[c for c in args.only if c != "discord.py"]]
    how = "all first run at once" if args.burst else "first runs spread over 0.5 s"
    print(f"{args.loops:,} loops every 0.5 s ({how}), {args.seconds:g} s each (first {args.skip:g} s "
          f"left out), {args.rounds} rounds interleaved, Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start:")
    p99s: dict[str, list[float]] = {c: [] for c in configs}
    ratios: dict[str, list[float]] = {c: [] for c in configs}
    for round_ in range(1, args.rounds + 1):
        print(f" round {round_}:")
        peer = float("nan")
        for config in configs:
            late, events, cpu = measure(config, args.loops, args.seconds, args.skip,
                                   0.0 if args.burst else 0.5)
            p99 = _pct(late, .99)
            if config == "discord.py":
                peer = p99
            p99s[config].append(p99)
            ratios[config].append(p99 / peer if peer else float("nan"))
            extra = f"  {events:,} events written" if events else ""
            print(f"  {config:11s} iterations {len(late):7,}  lateness p50 {_ms(_pct(late, .5))}"
                  f"  p99 {_ms(p99)}  max {_ms(max(late, default=float('nan')))}"
                  f"  p99 ratio {ratios[config][-1]:5.2f}x  CPU {cpu:5.1f} s{extra}", flush=True)
    print("best / median over rounds (p99, and the ratio to discord.py's p99 of the same round):")
    for config in configs:
        values, rs = p99s[config], ratios[config]
        print(f"  {config:11s} p99 best {_ms(min(values))}  median {_ms(_pct(values, .5))}"
              f"   ratio best {min(rs):5.2f}x  median {_pct(rs, .5):5.2f}x")


if __name__ == "__main__":
    main()
