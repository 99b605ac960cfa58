"""Hot reload of a program run as ``__main__``: its guard's ``bot.run()`` is the main.

Real bots (discord.py: the cog is loaded in ``setup_hook``, so its loop exists only
once the main runs; nextcord and disnake: the cog is loaded under the guard) run
``--offline`` from a copy of ``fixtures/bots/structures``:

* saving the program file re-runs it as ``__main__``: the old main is ended (its client
  closed) before the new one starts, and the loops the new main creates take their
  names, history and counters back — nothing reported removed;
* saving a helper module the cog imports reloads that cog through the library, with the
  helper's new code, and the main goes on;
* a helper that no extension imports reloads the whole program;
* ``watchfiles``' own log lines never reach the program's logging.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from pathlib import Path
from typing import Any

import pytest
from reload_support import run, wait_for

from looptui.core.registry import REGISTRY
from looptui.session import Session

STRUCTURES = Path(__file__).parent / "fixtures" / "bots" / "structures"
LIBRARIES = ("dpy", "nextcord", "disnake")


@pytest.fixture(autouse=True)
def _isolation(isolated_imports: None) -> None:
    """Every test here loads user programs: see ``isolated_imports``."""


def copy_bot(tmp_path: Path, lib: str) -> Path:
    folder = tmp_path / lib
    shutil.copytree(STRUCTURES / lib, folder, ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def ticks(prefix: str) -> int:
    tracker = REGISTRY.get("Ticker.tick")
    if tracker is None:
        return 0
    return sum(1 for _t, _stream, text in list(tracker.output) if text.startswith(prefix))


async def started(program: Path, events: list[dict[str, Any]]) -> Session:
    session = Session(str(program), watch=False, offline=True)
    session.add_sink(events.append)
    await session.start()
    await wait_for(lambda: ticks("tick ") >= 3, what="the cog's loop runs")
    return session


@pytest.mark.parametrize("lib", LIBRARIES)
def test_saving_a_guarded_program_restarts_its_main_and_keeps_the_loops_counters(
        tmp_path: Path, lib: str) -> None:
    folder = copy_bot(tmp_path, lib)
    program = folder / "run.py"
    events: list[dict[str, Any]] = []

    async def main() -> tuple[Any, ...]:
        session = await started(program, events)
        old_main, old_bot = session.main_task, session.module.bot  # type: ignore[union-attr]
        before = REGISTRY.get("Ticker.tick").total_iterations  # type: ignore[union-attr]
        program.write_text(program.read_text() + "\nRELOADED = True\n")
        result = await session.reload([str(program)])
        await wait_for(lambda: REGISTRY.get("Ticker.tick") is not None
                       and REGISTRY.get("Ticker.tick").total_iterations > before + 2,
                       what="the new main's loop runs")
        seen = {
            "old main ended": old_main is not None and old_main.done(),
            "old bot closed": old_bot.is_closed(),
            "new main running": session.main_task is not old_main
            and not session.main_task.done(),  # type: ignore[union-attr]
            "new module ran as __main__": getattr(session.module, "RELOADED", False),
        }
        names = sorted(t.name for t in REGISTRY.trackers())
        await session.shutdown()
        return result, seen, names

    result, seen, names = run(main)
    assert result.ok, result.error
    assert all(seen.values()), seen
    assert result.removed == [] and names == ["Ticker.tick"]  # no "#2", no reset
    kinds = [e["event"] for e in events]
    assert kinds.count("main_started") == 2
    assert kinds.index("main_finished") < len(kinds) - 1 - kinds[::-1].index("main_started")
    assert not [e for e in events if e["event"] == "loop_removed"]


@pytest.mark.parametrize("lib", LIBRARIES)
def test_saving_a_helper_an_extension_imports_reloads_that_extension(
        tmp_path: Path, lib: str) -> None:
    folder = copy_bot(tmp_path, lib)
    helper = folder / "cogs" / "helpers" / "fmt.py"
    events: list[dict[str, Any]] = []

    async def main() -> tuple[Any, ...]:
        session = await started(folder / "run.py", events)
        main_task = session.main_task
        helper.write_text(helper.read_text().replace('PREFIX = "tick"', 'PREFIX = "tock"'))
        assert session._hot is not None and session._hot.is_relevant(str(helper))
        result = await session.reload([str(helper)])
        await wait_for(lambda: ticks("tock ") >= 2, what="the helper's new code runs")
        kept = session.main_task is main_task and not main_task.done()  # type: ignore[union-attr]
        await session.shutdown()
        return result, kept

    result, kept = run(main)
    assert result.ok, result.error
    assert kept  # the bot was not restarted: the library reloaded its cog
    reload = [e for e in events if e["event"] == "reload"]
    assert len(reload) == 1 and reload[0]["extensions"] == ["cogs.ticker"]


def test_saving_a_helper_no_extension_imports_reloads_the_whole_program(tmp_path: Path) -> None:
    folder = copy_bot(tmp_path, "dpy")
    (folder / "settings.py").write_text("GREETING = 'hello'\n")
    program = folder / "run.py"
    program.write_text("import settings\n" + program.read_text())
    events: list[dict[str, Any]] = []

    async def main() -> Any:
        session = await started(program, events)
        result = await session.reload([str(folder / "settings.py")])
        await session.shutdown()
        return result

    result = run(main)
    assert result.ok, result.error
    reload = [e for e in events if e["event"] == "reload"]
    assert len(reload) == 1 and "extensions" not in reload[0]
    assert [e["event"] for e in events].count("main_started") == 2


def test_watchfiles_logs_never_reach_the_programs_logging(tmp_path: Path) -> None:
    from looptui.session.reload.watcher import FileWatcher

    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    root = logging.getLogger()
    handler, level = Keep(), root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)  # a program logging everything
    changed: list[set[str]] = []

    async def main() -> None:
        async def on_change(paths: set[str]) -> None:
            changed.append(paths)

        watcher = FileWatcher([str(tmp_path)], on_change)
        watcher.start()
        try:
            await asyncio.sleep(0)
            for n in range(50):  # until the watching thread is up and sees a save
                (tmp_path / "bot.py").write_text(f"x = {n}\n")
                try:
                    await wait_for(lambda: bool(changed), timeout=0.2, what="a change")
                    break
                except AssertionError:
                    continue
        finally:
            await watcher.stop()

    try:
        run(main)
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    assert changed
    assert not [r for r in records if r.name.startswith("watchfiles")]


def test_old_watchfiles_without_recursive_get_the_outermost_folders_only() -> None:
    from looptui.session.reload.watcher import awatch_arguments

    def old_awatch(*paths: str, watch_filter: Any = None, debounce: int = 0, step: int = 0,
                   stop_event: Any = None, rust_timeout: int = 0) -> None:
        """watchfiles 0.15/0.16: every path is watched recursively."""

    def new_awatch(*paths: str, recursive: bool = True,
                   ignore_permission_denied: bool = False) -> None:
        """watchfiles 0.21+."""

    dirs = ["/p", "/p/cogs", "/p/cogs/help", "/other"]
    assert awatch_arguments(old_awatch, dirs) == (["/other", "/p"], {})
    assert awatch_arguments(new_awatch, dirs) == (
        dirs, {"recursive": False, "ignore_permission_denied": True})


def test_a_package_run_with_dash_m_reloads_from_its_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = copy_bot(tmp_path, "dpy")
    monkeypatch.chdir(folder)
    events: list[dict[str, Any]] = []

    def pulses() -> int:
        tracker = REGISTRY.get("Pulse.pulse")
        return tracker.total_iterations if tracker is not None else 0

    async def main() -> tuple[Any, ...]:
        session = Session("pkgbot", watch=False, offline=True, as_module=True)
        session.add_sink(events.append)
        await session.start()
        await wait_for(lambda: pulses() >= 2, what="the package's loop runs")
        hot = session._hot
        assert hot is not None
        root = hot.root
        relevant = hot.is_relevant(str(folder / "pkgbot" / "bot.py"))
        before = pulses()
        bot_file = folder / "pkgbot" / "bot.py"
        bot_file.write_text(bot_file.read_text() + "\n# saved\n")
        result = await session.reload([str(bot_file)])
        await wait_for(lambda: pulses() > before + 1, what="the new main's loop runs")
        await session.shutdown()
        return root, relevant, result

    root, relevant, result = run(main)
    assert root == folder / "pkgbot" and relevant
    assert result.ok, result.error
    assert result.removed == []
    assert [e["event"] for e in events].count("main_started") == 2
