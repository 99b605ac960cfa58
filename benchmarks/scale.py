"""10,000 loops with long intervals: start-up time, first frame of the TUI, keys, memory.

Run: python benchmarks/scale.py [--loops N] [--presses K]

A module with N module-level loops (every hour, so each runs its first body at start and
then sleeps) is written to a temporary folder. Measured in this process:

* session start: importing the module, discovering and starting the N loops (what
  headless mode does before printing anything), and the RSS after it;
* time to first frame: ``LoopTuiApp`` driven by Textual's ``run_test()`` (a headless
  terminal of 160×50), from creating the app until it has mounted and drawn its first
  screen with the table filled;
* key-press latency: K presses of ``down``, each from posting the key until the table's
  cursor has moved (p50 / max); the screen is redrawn on Textual's next frame after;
* one refresh tick: ``refresh_now()`` (header + table sync from registry snapshots) with
  nothing changed, p50 / max over 20 ticks — the UI's steady cost per tick;
* RSS after the TUI is up, and per loop.
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

from flood import rss_mb  # noqa: E402  (same folder)

MODULE = '''\
from looptui import loop

async def body():
    pass

for i in range({n}):
    globals()[f"job{{i:05d}}"] = loop(hours=1, name=f"job{{i:05d}}")(body)
'''


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else 0.0


async def run(loops: int, presses: int) -> None:
    from looptui.session import Session

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "many.py"
        path.write_text(MODULE.format(n=loops))
        base = rss_mb()
        from looptui.ui.app import LoopTuiApp  # imported before timing, as the CLI does

        session = Session(str(path), watch=False)
        t0 = time.perf_counter()
        await session.start()
        started = time.perf_counter() - t0
        await asyncio.sleep(0.5)  # the first bodies run
        after_start = rss_mb()

        app = LoopTuiApp(session)
        t0 = time.perf_counter()
        async with app.run_test(size=(160, 50)) as pilot:
            await pilot.pause()
            first_frame = time.perf_counter() - t0
            rows = app.table.row_count
            latencies = []
            for _ in range(min(presses, rows - 1)):
                before = app.table.cursor_row
                t1 = time.perf_counter()
                press = asyncio.ensure_future(pilot.press("down"))
                while app.table.cursor_row == before:  # handled: the cursor moved
                    await asyncio.sleep(0.0005)
                latencies.append(time.perf_counter() - t1)
                await press
                await pilot.pause()
            ticks = []
            for _ in range(20):
                t1 = time.perf_counter()
                app.refresh_now()
                ticks.append(time.perf_counter() - t1)
            tui_rss = rss_mb()
            lag_max = session.lag_max
            blocked = session.blocked_count
        await session.shutdown()

    print(f"{loops:,} loops (every hour), Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs:")
    print(f"  session start (import + start all)  {started:.2f} s")
    print(f"  TUI time to first frame             {first_frame:.2f} s  ({rows:,} rows)")
    print(f"  key press (down) handled            p50 {_pct(latencies, 0.5) * 1e3:.1f} ms, "
          f"max {max(latencies) * 1e3:.1f} ms  ({len(latencies)} presses)")
    print(f"  refresh tick, nothing changed       p50 {_pct(ticks, 0.5) * 1e3:.1f} ms, "
          f"max {max(ticks) * 1e3:.1f} ms")
    print(f"  event-loop lag max (10 s window)    {lag_max * 1e3:.0f} ms  (start-up: the "
          f"import and the first {loops:,} bodies; {blocked} blocked event(s))")
    print(f"  RSS  before {base:.0f} MB · after start {after_start:.0f} MB · with TUI "
          f"{tui_rss:.0f} MB  ({(tui_rss - base) * 1e3 / loops:.1f} kB per loop)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loops", type=int, default=10_000)
    parser.add_argument("--presses", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(run(args.loops, args.presses))


if __name__ == "__main__":
    main()
