"""The program runs as Python would run it: as ``__main__``, its guarded start-up code too.

Fixture bots under ``fixtures/bots/structures/<library>/`` are written the ways bots start
(each on discord.py, nextcord and disnake): ``bot.run`` under ``if __name__ ==
"__main__":`` (``run.py``), ``asyncio.run(main())`` under it (``async_main.py``), a
plain ``main()`` calling ``bot.run()`` (``plain_main.py``), start-up functions for
``--main`` (``entry.py``), a package with ``__main__.py`` (``pkgbot``), start-up code
reading what login sets (``identity.py``); and ``uvloop.run(main())``. They run under
``looptui --headless --json`` as subprocesses, offline (and online where the library gets
to its loops before login: without a token every library refuses locally).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

STRUCTURES = Path(__file__).parent / "fixtures" / "bots" / "structures"
LIBRARIES = ("dpy", "nextcord", "disnake")
TIMEOUT = 90


def looptui(*args: str, cwd: Path | None = None, seconds: str = "1.5",
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "LOOPTUI_FIXTURE_TOKEN"}
    environment["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "looptui", "--headless", "--json", "--no-reload",
         "--for", seconds, *args],
        capture_output=True, text=True, timeout=TIMEOUT, env=environment, cwd=cwd,
    )


def events_of(result: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def first(events: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    found = [e for e in events if e["event"] == kind]
    assert found, f"no {kind} in {[e['event'] for e in events]}"
    return found[0]


def ran(events: list[dict[str, Any]]) -> dict[str, int]:
    """Iterations finished per loop."""
    counts: dict[str, int] = {}
    for event in events:
        if event["event"] == "iteration_finished":
            counts[event["loop"]] = counts.get(event["loop"], 0) + 1
    return counts


def printed(events: list[dict[str, Any]]) -> list[str]:
    return [e["text"] for e in events if e["event"] == "log" and e["stream"] == "stdout"]


# ------------------------------------------------------------------ offline
MAIN_CALLS = {
    ("dpy", "run"): "bot.run() at run.py:20",
    ("dpy", "async_main"): "asyncio.run(main()) at async_main.py:19",
    ("dpy", "plain_main"): "bot.run() at plain_main.py:16",
    ("nextcord", "run"): "bot.run() at run.py:12",
    ("nextcord", "async_main"): "asyncio.run(main()) at async_main.py:21",
    ("nextcord", "plain_main"): "bot.run() at plain_main.py:12",
    ("disnake", "run"): "bot.run() at run.py:12",
    ("disnake", "async_main"): "asyncio.run(main()) at async_main.py:21",
    ("disnake", "plain_main"): "bot.run() at plain_main.py:12",
}


@pytest.mark.parametrize("lib, structure", sorted(MAIN_CALLS))
def test_guarded_start_up_runs_and_reaches_the_loops_offline(lib: str, structure: str) -> None:
    result = looptui(str(STRUCTURES / lib / f"{structure}.py"), "--offline")
    assert result.returncode == 0, result.stderr
    events = events_of(result)
    call = MAIN_CALLS[lib, structure]
    assert first(events, "main_started")["name"] == call
    assert ran(events).get("Ticker.tick", 0) >= 1
    assert events[-1]["main"] == {"name": call, "state": "finished", "error": None}
    assert "cannot be called from a running event loop" not in result.stderr


@pytest.mark.parametrize("lib", ["nextcord", "disnake"])
def test_online_the_loops_started_before_login_run_beside_the_failed_login(lib: str) -> None:
    result = looptui(str(STRUCTURES / lib / "run.py"))
    assert result.returncode == 3  # the main failed: no token
    events = events_of(result)
    failed = first(events, "main_failed")
    assert failed["name"] == "bot.run() at run.py:12" and failed["error"] == "TypeError"
    assert ran(events).get("Ticker.tick", 0) >= 1
    assert "CancelledError" not in result.stderr  # the library's run() clean-up never ran


def test_code_after_a_taken_over_run_call_does_not_end_the_program() -> None:
    result = looptui(str(STRUCTURES / "dpy" / "plain_main.py"), "--offline")
    events = events_of(result)
    assert "bot stopped" in printed(events)  # ran at once: bot.run() returned
    assert ran(events).get("Ticker.tick", 0) >= 1  # and the bot went on
    assert events[-1]["main"]["state"] == "finished"


def test_uvloop_run_becomes_the_main_at_the_programs_line() -> None:
    pytest.importorskip("uvloop")
    result = looptui(str(STRUCTURES / "dpy" / "with_uvloop.py"), "--offline")
    assert result.returncode == 0, result.stderr
    events = events_of(result)
    assert first(events, "main_started")["name"] == "uvloop.run(main()) at with_uvloop.py:19"
    assert ran(events).get("Ticker.tick", 0) >= 1


# ------------------------------------------------------------------- --main
@pytest.mark.parametrize("lib", LIBRARIES)
@pytest.mark.parametrize("name", ["main", "run_bot"])
def test_main_with_a_plain_function_takes_its_run_call_over(lib: str, name: str) -> None:
    result = looptui(str(STRUCTURES / lib / "entry.py"), "--main", name, "--offline")
    assert result.returncode == 0, result.stderr
    events = events_of(result)
    assert first(events, "main_started")["name"] == name
    assert ran(events).get("Ticker.tick", 0) >= 1
    assert events[-1]["main"] == {"name": name, "state": "finished", "error": None}


def test_main_with_a_plain_bot_run_online_fails_at_login_and_cancels_nothing_of_looptui() -> None:
    result = looptui(str(STRUCTURES / "disnake" / "entry.py"), "--main", "main")
    assert result.returncode == 3, result.stderr
    events = events_of(result)
    assert first(events, "main_failed")["error"] == "TypeError"
    assert events[-1]["event"] == "summary"  # looptui ended itself, gracefully
    assert "CancelledError" not in result.stderr and "Traceback" not in result.stderr.split(
        "main failed")[0]


def test_main_with_a_function_that_starts_nothing_is_a_usage_error() -> None:
    result = looptui(str(STRUCTURES / "dpy" / "entry.py"), "--main", "nothing")
    assert result.returncode == 2
    assert "--main nothing: nothing() returned int and started nothing" in result.stderr
    assert "Traceback" not in result.stderr


# ----------------------------------------------------------------- packages
@pytest.mark.parametrize("lib", LIBRARIES)
@pytest.mark.parametrize("how", [("pkgbot",), ("-m", "pkgbot")])
def test_a_package_with_main_runs_as_python_m(lib: str, how: tuple[str, ...]) -> None:
    result = looptui(*how, "--offline", cwd=STRUCTURES / lib)
    assert result.returncode == 0, result.stderr
    events = events_of(result)
    assert first(events, "main_started")["name"].endswith(" at pkgbot/__main__.py:6")
    assert ran(events).get("Pulse.pulse", 0) >= 1


def test_a_folder_without_main_is_refused_with_what_to_give() -> None:
    result = looptui(str(STRUCTURES / "dpy" / "cogs"))
    assert result.returncode == 2
    assert "is a directory without a __main__.py" in result.stderr


def test_dash_m_and_a_target_together_is_a_usage_error() -> None:
    result = looptui("bot.py", "-m", "pkgbot")
    assert result.returncode == 2 and "either TARGET or -m MODULE" in result.stderr


# ------------------------------------------------------------ offline identity
@pytest.mark.parametrize("lib", LIBRARIES)
def test_offline_identity_lets_start_up_code_that_reads_it_go_on(lib: str) -> None:
    result = looptui(str(STRUCTURES / lib / "identity.py"), "--offline")
    assert result.returncode == 0, result.stderr
    events = events_of(result)
    assert ("logged in as offline (100000000000000001), app 100000000000000001"
            in printed(events))
    assert ran(events).get("Ticker.tick", 0) >= 1


def test_a_failing_setup_hook_offline_is_a_hook_failed_event() -> None:
    result = looptui(str(STRUCTURES / "dpy" / "hook_fails.py"), "--offline")
    events = events_of(result)
    failed = first(events, "hook_failed")
    assert failed["client"] == "MyBot" and failed["hook"] == "setup_hook"
    assert "hook_fails.py\", line 14, in setup_hook" in failed["traceback"]
    assert events[-1]["main"]["state"] == "finished"  # the client still got ready


def test_the_offline_identity_is_the_librarys_own_client_user() -> None:
    import asyncio

    import disnake
    from disnake.ext import commands

    from looptui.session.program.offline_identity import (
        OFFLINE_OWNER_ID, OFFLINE_USER_ID, give_offline_identity,
    )

    async def made() -> commands.Bot:
        bot = commands.Bot(command_prefix="!", intents=disnake.Intents.default())
        assert give_offline_identity(bot, "disnake") is None
        return bot

    bot = asyncio.run(made())
    assert isinstance(bot.user, disnake.ClientUser) and bot.user.name == "offline"
    assert bot.user.id == bot.application_id == OFFLINE_USER_ID
    assert bot.owner_id == OFFLINE_OWNER_ID  # disnake fills the owners at login


# --------------------------------------------------------- Python's own rules
PROGRAM = '''
import json, os, pickle, sys


class Point:
    pass


facts = {
    "name": __name__, "file": __file__, "spec": repr(__spec__), "argv": sys.argv,
    "path0": sys.path[0], "cwd": os.getcwd(), "is_main": sys.modules["__main__"] is
    sys.modules[__name__], "pickles": type(pickle.loads(pickle.dumps(Point()))).__name__,
}
if __name__ == "__main__":
    print(json.dumps(facts))
    with open(os.environ["RUNS_FILE"], "a") as runs:
        runs.write("ran\\n")
'''


def test_a_file_runs_as_main_with_pythons_argv_path_and_spec(tmp_path: Path) -> None:
    program = tmp_path / "app" / "prog.py"
    program.parent.mkdir()
    program.write_text(PROGRAM)
    runs = tmp_path / "runs.txt"
    record = tmp_path / "record.jsonl"
    result = looptui(str(program), "--record", str(record), "--", "--flag",
                     cwd=tmp_path, env={"RUNS_FILE": str(runs)}, seconds="0.5")
    assert result.returncode == 0, result.stderr
    facts = json.loads(printed(events_of(result))[0])
    assert facts == {
        "name": "__main__", "file": str(program), "spec": "None",
        "argv": [str(program), "--flag"], "path0": str(program.parent), "cwd": str(tmp_path),
        "is_main": True, "pickles": "Point",
    }
    assert runs.read_text() == "ran\n"  # the record writer did not run __main__ again


def test_a_module_runs_as_main_with_its_package_as_python_m(tmp_path: Path) -> None:
    package = tmp_path / "tool"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "helper.py").write_text("WORD = 'relative import works'\n")
    (package / "cli.py").write_text(
        "import json, sys\nfrom .helper import WORD\n"
        "if __name__ == '__main__':\n"
        "    print(json.dumps([__name__, __spec__.name, __package__, WORD, sys.argv[0]]))\n")
    result = looptui("-m", "tool.cli", cwd=tmp_path, seconds="0.3")
    assert result.returncode == 0, result.stderr
    assert json.loads(printed(events_of(result))[0]) == [
        "__main__", "tool.cli", "tool", "relative import works", str(package / "cli.py")]


def test_sys_exit_after_a_taken_over_run_call_ends_the_program_once_its_main_ended(
        tmp_path: Path) -> None:
    program = tmp_path / "job.py"
    program.write_text(
        "import asyncio, sys\nfrom looptui import loop\n\n"
        "@loop(seconds=0.01, count=3)\nasync def job():\n    pass\n\n"
        "async def main():\n    job.start()\n    await job.get_task()\n\n"
        "if __name__ == '__main__':\n    asyncio.run(main())\n    sys.exit(5)\n")
    result = looptui(str(program), seconds="30")
    assert result.returncode == 5, result.stderr
    events = events_of(result)
    assert ran(events) == {"job": 3}
    assert first(events, "main_finished")["exit_code"] == 5


def test_mains_and_clients_are_named_at_the_programs_own_line(tmp_path: Path) -> None:
    library = tmp_path / "venv" / "lib" / "site-packages"
    library.mkdir(parents=True)
    (library / "launcher.py").write_text(
        "def launch(bot, token):\n    bot.run(token)  # a library's frame, never named\n")
    bot_class = (
        "import sys\n"
        f"sys.path.insert(0, {str(library)!r})\n"
        "import discord, launcher\n"
        "from discord.ext import commands\n\n"
        "class MyBot(commands.Bot):\n"
        "    def __init__(self):\n"
        "        super().__init__(command_prefix='!', intents=discord.Intents.default())\n\n"
        "    def run(self, token):\n"
        "        super().run(token)\n\n"
        "bot = MyBot()\n")
    started = tmp_path / "started.py"
    started.write_text(bot_class + "if __name__ == '__main__':\n    launcher.launch(bot, None)\n")
    result = looptui(str(started), "--offline", seconds="0.5")
    assert result.returncode == 0, result.stderr
    assert first(events_of(result), "main_started")["name"] == "MyBot.run() at started.py:15"
    unstarted = tmp_path / "unstarted.py"
    unstarted.write_text(bot_class)
    done = subprocess.run(
        [sys.executable, "-m", "looptui", "--headless", "--no-reload", "--for", "0.3",
         str(unstarted)], capture_output=True, text=True, timeout=TIMEOUT)
    assert "MyBot created at unstarted.py:13, but nothing starts it" in done.stdout
