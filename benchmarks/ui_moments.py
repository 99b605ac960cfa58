"""The UI's own moments: how long opening each screen, dialog or pane holds the event loop, beside 1,000 loops.

Run: python benchmarks/ui_moments.py [--loops 1000] [--rounds 5] [--size 160x50]

The TUI shares the event loop with the program's loops, so while it builds a screen no
loop can run. ``LoopTuiApp`` runs under Textual's ``run_test()`` (a headless terminal of
``--size``) on ``benchmarks/targets/many_loops.py`` (N loops every 0.5 s plus a stagger,
running for real). A probe task sleeps 1 ms again and again and keeps the longest gap
beyond its 1 ms: the longest time the event loop was held. For each moment — help
(``?``), the command palette (``ctrl+p``), the details screen (``enter``), the log pane
(``l``), the interval dialog (``i``) — the probe is reset, the key is pressed, and the
window lasts until the screen is up and 0.3 s more (its first frames); then it is closed
and the UI left alone for 0.5 s. "nothing" is the same window with no key pressed: what
the loops and the refresh ticks hold the loop for anyway. Reports per moment the max
and the median over ``--rounds`` of the longest stall, in ms. Target: ≤ 20 ms each.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TARGET = ROOT / "benchmarks" / "targets" / "many_loops.py"


class StallProbe:
    """The longest time the event loop was held since :meth:`reset` (beyond 1 ms)."""

    def __init__(self) -> None:
        self.longest = 0.0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    def reset(self) -> None:
        self.longest = 0.0

    async def _run(self) -> None:
        while True:
            t0 = time.perf_counter()
            await asyncio.sleep(0.001)
            self.longest = max(self.longest, time.perf_counter() - t0 - 0.001)

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()


async def _until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    end = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > end:
            raise TimeoutError("the screen did not come up")
        await asyncio.sleep(0.005)


async def run(loops: int, rounds: int, size: tuple[int, int]) -> dict[str, list[float]]:
    os.environ["LOOPTUI_BENCH_LOOPS"] = str(loops)
    from textual.command import CommandPalette

    from looptui.session import Session
    from looptui.ui.app import LoopTuiApp

    session = Session(str(TARGET), watch=False)
    await session.start()
    app = LoopTuiApp(session)
    stalls: dict[str, list[float]] = {}
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await asyncio.sleep(1.0)  # first frames, the loops' first runs
        probe = StallProbe()
        probe.start()
        base = app.screen

        def log_shown() -> bool:
            return bool(app.log_pane.shown)

        moments: dict[str, tuple[str | None, Callable[[], bool], str]] = {
            "nothing": (None, lambda: True, ""),
            "help (?)": ("question_mark", lambda: app.screen is not base, "escape"),
            "palette (ctrl+p)": ("ctrl+p", lambda: isinstance(app.screen, CommandPalette),
                                 "escape"),
            "details (enter)": ("enter", lambda: app.screen is not base, "escape"),
            "log pane (l)": ("l", log_shown, "l"),
            "interval dialog (i)": ("i", lambda: app.screen is not base, "escape"),
        }
        for _ in range(rounds):
            for name, (key, shown, close) in moments.items():
                await asyncio.sleep(0.5)
                probe.reset()
                if key is not None:
                    await pilot.press(key)
                    await _until(shown)
                await asyncio.sleep(0.3)
                stalls.setdefault(name, []).append(probe.longest)
                if close:
                    await pilot.press(close)
                    await _until(lambda: app.screen is base and not log_shown())
        probe.stop()
        app.exit()
    await session.shutdown()
    return stalls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loops", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--size", default="160x50")
    args = parser.parse_args()
    width, height = (int(part) for part in args.size.split("x"))
    stalls = asyncio.run(run(args.loops, args.rounds, (width, height)))
    print(f"longest event-loop stall while opening, {args.loops:,} loops, {args.rounds} rounds, "
          f"{width}x{height}, Python {sys.version.split()[0]}, load average "
          f"{os.getloadavg()[0]:.1f}:")
    for name, values in stalls.items():
        print(f"  {name:22s} max {max(values) * 1e3:7.1f} ms   median "
              f"{statistics.median(values) * 1e3:7.1f} ms")


if __name__ == "__main__":
    main()
