"""What a Prometheus scrape costs the loops: a 0.1 s loop's lateness, idle vs scraped.

Run: python benchmarks/metrics_scrape.py [--loops 1000 10000] [--seconds 20]

For each loop count N, a program (a child process, plain ``python``) runs N-1 hourly
looptui loops and one 0.1 s loop, ``probe``, and serves metrics with
``looptui.agent.start(metrics=...)``. In the same run of that program the benchmark
measures two phases of ``--seconds`` each, one after the other:

* idle: nobody scrapes;
* scraped: this process scrapes ``/metrics`` without pause (one request after another).

It prints, per phase, the probe's lateness (start minus scheduled time of each of its
iterations, from the loop's own history) as p50 / p99 / max, and for the scraped phase
the scrapes made and their time (p50 / max) and the page's size. The target: the
scraped p99 within 50 ms of the idle p99 at 1,000 loops.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
import urllib.request

PROGRAM = """
import asyncio, json, sys
import looptui.agent
from looptui import loop
from looptui.core.registry import REGISTRY

N = int(sys.argv[1])

def hourly(n):
    @loop(hours=1, name=f"hourly{n:05d}")
    async def body():
        pass
    return body

LOOPS = [hourly(n) for n in range(N - 1)]

@loop(seconds=0.1)
async def probe():
    pass

async def main():
    for each in LOOPS:
        each.start()
    probe.start()
    looptui.agent.start(metrics="127.0.0.1:0", announce=False)
    print("port", looptui.agent.metrics_address().rsplit(":", 1)[1], flush=True)
    reader = asyncio.StreamReader()
    loop_ = asyncio.get_running_loop()
    await loop_.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    tracker = REGISTRY.get("probe")
    seen = {}  # iteration -> lateness, read from the history ring before it wraps

    async def keep():
        while True:
            for r in list(tracker.history):
                if r.scheduled is not None and r.duration is not None:
                    seen[r.iteration] = r.started - r.scheduled
            await asyncio.sleep(2.0)

    keeper = asyncio.ensure_future(keep())
    marks = {}
    while line := (await reader.readline()).decode().split():
        if line[0] == "phase":
            marks[line[1]] = tracker.total_iterations
        elif line[0] == "report":
            for r in list(tracker.history):
                if r.scheduled is not None and r.duration is not None:
                    seen[r.iteration] = r.started - r.scheduled
            out = {}
            names = list(marks)
            for k, name in enumerate(names):
                first = marks[name]
                last = marks[names[k + 1]] if k + 1 < len(names) else tracker.total_iterations
                out[name] = [late for n, late in seen.items() if first <= n < last]
            print(json.dumps(out), flush=True)
    keeper.cancel()

asyncio.run(main())
"""


def _ms(values: list[float]) -> str:
    if not values:
        return "no samples"
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (f"p50 {statistics.median(ordered) * 1000:7.1f} ms  p99 {p99 * 1000:7.1f} ms  "
            f"max {ordered[-1] * 1000:7.1f} ms  ({len(ordered)} runs)")


def run(loops: int, seconds: float) -> None:
    child = subprocess.Popen([sys.executable, "-c", PROGRAM, str(loops)], text=True,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert child.stdin is not None and child.stdout is not None
    try:
        port = int(child.stdout.readline().split()[1])
        url = f"http://127.0.0.1:{port}/metrics"
        time.sleep(3.0)  # the loops settle
        child.stdin.write("phase idle\n")
        child.stdin.flush()
        time.sleep(seconds)
        child.stdin.write("phase scraped\n")
        child.stdin.flush()
        scrapes: list[float] = []
        size = 0
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            began = time.perf_counter()
            with urllib.request.urlopen(url, timeout=120) as answer:
                size = len(answer.read())
            scrapes.append(time.perf_counter() - began)
        child.stdin.write("report\n")
        child.stdin.flush()
        phases = json.loads(child.stdout.readline())
    finally:
        child.kill()
        child.wait()
    print(f"{loops:,} loops")
    print(f"  idle     probe lateness  {_ms(phases.get('idle', []))}")
    print(f"  scraped  probe lateness  {_ms(phases.get('scraped', []))}")
    print(f"  scrapes  {len(scrapes)} in {seconds:g}s: p50 {statistics.median(scrapes):.3f} s, "
          f"max {max(scrapes):.3f} s, page {size / 1e6:.1f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loops", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    for loops in args.loops:
        run(loops, args.seconds)


if __name__ == "__main__":
    main()
