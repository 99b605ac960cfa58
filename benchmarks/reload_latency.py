"""Save to new code running: how long after a file is saved does its new loop body run?

Run: python benchmarks/reload_latency.py [--saves N] [--pattern in_place|rename]

Runs ``looptui bot.py --headless --json`` in a subprocess on a program in a temporary
folder, exactly as a user would. Each round saves a new version of ``bot.py`` (its loop
prints ``running v<N>``) and times the moment the save finished until that line arrives
on looptui's stdout: file watching, debounce, the import, stopping the old loop and
starting the new one, all included. The next save waits for the ``reload`` event and a
short pause, so saves never merge. Prints p50 / p90 / max; the target is p50 <= 300 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

TARGET_P50 = 0.300
PROGRAM = """\
from looptui import loop

VERSION = {version}


@loop(seconds=1)
async def worker():
    print(f"running v{{VERSION}}")
"""


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def _save(path: Path, text: str, pattern: str) -> None:
    if pattern == "rename":
        temp = path.with_name(path.name + ".tmp~")
        temp.write_text(text)
        os.replace(temp, path)
    else:
        path.write_text(text)


def _reader(stream, lines: queue.Queue) -> None:
    for line in stream:
        lines.put((time.perf_counter(), line))
    lines.put((time.perf_counter(), None))


def _wait(lines: queue.Queue, *wants, timeout: float = 10.0) -> list[float]:
    """Arrival times of the first JSON line satisfying each ``want(event)``, any order."""
    found: dict[int, float] = {}
    deadline = time.monotonic() + timeout
    while len(found) < len(wants):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("looptui did not answer in time")
        stamp, line = lines.get(timeout=remaining)
        if line is None:
            raise RuntimeError("looptui exited")
        try:
            event = json.loads(line)
        except ValueError:
            continue
        for n, want in enumerate(wants):
            if n not in found and want(event):
                found[n] = stamp
    return [found[n] for n in range(len(wants))]


def measure(saves: int, pattern: str) -> list[float]:
    folder = Path(tempfile.mkdtemp(prefix="looptui-reload-"))
    bot = folder / "bot.py"
    bot.write_text(PROGRAM.format(version=0))
    repo = Path(__file__).resolve().parent.parent
    env = dict(os.environ, PYTHONPATH=str(repo) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen(
        [sys.executable, "-m", "looptui", str(bot), "--headless", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=folder, env=env,
    )
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=_reader, args=(proc.stdout, lines), daemon=True).start()
    latencies = []
    try:
        _wait(lines, lambda e: e.get("text") == "running v0")
        for version in range(1, saves + 1):
            text = PROGRAM.format(version=version)
            _save(bot, text, pattern)
            saved = time.perf_counter()
            ran, _ = _wait(lines, lambda e, v=version: e.get("text") == f"running v{v}",
                           lambda e: e.get("event") in ("reload", "reload_failed"))
            latencies.append(ran - saved)
            time.sleep(0.15)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=30)
    parser.add_argument("--pattern", choices=("in_place", "rename"), default="in_place")
    args = parser.parse_args()
    latencies = measure(args.saves, args.pattern)
    p50, p90 = _pct(latencies, 0.5), _pct(latencies, 0.9)
    print(f"save -> new code running, {len(latencies)} saves ({args.pattern}):")
    print(f"  p50 {p50 * 1000:.0f} ms   p90 {p90 * 1000:.0f} ms   "
          f"max {max(latencies) * 1000:.0f} ms   min {min(latencies) * 1000:.0f} ms")
    verdict = "ok" if p50 <= TARGET_P50 else "ABOVE TARGET"
    print(f"  target p50 <= {TARGET_P50 * 1000:.0f} ms: {verdict}")


if __name__ == "__main__":
    main()
