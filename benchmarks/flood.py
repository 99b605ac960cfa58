"""A loop printing as fast as it can: lines absorbed per second, memory, event-loop lag.

Run: python benchmarks/flood.py [--lines N] [--batch B] [--sink json|none]

One loop prints N lines in batches of B, yielding to the event loop between batches
(``await asyncio.sleep(0)``), inside a real session: output capture, per-loop ring,
the log-event limiter and — with ``--sink json`` (the default) — a ``--json``-style
printer writing to /dev/null plus a ``--record`` file, i.e. the headless path. Meanwhile
a probe task measures how late a 10 ms timer wakes (event-loop lag during the flood).

Reports: lines/s absorbed, events written vs lines left out of the events (counted in
``log_dropped``), RSS before and after (memory stays bounded: a ring per loop), lag
p50 / p99 / max, and the session's blocked count.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from looptui import loop  # noqa: E402
from looptui.headless import EventPrinter  # noqa: E402
from looptui.session import Session  # noqa: E402


def rss_mb() -> float:
    """Resident set size of this process in MB (Linux /proc; 0 elsewhere)."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 1e6
    except (OSError, ValueError):
        return 0.0


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else 0.0


async def _lag_probe(stop: asyncio.Event, late: list[float]) -> None:
    evloop = asyncio.get_running_loop()
    while not stop.is_set():
        due = evloop.time() + 0.01
        await asyncio.sleep(0.01)
        late.append(evloop.time() - due)


async def run(lines: int, batch: int, sink: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        empty = Path(tmp) / "empty.py"
        empty.write_text("")
        record = str(Path(tmp) / "events.jsonl") if sink == "json" else None
        session = Session(str(empty), watch=False, record=record)
        written = [0]
        devnull = open(os.devnull, "w")
        printer = EventPrinter(devnull, json_mode=True)

        def counting(event: dict) -> None:
            written[0] += 1
            printer(event)

        if sink == "json":
            session.add_sink(counting)
        await session.start()

        @loop(seconds=0, count=1, name="flood")
        async def flood() -> None:
            for start in range(0, lines, batch):
                for i in range(start, min(start + batch, lines)):
                    print("flood line", i)
                await asyncio.sleep(0)

        before = rss_mb()
        stop, late = asyncio.Event(), []
        probe = asyncio.create_task(_lag_probe(stop, late))
        t0 = time.perf_counter()
        await flood.start()
        elapsed = time.perf_counter() - t0
        stop.set()
        await probe
        after = rss_mb()
        tracker = flood.tracker
        await session.shutdown()
        devnull.close()
        print(f"flood of {lines:,} lines in batches of {batch} (sink: {sink}):")
        print(f"  absorbed          {lines / elapsed:,.0f} lines/s ({elapsed:.2f} s)")
        print(f"  kept in the ring  {len(tracker.output)} lines, {tracker.dropped:,} pushed out")
        print(f"  events written    {written[0]:,}; lines left out of events "
              f"{session.log_limiter.total_dropped:,} (log_dropped)")
        print(f"  RSS               {before:.1f} MB before, {after:.1f} MB after")
        print(f"  event-loop lag    p50 {_pct(late, 0.5) * 1e3:.2f} ms, "
              f"p99 {_pct(late, 0.99) * 1e3:.2f} ms, max {max(late, default=0) * 1e3:.2f} ms")
        print(f"  blocked events    {session.blocked_count}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--sink", choices=("json", "none"), default="json")
    args = parser.parse_args()
    asyncio.run(run(args.lines, args.batch, args.sink))


if __name__ == "__main__":
    main()
