"""What the tasks view (``a``) costs the loops while it is open, against the table alone.

Run: python benchmarks/tasks_view.py [--loops 1000 5000] [--seconds 4] [--rounds 2]

A program of N looptui loops (every 60 s: one task each, plus N/10 hand-written tasks
sleeping) runs in-process under the real app (``run_test``: Textual's headless driver,
every frame still rendered). A probe task sleeps 5 ms in a loop and notes how late each
wake-up is. Each round measures the table alone, then a loop's details view (the peer: another
screen opened over the table), then the tasks view (the tasks are read once a second,
a slice of them per event-loop turn, and at most ``SHOWN`` rows are drawn); the
probes of both views start as the key is pressed, so opening the screen is counted.
Shown per configuration: the probe's lateness p50 / p99 / max, and the time one
reading of every task took from start to end (other work runs between its slices).

The view adds nothing while it is closed (no task factory, no timer); this measures what
it costs while a person looks at it.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PROGRAM = textwrap.dedent(
    '''
    import asyncio
    from looptui import loop

    N = {n}

    def make(i):
        @loop(seconds=60, name=f"loop{{i}}")
        async def body():
            pass
        return body

    LOOPS = [make(i) for i in range(N)]
    for lp in LOOPS:
        lp.start()

    async def waits():
        while True:
            await asyncio.sleep(3600)

    HELD = [asyncio.get_event_loop().create_task(waits()) for _ in range(N // 10)]
    '''
)


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


async def _probe(seconds: float) -> list[float]:
    late: list[float] = []
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    while loop.time() < end:
        due = loop.time() + 0.005
        await asyncio.sleep(0.005)
        late.append(max(0.0, loop.time() - due))
    return late


async def measure(n: int, seconds: float, rounds: int) -> None:
    from looptui.core.registry import REGISTRY
    from looptui.session import Session
    from looptui.ui.app import LoopTuiApp
    from looptui.ui.screens.tasks import SHOWN, TasksScreen

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "many.py"
        path.write_text(PROGRAM.format(n=n), encoding="utf-8")
        session = Session(str(path), watch=False)
        await session.start()
        book = session.task_book
        app = LoopTuiApp(session)
        results: dict[str, list[list[float]]] = {"table": [], "details view": [],
                                                 "tasks view": []}
        reads: list[float] = []
        async with app.run_test(size=(140, 40)) as pilot:
            await pilot.pause(1.0)
            for _ in range(rounds):
                results["table"].append(await _probe(seconds))
                # the peer: another screen over the table, opened and left the same way
                probe = asyncio.ensure_future(_probe(seconds))
                await pilot.press("enter")
                results["details view"].append(await probe)
                await pilot.press("escape")
                await pilot.pause(0.5)
                probe = asyncio.ensure_future(_probe(seconds))
                await pilot.press("a")
                await pilot.pause(0.5)
                assert isinstance(app.screen, TasksScreen)
                results["tasks view"].append(await probe)
                t0 = time.perf_counter()
                await book.rows_soon(own=False, limit=SHOWN)
                reads.append(time.perf_counter() - t0)
                await pilot.press("escape")
                await pilot.pause(0.5)
        await session.shutdown()
        REGISTRY.clear()
    print(f"{n} loops ({n + n // 10} tasks):")
    for name, runs in results.items():
        late = [x for run in runs for x in run]
        print(f"  {name:<12}  lateness p50 {statistics.median(late) * 1000:6.2f} ms  "
              f"p99 {_pct(late, 0.99) * 1000:7.2f} ms  max {max(late) * 1000:7.2f} ms")
    print(f"  one reading of every task: {max(reads) * 1000:.1f} ms from start to end, "
          f"in slices of {book_slice()} tasks")


def book_slice() -> int:
    from looptui.session.debug.tasks import SLICE

    return SLICE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loops", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    for n in args.loops:
        asyncio.run(measure(n, args.seconds, args.rounds))


if __name__ == "__main__":
    main()
