"""Memory of many started loops: ``looptui --headless`` vs bare discord.py, and chatty loops.

Run: python benchmarks/memory.py [--loops N] [--seconds S]
     python benchmarks/memory.py --chatty MINUTES [--chatty-loops N]

1. N loops every 60 s (module-level, the same module file for every run, only the import
   of ``tasks`` differs), each run in its own process, RSS (``/proc/PID/status``) sampled
   every 0.25 s for S seconds; the figure is the RSS at the end (after start-up, every
   loop has run its first body and sleeps):

   * ``looptui --headless`` on ``from looptui import tasks`` loops (``--json`` to
     /dev/null: every event is built and written);
   * ``looptui --headless`` on ``from discord.ext import tasks`` loops (adapted);
   * bare discord.py: the same loops started by a plain asyncio program, no monitor;
   * bare looptui engine: ``looptui.tasks`` loops, no monitor (no session, no events);
   * and both bare engines with 0 loops, for the cost per loop.

   Target: looptui --headless ≤ 1.0× bare discord.py.
2. ``--chatty M``: N loops (default 1,000) every 50 ms, each printing three lines per
   run, under ``looptui --headless --json`` for M minutes; RSS every 10 s. Output is bounded
   by the total buffer budget (``--buffer-budget``), not by each loop's 500 lines.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable

MODULE = '''\
import os
if os.environ["BENCH_IMPL"] == "looptui":
    from looptui import tasks
else:
    from discord.ext import tasks

async def body():
    pass

for i in range(int(os.environ["BENCH_LOOPS"])):
    globals()[f"job{i:05d}"] = tasks.loop(seconds=60, name=f"job{i:05d}")(body)
'''

BARE = '''\
import asyncio, importlib.util, os, sys
spec = importlib.util.spec_from_file_location("many", sys.argv[1])

async def main():
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    for name, value in list(vars(mod).items()):
        if name.startswith("job"):
            value.start()
    await asyncio.sleep(float(sys.argv[2]))

asyncio.run(main())
'''

CHATTY = '''\
from looptui import tasks

def make(i):
    runs = [0]

    async def body():
        runs[0] += 1
        print("job", i, "run", runs[0])
        print("  some detail of run", runs[0])
        print("  and one more line")
    return body

for i in range({n}):
    globals()[f"job{{i:04d}}"] = tasks.loop(seconds=0.05, name=f"job{{i:04d}}")(make(i))
'''


def rss_of(pid: int) -> float:
    """Resident set size of process *pid* in MB (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1000
    except OSError:
        pass
    return 0.0


def measure(cmd: list[str], env: dict[str, str], seconds: float, every: float = 0.25,
            report=None) -> list[tuple[float, float]]:
    """Run *cmd*, sample its RSS every *every* s for *seconds*; returns (t, MB) samples."""
    proc = subprocess.Popen(cmd, env={**os.environ, **env}, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    samples = []
    t0 = time.perf_counter()
    try:
        while time.perf_counter() - t0 < seconds and proc.poll() is None:
            time.sleep(every)
            sample = (time.perf_counter() - t0, rss_of(proc.pid))
            if sample[1]:
                samples.append(sample)
                if report is not None:
                    report(sample)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return samples


def many_loops(loops: int, seconds: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        target = os.path.join(tmp, "many.py")
        bare = os.path.join(tmp, "bare.py")
        Path(target).write_text(MODULE)
        Path(bare).write_text(BARE)
        headless = [PY, "-m", "looptui", target, "--headless", "--json", "--no-reload",
                    "--for", str(seconds + 30)]
        bare_cmd = [PY, bare, target, str(seconds + 30)]
        runs = {
            "looptui --headless (looptui.tasks)": (headless, "looptui", loops),
            "looptui --headless (discord.py tasks)": (headless, "discord", loops),
            "bare discord.py": (bare_cmd, "discord", loops),
            "bare looptui engine": (bare_cmd, "looptui", loops),
            "bare discord.py, 0 loops": (bare_cmd, "discord", 0),
            "bare looptui engine, 0 loops": (bare_cmd, "looptui", 0),
        }
        results = {}
        for name, (cmd, impl, n) in runs.items():
            samples = measure(cmd, {"BENCH_IMPL": impl, "BENCH_LOOPS": str(n),
                                    "PYTHONPATH": str(ROOT)}, seconds)
            results[name] = samples[-1][1] if samples else float("nan")
    peer = results["bare discord.py"]
    print(f"{loops:,} loops every 60 s, RSS after {seconds:g} s (Python {sys.version.split()[0]}):")
    for name, mb in results.items():
        print(f"  {name:40s} {mb:7.1f} MB   ratio vs bare discord.py {mb / peer:.2f}")
    for engine in ("bare discord.py", "bare looptui engine"):
        per = (results[engine] - results[f"{engine}, 0 loops"]) * 1000 / loops
        print(f"  {engine} per loop: {per:.1f} kB")


def chatty(loops: int, minutes: float, budget: float | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        target = os.path.join(tmp, "chatty.py")
        Path(target).write_text(CHATTY.format(n=loops))
        seconds = minutes * 60
        cmd = [PY, "-m", "looptui", target, "--headless", "--json", "--no-reload",
               "--for", str(seconds + 30)]
        if budget is not None:
            cmd += ["--buffer-budget", str(budget)]
        print(f"{loops:,} loops every 50 ms printing 3 lines a run, looptui --headless --json, "
              f"{minutes:g} min:")
        samples = measure(cmd, {"PYTHONPATH": str(ROOT)}, seconds, every=10.0,
                          report=lambda s: print(f"  {s[0]:6.0f} s  {s[1]:7.1f} MB", flush=True))
    if samples:
        late = [mb for t, mb in samples if t >= seconds / 2]
        print(f"  second half: min {min(late):.1f} MB, max {max(late):.1f} MB, "
              f"last {samples[-1][1]:.1f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loops", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--chatty", type=float, metavar="MINUTES")
    parser.add_argument("--chatty-loops", type=int, default=1000)
    parser.add_argument("--buffer-budget", type=float, metavar="MB")
    args = parser.parse_args()
    if args.chatty:
        chatty(args.chatty_loops, args.chatty, args.buffer_budget)
    else:
        many_loops(args.loops, args.seconds)


if __name__ == "__main__":
    main()
