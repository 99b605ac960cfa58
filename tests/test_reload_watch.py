"""Hot reload driven by the file watcher: every way an editor saves reloads exactly once.

Each test starts a watching session on real files, saves a new version the way some
editor would, and waits (bounded) for the new code to run. "Exactly once" is checked
with a second, ordinary save afterwards: the watcher handles changes in order, so once
that save's code runs, any extra reload the first save caused has already happened.
"""

from __future__ import annotations

import asyncio
import os

import pytest
from reload_support import heartbeat_program, install_probe, marks_of, run, wait_for, write

from looptui.core.registry import REGISTRY
from looptui.session import Session


pytestmark = pytest.mark.usefixtures("isolated_imports")
"""Every test here loads user programs: see ``isolated_imports`` in conftest.py."""


@pytest.fixture()
def probe():
    return install_probe()


async def in_place(path, text):
    path.write_text(text)


async def temp_then_rename(path, text):
    temp = path.with_name(path.name + ".tmp~")
    temp.write_text(text)
    os.replace(temp, path)


async def delete_then_create(path, text):
    path.unlink()
    path.write_text(text)


async def briefly_missing(path, text):
    path.unlink()
    await asyncio.sleep(0.3)  # part of the scenario: the file is gone for a while
    path.write_text(text)


async def burst(path, text):
    for n in range(5):  # format-on-save and friends: several writes in a row
        path.write_text(text + f"\n# save {n}\n")


SAVES = [in_place, temp_then_rename, delete_then_create, briefly_missing, burst]


async def watching_session(bot) -> Session:
    session = Session(str(bot))
    await session.start()
    await wait_for(lambda: session.watching, what="watching")
    return session


@pytest.mark.parametrize("save", SAVES, ids=lambda f: f.__name__)
def test_each_save_pattern_reloads_once(tmp_path, probe, save):
    bot = write(tmp_path / "bot.py", heartbeat_program(1))

    async def main():
        session = await watching_session(bot)
        await wait_for(lambda: 1 in marks_of(probe, "beat"), what="v1 runs")
        await save(bot, heartbeat_program(2))
        await wait_for(lambda: 2 in marks_of(probe, "beat") and session.reload_count == 1,
                       what="v2 runs")
        bot.write_text(heartbeat_program(3))
        await wait_for(lambda: 3 in marks_of(probe, "beat") and session.reload_count == 2,
                       what="v3 runs")
        attempts, error, files = session.reload_version, session.reload_error, session.last_reload
        await session.shutdown()
        return attempts, error, files

    attempts, error, last = run(main)
    assert error is None
    assert attempts == 2, "one reload per save, no failed attempt in between"
    assert last["files"] == ["bot.py"]
    assert [t.name for t in REGISTRY.trackers()] == ["heartbeat"]


def test_failure_then_fix(tmp_path, probe):
    bot = write(tmp_path / "bot.py", heartbeat_program(1))
    events: list[dict] = []

    async def main():
        session = await watching_session(bot)
        session.add_sink(events.append)
        await wait_for(lambda: 1 in marks_of(probe, "beat"), what="v1 runs")
        bot.write_text(heartbeat_program(2).replace("async def heartbeat():",
                                                    "async def heartbeat(:"))
        await wait_for(lambda: session.reload_error is not None, what="the failure")
        seen = len(marks_of(probe, "beat"))
        await wait_for(lambda: len(marks_of(probe, "beat")) > seen + 2, what="v1 goes on")
        bot.write_text(heartbeat_program(3))
        await wait_for(lambda: 3 in marks_of(probe, "beat") and session.reload_count == 1,
                       what="the fix runs")
        error = session.reload_error
        await session.shutdown()
        return error

    assert run(main) is None
    kinds = [e["event"] for e in events if e["event"] in ("reload", "reload_failed")]
    assert kinds == ["reload_failed", "reload"]
    failed = next(e for e in events if e["event"] == "reload_failed")
    assert failed["error"].startswith("SyntaxError") and "(bot.py:7)" in failed["error"]
    assert 2 not in marks_of(probe, "beat")


def test_sibling_change_reloads_and_unrelated_files_do_not(tmp_path, probe):
    write(tmp_path / "helpers.py", "WORD = 'one'\n")
    write(tmp_path / "unrelated.py", "X = 1\n")
    bot = write(tmp_path / "bot.py", """
        import looptui_reload_probe as probe
        from looptui import loop
        import helpers

        @loop(seconds=0.02)
        async def speak():
            probe.hit("word", helpers.WORD)
    """)

    async def main():
        session = await watching_session(bot)
        await wait_for(lambda: "one" in marks_of(probe, "word"), what="v1")
        (tmp_path / "unrelated.py").write_text("X = 2\n")
        (tmp_path / "helpers.py").write_text("WORD = 'two'\n")
        await wait_for(lambda: "two" in marks_of(probe, "word") and session.reload_count == 1,
                       what="the sibling's new code")
        last = session.last_reload
        await session.shutdown()
        return last

    assert run(main)["files"] == ["helpers.py"]


def test_sibling_deleted_then_restored(tmp_path, probe):
    """An imported sibling that disappears for good makes the reload fail, not crash."""
    write(tmp_path / "helpers.py", "WORD = 'one'\n")
    bot = write(tmp_path / "bot.py", """
        import looptui_reload_probe as probe
        from looptui import loop
        import helpers

        @loop(seconds=0.02)
        async def speak():
            probe.hit("word", helpers.WORD)
    """)

    async def main():
        session = await watching_session(bot)
        session._hot.watcher.missing_grace = 0.2
        await wait_for(lambda: "one" in marks_of(probe, "word"), what="v1")
        (tmp_path / "helpers.py").unlink()
        await wait_for(lambda: session.reload_error is not None, what="the failure")
        summary = session.reload_error.summary
        (tmp_path / "helpers.py").write_text("WORD = 'back'\n")
        await wait_for(lambda: "back" in marks_of(probe, "word"), what="restored")
        await session.shutdown()
        return summary

    summary = run(main)
    assert summary.startswith("ModuleNotFoundError: No module named 'helpers' (bot.py:3)")


def test_no_reload_means_no_watching(tmp_path, probe):
    bot = write(tmp_path / "bot.py", heartbeat_program(1))

    async def main():
        session = Session(str(bot), watch=False)
        await session.start()
        watching = session.watching
        await session.shutdown()
        return watching

    assert run(main) is False


def test_cli_no_reload_reaches_the_session(tmp_path, probe, monkeypatch):
    import looptui.session
    from looptui import cli

    seen: list[bool] = []

    class Spy(Session):
        def __init__(self, *args, **kwargs):
            seen.append(kwargs["watch"])
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(looptui.session, "Session", Spy)
    bot = write(tmp_path / "bot.py", heartbeat_program(1))
    assert cli.run([str(bot), "--headless", "--no-reload", "--for", "0.05"]) == 0
    assert cli.run([str(bot), "--headless", "--for", "0.05"]) == 0
    assert seen == [False, True]


def test_shutdown_stops_watching(tmp_path, probe):
    bot = write(tmp_path / "bot.py", heartbeat_program(1))

    async def main():
        session = await watching_session(bot)
        watcher = session._hot.watcher
        await session.shutdown()
        return watcher

    watcher = run(main)
    assert not watcher.running
