"""The structures of ``test_run_as_main.py`` on py-cord, in its own environment (py-cord
installs ``discord`` too, so it cannot sit beside discord.py): the guarded start-up runs
as under ``python bot.py``, a plain ``--main`` function's ``bot.run()`` is taken over, a
package runs as ``python -m``, and ``--offline`` gives the client an identity that
start-up code can read.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from test_adapters_pycord import ROOT, pycord_path  # noqa: F401  (the fixture)

BOTS = ROOT / "tests" / "fixtures" / "bots" / "structures" / "pycord"


def looptui(pycord: Path, *args: str) -> tuple[int, list[dict[str, Any]], str]:
    env = {k: v for k, v in os.environ.items() if k != "LOOPTUI_FIXTURE_TOKEN"}
    env["PYTHONPATH"] = os.pathsep.join([str(pycord), str(ROOT)])
    done = subprocess.run(
        [sys.executable, "-m", "looptui", "--headless", "--json", "--no-reload", "--for",
         "1.5", *args],
        capture_output=True, text=True, timeout=90, env=env, cwd=BOTS,
    )
    events = [json.loads(x) for x in done.stdout.splitlines() if x.startswith("{")]
    return done.returncode, events, done.stderr


def ticks(events: list[dict[str, Any]], loop: str) -> int:
    return sum(1 for e in events if e["event"] == "iteration_finished" and e["loop"] == loop)


@pytest.mark.parametrize("args, main, loop", [
    (("run.py", "--offline"), "bot.run() at run.py:12", "Ticker.tick"),
    (("async_main.py", "--offline"), "asyncio.run(main()) at async_main.py:21", "Ticker.tick"),
    (("plain_main.py", "--offline"), "bot.run() at plain_main.py:12", "Ticker.tick"),
    (("entry.py", "--main", "main", "--offline"), "main", "Ticker.tick"),
    (("entry.py", "--main", "run_bot", "--offline"), "run_bot", "Ticker.tick"),
    (("-m", "pkgbot", "--offline"), "Bot.run() at pkgbot/__main__.py:6", "Pulse.pulse"),
    (("identity.py", "--offline"), "bot.run() at identity.py:18", "Ticker.tick"),
])
def test_pycord_structures_reach_their_loops(pycord_path, args, main, loop):  # noqa: F811
    code, events, err = looptui(pycord_path, *args)
    assert code == 0, err
    started = next(e for e in events if e["event"] == "main_started")
    assert started["name"] == main
    assert ticks(events, loop) >= 1
    assert events[-1]["main"]["state"] == "finished"


def test_pycord_offline_identity_is_readable(pycord_path):  # noqa: F811
    _code, events, _err = looptui(pycord_path, "identity.py", "--offline")
    printed = [e["text"] for e in events if e["event"] == "log" and e["stream"] == "stdout"]
    assert "logged in as offline (100000000000000001), app 100000000000000001" in printed


def test_pycord_guarded_run_online_keeps_its_loops_beside_the_failed_login(pycord_path):  # noqa: F811
    code, events, err = looptui(pycord_path, "run.py")
    assert code == 3
    failed = next(e for e in events if e["event"] == "main_failed")
    assert failed["name"] == "bot.run() at run.py:12" and "token" in failed["message"]
    assert ticks(events, "Ticker.tick") >= 1
    assert "CancelledError" not in err
