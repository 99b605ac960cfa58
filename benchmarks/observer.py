"""How much the TUI disturbs the loops it monitors, and how fast its first frame comes.

Run (needs tmux): python benchmarks/observer.py [--loops 1000] [--seconds 20]

1. Lateness: the same module of N loops (``benchmarks/targets/many_loops.py``) runs for
   the same time under ``looptui --headless`` and under the TUI in a real terminal (a
   tmux pane, 160x45), one after the other in this run. The module records every
   iteration's wake-up lateness and writes them at exit; p50/p99/max are compared.
2. Time to first frame: from starting the process to the table's header being on screen
   (tmux capture-pane polled every 10 ms), against a minimal Textual app showing a table
   (a ``DataTable`` with looptui's columns and a dozen rows) measured the same way,
   alternating, median of R runs, both from compiled bytecode. Target: looptui ≤ 1.2× the
   minimal app.

``--first-frame-only`` skips part 1.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.path.join(ROOT, "benchmarks", "targets", "many_loops.py")
PY = sys.executable
WARMUP = 3.0


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def _tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True).stdout


def _run_in_tmux(cmd: str, env: dict[str, str], ready: str | None, timeout: float) -> float | None:
    """Run *cmd* in a fresh tmux session; return seconds until *ready* shows on screen."""
    session = f"lt-bench-{os.getpid()}"
    _tmux("kill-session", "-t", session)
    env_prefix = " ".join(f"{k}={v}" for k, v in env.items())
    t0 = time.perf_counter()
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", session, "-x", "160", "-y", "45",
         f"cd {ROOT} && {env_prefix} {cmd}"],
        check=True,
    )
    first = None
    deadline = t0 + timeout
    while time.perf_counter() < deadline:
        if ready is not None and first is None and ready in _tmux("capture-pane", "-p", "-t", session):
            first = time.perf_counter() - t0
        if session not in _tmux("ls"):
            break
        time.sleep(0.01)
    _tmux("kill-session", "-t", session)
    return first


def lateness(loops: int, seconds: float) -> None:
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for mode in ("headless", "tui"):
            out = os.path.join(tmp, f"{mode}.json")
            env = {"LOOPTUI_BENCH_OUT": out, "LOOPTUI_BENCH_LOOPS": str(loops)}
            flags = "--headless" if mode == "headless" else ""
            if mode == "headless":
                subprocess.run(
                    [PY, "-m", "looptui", TARGET, "--headless", "--for", str(seconds), "--no-reload"],
                    env={**os.environ, **env}, stdout=subprocess.DEVNULL, check=False, cwd=ROOT,
                )
            else:
                _run_in_tmux(
                    f"{PY} -m looptui {TARGET} {flags} --for {seconds} --no-reload",
                    env, None, seconds + 60,
                )
            with open(out) as fh:
                pairs = json.load(fh)
            start = min(t for t, _ in pairs)
            # The first seconds measure start-up (import, 1,000 first runs), not steady state.
            results[mode] = [late for t, late in pairs if t - start >= WARMUP]
            results[f"{mode} (incl. warm-up)"] = [late for _, late in pairs]
    print(
        f"wake-up lateness of {loops} loops over {seconds:g} s, after {WARMUP:g} s of warm-up "
        "(same module, same run):"
    )
    for mode, late in results.items():
        print(
            f"  {mode:26s} n={len(late):6d}  p50 {_pct(late, .5) * 1e3:6.2f} ms  "
            f"p99 {_pct(late, .99) * 1e3:6.2f} ms  max {max(late) * 1e3:7.2f} ms"
        )


MINIMAL_APP = """
from textual.app import App
from textual.widgets import DataTable, Footer, Static
class Minimal(App):
    def compose(self):
        yield Static("minimal app")
        yield DataTable()
        yield Footer()
    def on_mount(self):
        table = self.query_one(DataTable)
        table.add_columns("Loop", "Status", "Iter", "Every", "Next", "Last", "Took", "Errors",
                          "Minimal exception")
        for i in range(12):
            table.add_row(f"job{i}", "sleeping", str(i), "30s", "12s", "3s", "1ms", "0", "")
        self.set_timer(1.0, self.exit)
Minimal().run()
"""


def first_frame(repeats: int) -> None:
    # Both apps start from compiled bytecode, as after any pip install: Textual's is
    # compiled at install time; looptui's is compiled here (an editable install with
    # PYTHONDONTWRITEBYTECODE set would otherwise recompile it at every start).
    subprocess.run([PY, "-m", "compileall", "-q", os.path.join(ROOT, "looptui")], check=True)
    with tempfile.TemporaryDirectory() as tmp:
        minimal = os.path.join(tmp, "minimal_app.py")
        with open(minimal, "w") as fh:
            fh.write(MINIMAL_APP)
        example = os.path.join(ROOT, "examples", "demo.py")
        timings: dict[str, list[float]] = {"minimal Textual app": [], "looptui examples/demo.py": []}
        for _ in range(repeats):
            t = _run_in_tmux(f"{PY} {minimal}", {}, "Minimal exception", 30)
            if t is not None:
                timings["minimal Textual app"].append(t)
            t = _run_in_tmux(f"{PY} -m looptui {example} --for 2 --no-reload", {}, "Last exception", 30)
            if t is not None:
                timings["looptui examples/demo.py"].append(t)
    print(f"time to first frame (median of {repeats}, tmux 160x45):")
    base = _pct(timings["minimal Textual app"], 0.5)
    for name, values in timings.items():
        med = _pct(values, 0.5)
        print(f"  {name:26s} {med * 1e3:7.0f} ms   ratio {med / base:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loops", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--first-frame-only", action="store_true")
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        sys.exit("tmux is needed: apt-get install tmux")
    if not args.first_frame_only:
        lateness(args.loops, args.seconds)
    first_frame(args.repeats)


if __name__ == "__main__":
    main()
