"""Cost of the agent: a 0-second loop with the agent serving one attached client vs no agent.

Run: python benchmarks/agent_overhead.py [--iterations N] [--repeats R]

A ``seconds=0`` looptui loop with an empty body runs N iterations (``count=N``), R times,
first with no agent, then with the agent started and one real client attached
(``looptui attach SOCKET --headless --json`` in another process, its output read and
counted). The best time per iteration of each is kept (the least disturbed run); the
figure is their ratio, measured in the same run. Also: the agent alone with nobody
attached, and how many events per second the one client followed (every iteration makes
four: state, started, finished, state) and whether it was ever cut off as too slow.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path


async def _run_loop(n: int) -> float:
    from looptui import loop

    @loop(seconds=0, count=n)
    async def body() -> None:
        pass

    t0 = time.perf_counter()
    await body.start()
    return time.perf_counter() - t0


def _count_lines(stream, counter: list[int]) -> None:
    for _ in stream:
        counter[0] += 1


async def _best(n: int, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        gc.collect()
        best = min(best, (await _run_loop(n)) / n)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=20000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    n = args.iterations

    async def run() -> dict[str, float]:
        import looptui.agent

        figures: dict[str, float] = {}
        await _best(n, 2)  # warm-up: imports, first allocations
        figures["no agent"] = await _best(n, args.repeats)
        sock = Path(tempfile.mkdtemp()) / "bench.sock"
        looptui.agent.start(path=sock, announce=False)
        server = looptui.agent.server()
        figures["agent, nobody attached"] = await _best(n, args.repeats)
        client = subprocess.Popen(
            [sys.executable, "-m", "looptui", "attach", str(sock), "--headless", "--json"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        lines = [0]
        reader = threading.Thread(target=_count_lines, args=(client.stdout, lines), daemon=True)
        reader.start()
        while not server.clients:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.5)  # the client has its snapshot
        before, t0 = lines[0], time.perf_counter()
        figures["agent, one client attached"] = await _best(n, args.repeats)
        elapsed = time.perf_counter() - t0
        await asyncio.sleep(0.5)  # what was queued reaches the client
        figures["events/s followed"] = (lines[0] - before) / elapsed
        figures["clients cut off"] = float(len(server.info()["drops"]))
        client.terminate()
        client.wait()
        looptui.agent.stop()
        return figures

    figures = asyncio.run(run())
    base = figures["no agent"]
    print(f"per-iteration cost of a 0-second loop ({n} iterations, best of {args.repeats}):")
    for name in ("no agent", "agent, nobody attached", "agent, one client attached"):
        value = figures[name]
        print(f"  {name:28s} {value * 1e6:7.2f} us   ratio vs no agent {value / base:.2f}")
    print(f"events per second one client followed: {figures['events/s followed']:,.0f} "
          f"(clients cut off as too slow: {figures['clients cut off']:.0f})")


if __name__ == "__main__":
    main()
