"""1,000 busy loops for minutes: memory must stay flat (only bounded buffers grow, then stop).

Run: python benchmarks/soak.py [--minutes M] [--loops N] [--interval I] [--every S]
                               [--sink none|json] [--tui]

N loops run every I seconds (default 50 ms) in a real session. Each prints three lines
per iteration, logs a warning every 20th, and raises ``OSError`` at its 100th, 200th and
300th run (retried with backoff, as ``reconnect=True`` does); one loop in a hundred
raises ``ValueError`` at its 50th run and ends ``failed``. ``--sink json`` adds what headless ``--json``
does (events through the limiter to a JSON printer on /dev/null); ``--tui`` drives the
Textual app too (``run_test()``, refreshing at its normal rate). RSS is sampled every S
seconds.

Memory grows while the bounded buffers fill (per loop: up to 200 iteration records and
500 output lines, all loops' together within the shared buffer budget; its distinct
exceptions); the warm-up ends at the first sample where every
running loop's rings are full and it is past its last planned error.
After it, RSS growth per minute should be about zero. Prints each sample, then the
warm-up time, first/last/max RSS after it and the growth rate.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, AsyncIterator

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flood import rss_mb  # noqa: E402  (same folder)

MODULE = '''\
import logging
from looptui import loop

log = logging.getLogger("soak")

def make(i):
    runs = [0]

    async def body():
        runs[0] += 1
        n = runs[0]
        print("job", i, "run", n)
        print("  some detail of run", n)
        print("  and one more line")
        if n % 20 == 0:
            log.warning("job %d: warning at run %d", i, n)
        if n in (100, 200, 300):  # retried with backoff (a few: the backoff grows)
            raise OSError(f"job {{i}}: connection reset")
        if i % 100 == 99 and n == 50:  # one loop in a hundred ends failed
            raise ValueError(f"job {{i}}: bad data")
    return body

jobs = [loop(seconds={interval}, name=f"job{{i:04d}}")(make(i)) for i in range({n})]
for job in jobs:
    job.start()
'''


def say(text: str) -> None:
    """Print on the real terminal (the session captures ``print``)."""
    sys.__stdout__.write(text + "\n")
    sys.__stdout__.flush()


@contextlib.asynccontextmanager
async def _maybe_tui(session: Any, tui: bool) -> AsyncIterator[None]:
    if not tui:
        yield
        return
    from looptui.ui.app import LoopTuiApp

    app = LoopTuiApp(session)
    async with app.run_test(size=(160, 50)):
        yield


def _rings_full(session: Any) -> bool:
    """Every ring at its final size: history rings stop growing at their length or when
    the shared budget refuses; output stops growing at the per-loop cap or the budget."""
    from looptui.core.budget import KEEP_NEWEST
    from looptui.core.tracker import OUTPUT_SIZE

    budget_full = session.registry.trackers() and any(
        t.budget is not None and t.budget.used >= t.budget.limit
        for t in session.registry.trackers()[:1]
    )
    return all(len(t.history) == t.history.capacity and t.history.total > t.history.capacity
               and (len(t.output) == OUTPUT_SIZE or (budget_full and len(t.output) >= KEEP_NEWEST))
               and t.total_iterations > 310
               for t in session.registry.trackers() if t.is_active)


async def run(minutes: float, loops: int, interval: float, every: float, sink_kind: str,
              tui: bool) -> None:
    from looptui.headless import EventPrinter
    from looptui.session import Session

    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "busy.py"
        path.write_text(MODULE.format(n=loops, interval=interval))
        devnull = open(os.devnull, "w")
        session = Session(str(path), watch=False)
        events = [0]
        printer = EventPrinter(devnull, json_mode=True)

        def sink(event: dict) -> None:
            events[0] += 1
            printer(event)

        if sink_kind == "json":
            session.add_sink(sink)
        await session.start()
        samples: list[tuple[float, float, int, int]] = []
        warm: float | None = None
        t0 = time.monotonic()
        say(f"soak: {loops} loops every {interval * 1e3:g} ms for {minutes:g} min, sink "
            f"{sink_kind}{', with the TUI' if tui else ''}; RSS every {every:g} s")
        say(f"  {'time':>6}  {'RSS MB':>7}  {'iterations':>11}  {'events':>9}  lag max")
        async with _maybe_tui(session, tui):
            while True:
                elapsed = time.monotonic() - t0
                gc.collect()
                iterations = sum(t.total_iterations for t in session.registry.trackers())
                samples.append((elapsed, rss_mb(), iterations, events[0]))
                full = warm is None and _rings_full(session)
                if full:
                    warm = elapsed
                say(f"  {elapsed:6.0f}  {samples[-1][1]:7.1f}  {iterations:11,}  "
                    f"{events[0]:9,}  {session.lag_max * 1e3:.0f} ms"
                    f"{'  <- every ring full: warm-up over' if full else ''}")
                if elapsed >= minutes * 60:
                    break
                await asyncio.sleep(every)
        await session.shutdown()
        devnull.close()

    if warm is None:
        say("the rings never all filled: run longer (or with a shorter --interval)")
        return
    settled = [s for s in samples if s[0] >= warm]
    first, last = settled[0], settled[-1]
    span = max(last[0] - first[0], 1e-9) / 60
    half = [s for s in samples if s[0] >= samples[-1][0] / 2]
    say(f"second half of the run: {half[0][1]:.1f} MB -> {half[-1][1]:.1f} MB "
        f"({half[-1][1] - half[0][1]:+.1f} MB over {(half[-1][0] - half[0][0]) / 60:.1f} min)")
    say(f"warm-up {warm:.0f} s; after it: first {first[1]:.1f} MB, last {last[1]:.1f} MB, "
          f"max {max(s[1] for s in settled):.1f} MB; growth {(last[1] - first[1]) / span:+.2f} "
          f"MB/min over {span:.1f} min; {last[2] / last[0]:,.0f} iterations/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--loops", type=int, default=1000)
    parser.add_argument("--interval", type=float, default=0.05)
    parser.add_argument("--every", type=float, default=10.0)
    parser.add_argument("--sink", choices=("none", "json"), default="none")
    parser.add_argument("--tui", action="store_true")
    args = parser.parse_args()
    asyncio.run(run(args.minutes, args.loops, args.interval, args.every, args.sink,
                    args.tui))


if __name__ == "__main__":
    main()
