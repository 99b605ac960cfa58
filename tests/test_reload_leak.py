"""Fifty reloads leave no trail: live Loop objects and held modules stay bounded.

What could pile up: old module objects (kept by their functions), old Loop objects (kept
by their module), and old exceptions, whose frames reference the old module and which
the new loops inherit with their history. The program below has all three: module
loops, instance loops, a loop made at run time, and a loop that fails every generation.
"""

from __future__ import annotations

import gc
import logging
import sys
import types
from pathlib import Path

import pytest
from reload_support import install_probe, marks_of, run, wait_for, write

from looptui import Loop, LoopState
from looptui.core.registry import REGISTRY
from looptui.session import Session

PROGRAM = """
import looptui_reload_probe as probe
from looptui import loop

VERSION = {v}

@loop(seconds=0.01)
async def heartbeat():
    probe.hit("beat", VERSION)

@loop(seconds=0.01, reconnect=False)
async def broken():
    raise ValueError(f"generation {{VERSION}}")

class Shard:
    def __init__(self):
        self.ping.start()

    @loop(seconds=0.01)
    async def ping(self):
        pass

shard = Shard()

def make_dynamic():
    async def dynamic():
        pass
    return loop(seconds=0.01, name="dynamic")(dynamic)

dynamic = make_dynamic()
"""
RELOADS = 50


pytestmark = pytest.mark.usefixtures("isolated_imports")
"""Every test here loads user programs: see ``isolated_imports`` in conftest.py."""


def live_loops() -> int:
    gc.collect()
    return sum(1 for obj in gc.get_objects() if isinstance(obj, Loop))


def held_modules(path: Path) -> int:
    """Module objects alive that were imported from *path* (this test's program only)."""
    gc.collect()
    return sum(1 for obj in gc.get_objects()
               if isinstance(obj, types.ModuleType) and getattr(obj, "__file__", None) == str(path))


def test_fifty_reloads_hold_a_bounded_number_of_loops_and_modules(tmp_path, monkeypatch):
    # pytest keeps every log record of a test, with its exception and frames: that would
    # pin each generation. Without a handler the loop logs nothing (it still prints).
    monkeypatch.setattr(logging.getLogger("looptui.tasks"), "propagate", False)
    probe = install_probe()
    bot = write(tmp_path / "bot.py", PROGRAM.format(v=0))

    async def main():
        session = Session(str(bot), watch=False)
        await session.start()
        await wait_for(lambda: REGISTRY.get("broken").state is LoopState.FAILED, what="failed")
        first = (live_loops(), held_modules(bot), len(sys.modules))
        for version in range(1, RELOADS + 1):
            write(bot, PROGRAM.format(v=version))
            result = await session.reload()
            assert result.ok, result.error
            await wait_for(lambda: version in marks_of(probe, "beat")
                           and REGISTRY.get("broken").state is LoopState.FAILED,
                           what=f"generation {version} runs")
        last = (live_loops(), held_modules(bot), len(sys.modules))
        failures = REGISTRY.get("broken").failures
        await session.shutdown()
        return first, last, failures

    (loops_first, modules_first, count_first), (loops_last, modules_last, count_last), \
        failures = run(main, timeout=120)
    per_generation = 5  # heartbeat, broken, Shard.ping template + copy, dynamic
    assert loops_first == per_generation
    assert loops_last <= 2 * per_generation, f"{loops_last} Loop objects alive"
    assert modules_first == 1 and modules_last <= 2
    assert count_last == count_first
    assert failures == RELOADS + 1  # the failing loop's history came along every time
