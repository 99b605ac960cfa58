"""A loop in its reconnect backoff: Next counts down to the retry, and the logged
traceback of the retried error holds the user's frames only."""

from __future__ import annotations

import asyncio
import logging

from looptui import loop
from looptui.core import clock
from looptui.core.states import LoopState
from looptui.core.tracebacks import is_own_frame
from looptui.testing import run_virtual
from looptui.ui.rows import time_cells


def test_a_retrying_loop_counts_down_to_its_retry() -> None:
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep()
    logger = logging.getLogger("looptui.tasks")
    logger.addHandler(handler)
    attempts = []

    @loop(seconds=10, reconnect=True, count=2)
    async def flaky() -> None:
        attempts.append(clock.now())
        if len(attempts) == 1:
            raise ConnectionResetError("reset by peer")

    async def main() -> tuple[float | None, float, str, str]:
        flaky.start()
        tracker = flaky.tracker
        for _ in range(1000):
            if tracker.state is LoopState.RETRYING:
                break
            await asyncio.sleep(0.001)
        assert tracker.state is LoopState.RETRYING
        seen = tracker.next_run, clock.now()
        nxt, _ = time_cells(tracker, clock.now())
        await asyncio.sleep(0.0)
        task = flaky.get_task()
        assert task is not None
        await task
        return seen[0], seen[1], nxt[0], tracker.state.value

    try:
        retry_at, at, shown, end = run_virtual(main)
    finally:
        logger.removeHandler(handler)
    assert retry_at is not None and retry_at > at, "Next is the retry, not the missed run"
    assert shown not in ("due", "—")
    assert len(attempts) == 3 and attempts[1] >= retry_at - 1e-6, "retried when it said"
    assert end == "finished"
    retried = [r for r in records if "Retrying in" in r.getMessage()]
    assert retried and retried[0].exc_info is not None
    tb = retried[0].exc_info[2]
    frames = []
    while tb is not None:
        frames.append(tb.tb_frame.f_code.co_filename)
        tb = tb.tb_next
    assert frames and not any(is_own_frame(f) for f in frames), frames
