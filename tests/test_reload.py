"""Hot reload, the procedure: new code runs, names and history stay, old loops end.

These tests call ``session.reload()`` directly (the ``R`` key); the file watcher is
covered in ``test_reload_watch.py``. Real files, real time, every wait bounded and on a
condition.
"""

from __future__ import annotations

import asyncio
import os

import pytest
from reload_support import heartbeat_program, install_probe, marks_of, run, wait_for, write

from looptui import LoopState
from looptui.core.registry import REGISTRY
from looptui.session import Session


pytestmark = pytest.mark.usefixtures("isolated_imports")
"""Every test here loads user programs: see ``isolated_imports`` in conftest.py."""


@pytest.fixture()
def probe():
    return install_probe()


def names() -> list[str]:
    return [t.name for t in REGISTRY.trackers()]


def test_reload_runs_new_code_under_the_same_names_with_history(tmp_path, probe):
    bot = write(tmp_path / "bot.py", heartbeat_program(1))

    async def main():
        session = Session(str(bot), watch=False)
        await session.start()
        old_loop = session.module.heartbeat
        await wait_for(lambda: marks_of(probe, "beat").count(1) >= 3, what="three v1 beats")
        old_tracker = REGISTRY.get("heartbeat")
        before = old_tracker.total_iterations
        write(bot, heartbeat_program(2))
        result = await session.reload()
        await wait_for(lambda: 2 in marks_of(probe, "beat"), what="a v2 beat")
        new_tracker = REGISTRY.get("heartbeat")
        await session.shutdown()
        return session, result, old_loop, old_tracker, new_tracker, before

    session, result, old_loop, old_tracker, new_tracker, before = run(main)
    assert result.ok and session.reload_error is None
    assert names() == ["heartbeat"]  # not heartbeat#2, and the old one is gone
    assert new_tracker is not old_tracker
    assert new_tracker.total_iterations >= before + 1  # counters carried over
    assert len(new_tracker.history) >= before + 1
    records = list(new_tracker.history)
    assert [r.started for r in records] == sorted(r.started for r in records)
    assert not old_loop.is_running() and old_tracker.state is LoopState.STOPPED
    assert 1 in marks_of(probe, "after")  # the old loop's after_loop ran
    beats = marks_of(probe, "beat")
    assert 1 not in beats[beats.index(2):]  # once v2 ran, v1 never ran again
    assert session.reload_count == 1 and session.reload_version == 1
    assert session.last_reload["added"] == session.last_reload["removed"] == []


def test_added_removed_and_changed(tmp_path, probe):
    v1 = """
        import looptui_reload_probe as probe
        from looptui import loop

        @loop(seconds=0.05)
        async def steady():
            probe.hit("steady")

        @loop(seconds=0.05)
        async def edited():
            probe.hit("edited", 1)

        @loop(seconds=0.05)
        async def rescheduled():
            pass

        @loop(seconds=0.05)
        async def dropped():
            pass
    """
    v2 = """
        import looptui_reload_probe as probe
        from looptui import loop

        # a new comment and blank lines shift every line below: not a change


        @loop(seconds=0.05)
        async def steady():
            probe.hit("steady")

        @loop(seconds=0.05)
        async def edited():
            probe.hit("edited", 2)

        @loop(seconds=0.5)
        async def rescheduled():
            pass

        @loop(seconds=0.05)
        async def fresh():
            probe.hit("fresh")
    """
    bot = write(tmp_path / "bot.py", v1)
    events: list[dict] = []

    async def main():
        session = Session(str(bot), watch=False)
        session.add_sink(events.append)
        await session.start()
        write(bot, v2)
        result = await session.reload()
        await wait_for(lambda: marks_of(probe, "fresh"), what="the added loop runs")
        await session.shutdown()
        return result

    result = run(main)
    assert result.added == ["fresh"]
    assert result.removed == ["dropped"]
    assert result.changed == ["edited", "rescheduled"]
    assert names() == ["steady", "edited", "rescheduled", "fresh"]
    reload_events = [e for e in events if e["event"] == "reload"]
    assert reload_events == [{"event": "reload", "time": reload_events[0]["time"],
                              "added": ["fresh"], "removed": ["dropped"],
                              "changed": ["edited", "rescheduled"]}]
    assert any(e["event"] == "loop_removed" and e["loop"] == "dropped" for e in events)
    added = [e["loop"] for e in events if e["event"] == "loop_added"]
    assert added.count("fresh") == 1 and added.count("steady") == 1  # kept: not re-added


def test_failed_import_keeps_the_old_loops_running(tmp_path, probe):
    bot = write(tmp_path / "bot.py", heartbeat_program(1))
    events: list[dict] = []

    async def main():
        session = Session(str(bot), watch=False)
        session.add_sink(events.append)
        await session.start()
        tracker = REGISTRY.get("heartbeat")
        await wait_for(lambda: marks_of(probe, "beat"), what="a v1 beat")
        write(bot, heartbeat_program(2) + "\ndef broken(:\n")
        failed = await session.reload()
        error = session.reload_error
        seen = len(probe.marks)
        await wait_for(lambda: len(marks_of(probe, "beat")) > seen + 2, what="old loop goes on")
        still = REGISTRY.get("heartbeat") is tracker and tracker.state is not LoopState.STOPPED
        write(bot, heartbeat_program(3))
        fixed = await session.reload()
        await wait_for(lambda: 3 in marks_of(probe, "beat"), what="a v3 beat")
        await session.shutdown()
        return session, failed, error, still, fixed

    session, failed, error, still, fixed = run(main)
    assert not failed.ok and failed.error is error
    assert error.summary.startswith("SyntaxError: ") and error.summary.endswith("(bot.py:14)")
    assert error.file == str(tmp_path / "bot.py") and error.line == 14
    assert f'File "{tmp_path / "bot.py"}", line 14' in error.traceback
    assert "looptui" not in error.traceback.replace(str(tmp_path), "")
    assert still, "the old loop must keep running after a failed reload"
    assert 2 not in marks_of(probe, "beat")
    assert fixed.ok and session.reload_error is None
    assert session.reload_count == 1 and session.reload_version == 2
    failures = [e for e in events if e["event"] == "reload_failed"]
    assert len(failures) == 1
    assert failures[0]["error"] == error.summary and failures[0]["traceback"] == error.traceback
    assert names() == ["heartbeat"]


def test_failed_import_discards_what_it_started(tmp_path, probe):
    """A module that starts a loop and a task, then raises: nothing of it survives."""
    bad = heartbeat_program(2, """
        import asyncio

        class Worker:
            def __init__(self):
                self.job.start()

            @loop(seconds=0.01)
            async def job(self):
                probe.hit("job")

        async def side_task():
            probe.hit("side task")

        worker = Worker()
        heartbeat.start()
        asyncio.get_running_loop().create_task(side_task())
        raise RuntimeError("configuration missing")
    """)
    bot = write(tmp_path / "bot.py", heartbeat_program(1))
    events: list[dict] = []

    async def main():
        session = Session(str(bot), watch=False)
        session.add_sink(events.append)
        await session.start()
        write(bot, bad)
        result = await session.reload()
        seen = len(marks_of(probe, "beat"))
        await wait_for(lambda: len(marks_of(probe, "beat")) > seen + 2, what="old loop goes on")
        await session.shutdown()
        return session, result

    session, result = run(main)
    assert not result.ok
    assert session.reload_error.summary == "RuntimeError: configuration missing (bot.py:30)"
    assert names() == ["heartbeat"]
    assert marks_of(probe, "job") == [] and marks_of(probe, "side task") == []
    assert 2 not in marks_of(probe, "beat")
    assert not any(e.get("loop") == "Worker.job" for e in events)


def test_loops_the_old_code_created_are_stopped(tmp_path, probe):
    """Instance loops started at import and loops created at run time: none survive."""
    program = """
        import looptui_reload_probe as probe
        from looptui import loop

        VERSION = {v}

        class Shard:
            def __init__(self, n):
                self.n = n
                self.ping.start()

            @loop(seconds=0.02)
            async def ping(self):
                probe.hit("ping", VERSION, self.n)

            @ping.after_loop
            async def ping_done(self):
                probe.hit("ping done", VERSION, self.n)

        shards = [Shard(0), Shard(1)]

        @loop(seconds=0.02, count=1)
        async def spawner():
            async def extra():
                probe.hit("extra", VERSION)
            made = loop(seconds=0.02, name="extra")(extra)

            @made.after_loop
            async def extra_done():
                probe.hit("extra done", VERSION)
            made.start()
    """
    bot = write(tmp_path / "bot.py", program.format(v=1))

    async def main():
        session = Session(str(bot), watch=False)
        await session.start()
        await wait_for(lambda: marks_of(probe, "extra"), what="the dynamic loop runs")
        assert names() == ["Shard.ping", "Shard.ping#2", "spawner", "extra"]
        write(bot, program.format(v=2))
        result = await session.reload()
        await wait_for(lambda: 2 in marks_of(probe, "extra")
                       and REGISTRY.get("spawner").state is LoopState.FINISHED,
                       what="the new dynamic loop")
        active = [t.name for t in REGISTRY.trackers() if t.is_active]
        listed = names()
        await session.shutdown()
        return result, active, listed

    result, active, listed = run(main)
    # "extra" is made by spawner's body, not at import: the reload reports it removed,
    # and the new code's own "extra" appears once spawner has run again.
    assert result.ok and result.removed == ["extra"] and result.added == []
    assert listed == ["Shard.ping", "Shard.ping#2", "spawner", "extra"]
    assert active == ["Shard.ping", "Shard.ping#2", "extra"]
    assert sorted(marks_of(probe, "ping done"))[:2] == [(1, 0), (1, 1)]
    assert 1 in marks_of(probe, "extra done")
    pings = marks_of(probe, "ping")
    first_v2 = pings.index(next(p for p in pings if p[0] == 2))
    assert all(p[0] == 2 for p in pings[first_v2:])  # v1 pings end at the switch


def test_old_and_new_bodies_of_a_loop_never_overlap(tmp_path, probe):
    """A slow body finishes before its successor starts; other loops do not wait for it."""
    program = """
        import asyncio, time
        import looptui_reload_probe as probe
        from looptui import loop

        VERSION = {v}

        @loop(seconds=0.01)
        async def slow():
            probe.hit("slow start", VERSION, time.monotonic())
            await asyncio.sleep(0.4)
            probe.hit("slow end", VERSION, time.monotonic())

        @loop(seconds=0.01)
        async def quick():
            probe.hit("quick", VERSION, time.monotonic())
    """
    bot = write(tmp_path / "bot.py", program.format(v=1))

    async def main():
        session = Session(str(bot), watch=False)
        await session.start()
        await wait_for(lambda: marks_of(probe, "slow start"), what="slow body running")
        write(bot, program.format(v=2))
        await session.reload()
        await wait_for(lambda: any(v == 2 for v, _ in marks_of(probe, "slow start")),
                       what="the new slow body")
        await session.shutdown()

    run(main)
    old_end = max(t for v, t in marks_of(probe, "slow end") if v == 1)
    new_start = min(t for v, t in marks_of(probe, "slow start") if v == 2)
    quick_v2 = min(t for v, t in marks_of(probe, "quick") if v == 2)
    assert new_start >= old_end
    assert quick_v2 < old_end  # the quick loop did not wait for the slow one


def test_changed_sibling_module_is_reimported(tmp_path, probe):
    write(tmp_path / "helpers.py", 'GREETING = "hello"\n')
    (tmp_path / "lib").mkdir()
    write(tmp_path / "lib" / "__init__.py", "")
    write(tmp_path / "lib" / "words.py", 'WORD = "one"\n')
    bot = write(tmp_path / "bot.py", """
        import looptui_reload_probe as probe
        from looptui import loop
        import helpers
        from lib import words

        @loop(seconds=0.02)
        async def greet():
            probe.hit("greet", helpers.GREETING, words.WORD)
    """)

    async def main():
        session = Session(str(bot), watch=False)
        await session.start()
        await wait_for(lambda: ("hello", "one") in marks_of(probe, "greet"), what="v1")
        write(tmp_path / "helpers.py", 'GREETING = "howdy"\n')
        write(tmp_path / "lib" / "words.py", 'WORD = "two"\n')
        result = await session.reload()
        await wait_for(lambda: ("howdy", "two") in marks_of(probe, "greet"), what="new siblings")
        files = session._hot.files
        await session.shutdown()
        return result, files

    result, files = run(main)
    assert result.ok and result.changed == []  # the loop's own code is the same
    assert files == sorted(str(tmp_path / f) for f in
                           ("bot.py", "helpers.py", "lib/__init__.py", "lib/words.py"))


def test_package_module_target_reloads_its_package(tmp_path, probe, monkeypatch):
    package = tmp_path / "botpkg"
    package.mkdir()
    write(package / "__init__.py", "")
    write(package / "settings.py", "WORD = 'one'\n")
    write(package / "bot.py", """
        import looptui_reload_probe as probe
        from looptui import loop
        from . import settings

        @loop(seconds=0.02)
        async def speak():
            probe.hit("word", settings.WORD)
    """)
    monkeypatch.chdir(tmp_path)

    async def main():
        session = Session("botpkg.bot", watch=False)
        await session.start()
        await wait_for(lambda: "one" in marks_of(probe, "word"), what="v1")
        write(package / "settings.py", "WORD = 'two'\n")
        result = await session.reload()
        await wait_for(lambda: "two" in marks_of(probe, "word"), what="the new settings")
        root, files = session._hot.root, session._hot.files
        await session.shutdown()
        return result, root, files

    result, root, files = run(main)
    assert result.ok and root == package
    assert files == sorted(str(package / f) for f in ("__init__.py", "bot.py", "settings.py"))
    assert [t.name for t in REGISTRY.trackers()] == ["speak"]


def test_stale_bytecode_is_never_run(tmp_path, probe):
    """Same size, same modification time: Python's cache check alone would be fooled."""
    bot = write(tmp_path / "bot.py", heartbeat_program(1))

    async def main():
        session = Session(str(bot), watch=False)
        await session.start()
        stat = os.stat(bot)
        write(bot, heartbeat_program(2))
        os.utime(bot, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        assert os.stat(bot).st_size == stat.st_size
        await session.reload()
        await wait_for(lambda: 2 in marks_of(probe, "beat"), what="the new code")
        await session.shutdown()

    run(main)


def test_main_is_cancelled_and_run_again(tmp_path, probe):
    program = """
        import asyncio
        import looptui_reload_probe as probe

        VERSION = {v}

        async def main():
            probe.hit("main", VERSION)
            try:
                await asyncio.sleep(3600)
            finally:
                probe.hit("main ended", VERSION)
    """
    bot = write(tmp_path / "bot.py", program.format(v=1))

    async def main():
        session = Session(str(bot), main="main", watch=False)
        await session.start()
        await wait_for(lambda: marks_of(probe, "main"), what="main runs")
        write(bot, program.format(v=2))
        await session.reload()
        await wait_for(lambda: 2 in marks_of(probe, "main"), what="new main runs")
        state = session.main_state
        await session.shutdown()
        return state

    assert run(main) == "running"
    assert marks_of(probe, "main ended")[0] == 1


def test_tasks_of_the_old_code_are_cancelled(tmp_path, probe):
    program = """
        import asyncio
        import looptui_reload_probe as probe

        VERSION = {v}

        async def poller():
            try:
                while True:
                    probe.hit("poll", VERSION)
                    await asyncio.sleep(0.02)
            finally:
                probe.hit("poller ended", VERSION)

        task = asyncio.get_running_loop().create_task(poller())
    """
    bot = write(tmp_path / "bot.py", program.format(v=1))

    async def main():
        session = Session(str(bot), watch=False)
        await session.start()
        await wait_for(lambda: marks_of(probe, "poll"), what="the task runs")
        write(bot, program.format(v=2))
        await session.reload()
        await wait_for(lambda: 2 in marks_of(probe, "poll"), what="the new task runs")
        await session.shutdown()

    run(main)
    assert marks_of(probe, "poller ended")[0] == 1


def test_no_start_leaves_new_module_loops_idle(tmp_path, probe):
    bot = write(tmp_path / "bot.py", heartbeat_program(1))

    async def main():
        session = Session(str(bot), start_loops=False, watch=False)
        await session.start()
        write(bot, heartbeat_program(2))
        result = await session.reload()
        state = REGISTRY.get("heartbeat").state
        await session.shutdown()
        return result, state

    result, state = run(main)
    assert result.ok and state is LoopState.IDLE and probe.marks == []


def test_discord_py_loops_are_reloaded_too(tmp_path, probe):
    pytest.importorskip("discord")
    program = """
        import looptui_reload_probe as probe
        from discord.ext import tasks

        VERSION = {v}

        @tasks.loop(seconds=0.02)
        async def heartbeat():
            probe.hit("beat", VERSION)

        @heartbeat.after_loop
        async def heartbeat_done():
            probe.hit("after", VERSION)
    """
    bot = write(tmp_path / "bot.py", program.format(v=1))

    async def main():
        session = Session(str(bot), watch=False)
        await session.start()
        await wait_for(lambda: 1 in marks_of(probe, "beat"), what="v1 beat")
        write(bot, program.format(v=2))
        result = await session.reload()
        await wait_for(lambda: 2 in marks_of(probe, "beat"), what="v2 beat")
        tracker = REGISTRY.get("heartbeat")
        await session.shutdown()
        return result, tracker

    result, tracker = run(main)
    assert result.ok and names() == ["heartbeat"] and tracker.source == "discord.py"
    assert 1 in marks_of(probe, "after")
    assert tracker.total_iterations >= 2  # v1's iterations carried over


def test_cancelling_the_caller_does_not_cut_a_reload_short(tmp_path, probe):
    program = heartbeat_program(1).replace(
        'probe.hit("beat", VERSION)', 'probe.hit("beat", VERSION)\n    await asyncio.sleep(0.3)'
    ).replace("from looptui import loop", "import asyncio\nfrom looptui import loop")
    bot = write(tmp_path / "bot.py", program)

    async def main():
        session = Session(str(bot), watch=False)
        await session.start()
        await wait_for(lambda: 1 in marks_of(probe, "beat"), what="a slow v1 body runs")
        write(bot, program.replace("VERSION = 1", "VERSION = 2"))
        caller = asyncio.get_running_loop().create_task(session.reload())
        await wait_for(lambda: session.reloading, what="the reload began")
        caller.cancel()
        await wait_for(lambda: session.reload_version == 1, what="the reload ended")
        await wait_for(lambda: 2 in marks_of(probe, "beat"), what="v2 runs")
        listed = [(t.name, t.is_active) for t in REGISTRY.trackers()]
        await session.shutdown()
        return session, listed

    session, listed = run(main)
    assert session.reload_count == 1 and listed == [("heartbeat", True)]
    assert 1 in marks_of(probe, "after")


def test_reload_outside_a_running_session_is_refused(tmp_path, probe):
    bot = write(tmp_path / "bot.py", heartbeat_program(1))

    async def main():
        session = Session(str(bot), watch=False)
        with pytest.raises(RuntimeError):
            await session.reload()
        await session.start()
        await session.shutdown()
        with pytest.raises(RuntimeError):
            await session.reload()

    run(main)
