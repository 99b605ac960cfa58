"""Cost of the agent: a 0-second loop with the agent serving one attached client vs no agent.

Run: python benchmarks/agent_overhead.py [--iterations N] [--repeats R]

A ``seconds=0`` looptui loop with an empty body runs N iterations (``count=N``), R times
in rounds: each round measures one run of every configuration, in this order, so a
machine that gets faster or slower during the run disturbs them alike:

* no agent (or the agent stopped);
* the agent started, nobody attached;
* one client attached as the TUI of ``looptui attach`` attaches: a
  :class:`~looptui.session.remote.remote_session.RemoteSession` with no event sink (it
  asks for ``table`` events) whose table reads the mirrors a few times a second;
* one client that wants every event: ``looptui attach SOCKET --headless --json`` (it asks
  for ``all``), its output read and counted: the events per second it followed and
  whether it was ever cut off as too slow;
* the agent serving Prometheus metrics (``metrics=``), nobody attached nor scraping:
  the cost of counting each iteration in the histograms.

Each client runs in a process of its own, which competes for the CPU with the measured
loop. To keep that from distorting the figures more than it must: the figure is the CPU
time of the event loop's thread (``time.thread_time``: what the agent costs the program,
not the time it waited for a CPU that another process held); when the machine has two
CPUs or more, the benchmark is pinned to one CPU and each client to another
(``sched_setaffinity``); and every figure is printed as best / median / worst of the R
repeats, so a disturbed repeat shows as spread rather than hiding in one number.
Ratios are against "no agent" (best vs best, median vs median).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

TABLE_CLIENT = """
import asyncio, sys
from looptui.session.remote.address import parse_address
from looptui.session.remote.remote_session import RemoteSession

async def main():
    session = RemoteSession([parse_address(sys.argv[1])])
    await session.start()
    print("attached", flush=True)
    while True:  # the table's refresh: read every row a few times a second
        for tracker in session.registry.trackers():
            (tracker.state, tracker.iterations, tracker.next_run, tracker.last_duration)
        await asyncio.sleep(0.25)

asyncio.run(main())
"""


async def _run_loop(n: int) -> float:
    from looptui import loop

    @loop(seconds=0, count=n)
    async def body() -> None:
        pass

    t0 = time.thread_time()
    await body.start()
    return time.thread_time() - t0


async def _times(n: int, repeats: int) -> list[float]:
    """Per-iteration CPU seconds of the event loop's thread, *repeats* runs of *n*."""
    out = []
    for _ in range(repeats):
        gc.collect()
        out.append((await _run_loop(n)) / n)
    return out


def _count_lines(stream, counter: list[int]) -> None:
    for _ in stream:
        counter[0] += 1


def _cpus() -> tuple[set[int], set[int]] | None:
    """(CPUs for the benchmark, CPUs for the client), when there are two or more."""
    try:
        cpus = sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return None
    if len(cpus) < 2:
        return None
    return {cpus[0]}, set(cpus[1:])


def _spawn(args: list[str], cpus: set[int] | None) -> subprocess.Popen[str]:
    def pin() -> None:
        if cpus is not None:
            os.sched_setaffinity(0, cpus)

    return subprocess.Popen([sys.executable, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, preexec_fn=pin)


async def _wait_attached(server, count: int) -> None:
    while len(server.clients) < count:
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.5)  # the client has its snapshot and settled


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=20000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    n, repeats = args.iterations, args.repeats
    pinning = _cpus()
    if pinning is not None:
        os.sched_setaffinity(0, pinning[0])
    client_cpus = pinning[1] if pinning is not None else None

    async def run() -> tuple[dict[str, list[float]], dict[str, float]]:
        import looptui.agent

        names = ("no agent", "agent, nobody attached", "table client (TUI)",
                 "every-event client (--json)", "metrics on (not scraped)")
        times: dict[str, list[float]] = {name: [] for name in names}
        followed: list[float] = []
        drops = 0
        await _times(n, 3)  # warm-up: imports, first allocations, the CPU's clock
        folder = Path(tempfile.mkdtemp())
        for round_ in range(repeats):  # one run of each per round: drift hits all alike
            times["no agent"] += await _times(n, 1)
            sock = folder / f"bench-{round_}.sock"
            looptui.agent.start(path=sock, announce=False)
            server = looptui.agent.server()
            times["agent, nobody attached"] += await _times(n, 1)

            table = _spawn(["-c", TABLE_CLIENT, str(sock)], client_cpus)
            await _wait_attached(server, 1)
            times["table client (TUI)"] += await _times(n, 1)
            table.terminate()
            table.wait()
            while server.clients:
                await asyncio.sleep(0.01)

            every = _spawn(["-m", "looptui", "attach", str(sock), "--headless", "--json"],
                           client_cpus)
            lines = [0]
            reader = threading.Thread(target=_count_lines, args=(every.stdout, lines),
                                      daemon=True)
            reader.start()
            await _wait_attached(server, 1)
            before, t0 = lines[0], time.perf_counter()
            times["every-event client (--json)"] += await _times(n, 1)
            elapsed = time.perf_counter() - t0
            await asyncio.sleep(0.5)  # what was queued reaches the client
            followed.append((lines[0] - before) / elapsed)
            drops += len(server.info()["drops"])
            every.terminate()
            every.wait()
            looptui.agent.stop()

            looptui.agent.start(path=folder / f"metrics-{round_}.sock", announce=False,
                                metrics="127.0.0.1:0")
            times["metrics on (not scraped)"] += await _times(n, 1)
            looptui.agent.stop()
        return times, {"events/s followed": statistics.median(followed),
                       "clients cut off": float(drops)}

    times, extra = asyncio.run(run())
    base_best, base_median = min(times["no agent"]), statistics.median(times["no agent"])
    where = ("benchmark on CPU %s, clients on CPU %s" % (
        ",".join(map(str, sorted(pinning[0]))), ",".join(map(str, sorted(pinning[1]))))
        if pinning is not None else "not pinned (fewer than two CPUs)")
    print(f"per-iteration CPU time of a 0-second loop ({n} iterations, {repeats} rounds; {where}):")
    print(f"  {'':30s} {'best':>8s} {'median':>8s} {'worst':>8s}   ratio best / median")
    for name, values in times.items():
        best, median, worst = min(values), statistics.median(values), max(values)
        print(f"  {name:30s} {best * 1e6:6.2f}us {median * 1e6:6.2f}us {worst * 1e6:6.2f}us"
              f"   {best / base_best:.2f} / {median / base_median:.2f}")
    print(f"events per second the every-event client followed (median of the rounds): "
          f"{extra['events/s followed']:,.0f} "
          f"(clients cut off as too slow: {extra['clients cut off']:.0f})")


if __name__ == "__main__":
    main()
