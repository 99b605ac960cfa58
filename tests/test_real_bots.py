"""Real bots as they are (README "Your bot, as it is"): unmodified fixture bots of discord.py,
nextcord and disnake under ``looptui --headless --json``, online (no token: login fails
before any connection) and ``--offline``; and the TUI's explanations of idle and waiting
loops.

The fixtures under ``tests/fixtures/bots/`` are small, one pattern each: ``bot.run`` at
module level, ``asyncio.run(main())`` with ``async with bot``, cogs loaded in
``setup_hook`` / at import / by ``load_extensions``, loops started in ``cog_load``,
``__init__``, ``on_ready`` or on an event, never started, and waiting in ``before_loop``
on ``wait_until_ready()``. No test depends on the network: without a token each
library refuses to log in locally.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import pytest

BOTS = Path(__file__).parent / "fixtures" / "bots"
TIMEOUT = 60


def looptui(bot: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "LOOPTUI_FIXTURE_TOKEN"}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "looptui", str(BOTS / bot / "bot.py"), "--headless", "--json",
         "--no-reload", *args],
        capture_output=True, text=True, timeout=TIMEOUT, env=environment,
    )


def events_of(result: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def summary(events: list[dict[str, Any]]) -> dict[str, Any]:
    assert events and events[-1]["event"] == "summary", events[-3:]
    return events[-1]


def states(events: list[dict[str, Any]]) -> dict[str, str]:
    return {entry["loop"]: entry["state"] for entry in summary(events)["loops"]}


def one(events: list[dict[str, Any]], kind: str, where: Callable[[dict[str, Any]], bool] = lambda e: True) -> dict[str, Any]:
    found = [e for e in events if e["event"] == kind and where(e)]
    assert found, f"no {kind} event in {[e['event'] for e in events]}"
    return found[0]


# --------------------------------------------------------------------- online
@pytest.mark.parametrize("bot, call, loops", [
    ("dpy_run", "bot.run() at bot.py:33", {"MyBot.presence": "idle", "MyBot.forgotten": "idle"}),
    ("nextcord_run", "bot.run() at bot.py:17",
     {"Heartbeat.beat": "cancelled", "Heartbeat.cleanup": "idle"}),
    ("disnake_run", "bot.run() at bot.py:20", {"Stats.report": "idle", "Stats.prune": "idle"}),
])
def test_module_level_run_becomes_the_main_and_its_failure_exits_3(bot: str, call: str,
                                                                    loops: dict[str, str]) -> None:
    result = looptui(bot, "--for", "1.5")
    assert result.returncode == 3, result.stderr
    events = events_of(result)
    assert one(events, "main_started")["name"] == call
    failed = one(events, "main_failed")
    assert failed["name"] == call and failed["error"] == "TypeError"
    assert "token" in failed["message"] and "Traceback" in failed["traceback"]
    assert states(events) == loops  # per-instance loops listed, started or not
    assert summary(events)["main"] == {"name": call, "state": "failed",
                                       "error": f"TypeError: {failed['message']}"}
    assert "cannot be called from a running event loop" not in result.stderr + result.stdout


def test_a_loop_waiting_for_ready_says_login_failed_and_suggests_offline() -> None:
    result = looptui("nextcord_run", "--for", "1.5")
    waiting = one(events_of(result), "waiting", lambda e: e["loop"] == "Heartbeat.beat")
    assert waiting["in"] == "Heartbeat.before_beat at cogs/heartbeat.py:17"
    assert waiting["awaiting"] == "Client.wait_until_ready()"
    assert "main failed" in waiting["reason"] and "--offline" in waiting["why"]


def test_asyncio_run_and_run_until_complete_at_import_run_in_order() -> None:
    result = looptui("plain_asyncio", "--for", "5")
    assert result.returncode == 0, result.stderr
    events = events_of(result)
    assert one(events, "main_started")["name"] == (
        "loop.run_until_complete(connect_db()) at bot.py:24, then asyncio.run(main()) at bot.py:25")
    outputs = [e["text"] for e in events if e["event"] == "log" and e.get("loop") == "job"]
    assert outputs[0] == "job with ['db']"  # the first call ran before the second
    assert any(e["event"] == "log" and e["text"] == "import went on after asyncio.run"
               for e in events)
    assert states(events) == {"job": "finished"}
    assert summary(events)["main"]["state"] == "finished"


# -------------------------------------------------------------------- offline
@pytest.mark.parametrize("bot, running", [
    ("dpy_run", {"Ticker.tick", "MyBot.presence"}),   # cog_load + setup_hook, on_ready
    ("nextcord_run", {"Heartbeat.beat"}),              # cog __init__, before_loop ready
    ("disnake_run", {"Stats.report"}),                 # on_ready
])
def test_offline_runs_what_the_bot_starts_on_the_way_to_ready(bot: str, running: set[str]) -> None:
    result = looptui(bot, "--offline", "--for", "1.5")
    assert result.returncode == 0, result.stderr
    events = events_of(result)
    ran = {e["loop"] for e in events if e["event"] == "iteration_finished"}
    assert running <= ran
    final = states(events)
    assert all(final[name] == "stopped" for name in running)
    never = {name for name, state in final.items() if state == "idle"}
    assert never and not never & ran  # the never-started ones are listed, not started
    assert summary(events)["main"]["state"] == "finished"
    assert any(e["event"] == "log" and e["text"].startswith("ready") for e in events)


def test_offline_failures_of_calls_that_need_discord_show_on_their_loop() -> None:
    result = looptui("dpy_async_main", "--offline", "--for", "1.5")
    assert result.returncode == 3  # a loop ended failed
    events = events_of(result)
    assert one(events, "main_started")["name"] == "asyncio.run(main()) at bot.py:23"
    failure = one(events, "iteration_failed")
    assert failure["loop"] == "Jobs.announce" and failure["error"] == "AttributeError"
    assert "cogs/jobs.py" in failure["traceback"]
    assert "Task exception was never retrieved" not in result.stderr


def test_offline_starts_clients_nothing_started() -> None:
    result = looptui("dpy_unstarted", "--offline", "--for", "1.5")
    assert result.returncode == 0, result.stderr
    events = events_of(result)
    started = one(events, "main_started")
    assert started["name"] == "Bot.start() offline (created at bot.py:6)"
    assert {e["loop"] for e in events if e["event"] == "iteration_finished"} == {"heartbeat"}


def test_the_main_guard_runs_as_under_python() -> None:
    result = looptui("dpy_guarded", "--offline", "--for", "1.5")
    assert result.returncode == 1  # python bot.py fails the same way without the variable
    assert "KeyError: 'DISCORD_TOKEN'" in result.stderr and "bot.py\", line 22" in result.stderr
    result = looptui("dpy_guarded", "--offline", "--for", "1.5", env={"DISCORD_TOKEN": "x"})
    assert result.returncode == 0, result.stderr
    events = events_of(result)
    assert one(events, "main_started")["name"] == "bot.run() at bot.py:22"
    assert {e["loop"] for e in events if e["event"] == "iteration_finished"} == {"heartbeat"}


# ------------------------------------------------------------- the program's own
def test_program_arguments_after_double_dash_are_its_argv() -> None:
    result = looptui("argparse_bot", "--", "--interval", "0.01", "--name", "from-argv")
    assert result.returncode == 0, result.stderr
    assert states(events_of(result)) == {"from-argv": "finished"}


def test_loops_made_in_lists_dicts_and_factories_start_instance_loops_stay_idle() -> None:
    result = looptui("factory_loops")
    assert result.returncode == 0, result.stderr
    assert states(events_of(result)) == {
        "listed-a": "finished", "listed-b": "finished", "mapped": "finished",
        "Service.poll": "idle",
    }


def test_no_start_leaves_loops_made_in_lists_idle() -> None:
    result = looptui("factory_loops", "--no-start", "--for", "0.3")
    assert set(states(events_of(result)).values()) == {"idle"}


def test_a_program_replacing_its_streams_does_not_swallow_looptui(tmp_path: Path) -> None:
    log = tmp_path / "program.log"
    result = looptui("stderr_bot", env={"LOOPTUI_FIXTURE_LOG": str(log)})
    assert result.returncode == 0, result.stderr
    assert summary(events_of(result))["loops"][0]["state"] == "finished"
    assert log.read_text().count("INFO job ran") == 2  # the program's logging goes where it says


def test_no_loops_hint_does_not_suggest_main_when_there_is_one() -> None:
    result = looptui("dpy_async_main", "--for", "0.5")  # login fails before any cog loads
    assert "no loops found" in result.stderr
    assert "--main" not in result.stderr


# ---------------------------------------------------------------- slow import
def test_a_slow_import_says_where_it_is() -> None:
    result = looptui("slow_import", env={"LOOPTUI_FIXTURE_SLEEP": "1.6"})
    assert result.returncode == 0, result.stderr
    assert "looptui: importing bot.py… " in result.stderr
    assert "at bot.py:10 in connect" in result.stderr
    assert states(events_of(result)) == {"job": "finished"}


def test_interrupting_a_blocked_import_exits_1_naming_where() -> None:
    environment = dict(os.environ, LOOPTUI_FIXTURE_SLEEP="60")
    process = subprocess.Popen(
        [sys.executable, "-m", "looptui", str(BOTS / "slow_import" / "bot.py"), "--no-reload",
         "--headless"],  # (the TUI checks for a terminal before importing anything)
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=environment,
    )
    try:
        assert process.stderr is not None
        first = process.stderr.readline()  # written once the import took a second
        assert first.startswith("looptui: importing bot.py… ")
        process.send_signal(signal.SIGINT)
        rest = process.stderr.read()
        assert process.wait(timeout=TIMEOUT) == 1
    finally:
        process.kill()
        process.wait()
    assert "interrupted while importing bot.py: it was at bot.py:10 in connect" in rest
