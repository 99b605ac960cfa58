"""Why an ``idle`` loop has not started: a forgotten ``.start()``, or a start in code that
has not run yet (a bot's ``setup_hook`` / ``on_ready`` while the client never got ready)."""

from __future__ import annotations

import os
from pathlib import Path

from looptui.core.states import LoopState
from looptui.core.tracker import Tracker
from looptui.session.health.waiting import WaitingWatch, explain_idle, start_call

BOT = '''import discord

class MyBot(discord.Client):
    async def on_ready(self):
        # self.forgotten.start() is only a comment here
        self.presence.start()

    async def presence(self): ...
    async def forgotten(self): ...
    async def presence_extra(self): ...
'''


def tracker(path: Path, name: str, source: str = "discord.py") -> Tracker:
    return Tracker(name, source=source, file=str(path), line=8)


def facts(root: Path, **changes: object) -> dict[str, object]:
    base: dict[str, object] = {"root": str(root), "offline": False, "main_state": "failed",
                               "main_error": "TypeError: expected token to be a str"}
    base.update(changes)
    return base


def test_the_start_call_is_found_in_the_loops_file_and_comments_do_not_count(tmp_path):
    bot = tmp_path / "bot.py"
    bot.write_text(BOT)
    assert start_call(tracker(bot, "MyBot.presence")) == (6, "self.presence.start()")
    assert start_call(tracker(bot, "MyBot.forgotten")) is None
    assert start_call(tracker(bot, "MyBot.presence_extra")) is None  # whole names only
    assert start_call(Tracker("x", file=str(tmp_path / "gone.py"))) is None


def test_after_a_failed_main_the_start_that_did_not_run_is_named_with_offline(tmp_path):
    bot = tmp_path / "bot.py"
    bot.write_text(BOT)
    note = explain_idle(tracker(bot, "MyBot.presence"), **facts(tmp_path))
    assert note is not None and note["start"] == "bot.py:6"
    assert note["reason"] == "not started: main failed before bot.py:6 ran · try --offline"
    assert "TypeError: expected token" in note["why"] and "--offline" in note["why"]
    assert explain_idle(tracker(bot, "MyBot.forgotten"), **facts(tmp_path)) is None


def test_logging_in_offline_and_looptui_loops_get_the_fitting_reason(tmp_path):
    bot = tmp_path / "bot.py"
    bot.write_text(BOT)
    presence = tracker(bot, "MyBot.presence")
    running = explain_idle(presence, **facts(tmp_path, main_state="running"))
    assert running is not None and "waits for the client" in running["reason"]
    for quiet in (facts(tmp_path, offline=True), facts(tmp_path, main_state=None)):
        note = explain_idle(presence, **quiet)
        assert note is not None and note["reason"] == "not started: bot.py:6 has not run"
        assert "--offline" not in note["why"]
    own = explain_idle(tracker(bot, "MyBot.presence", source="looptui"), **facts(tmp_path))
    assert own is not None and "--offline" not in own["reason"]


def test_the_watch_keeps_the_note_while_idle_and_drops_it_once_started(tmp_path):
    bot = tmp_path / "bot.py"
    bot.write_text(BOT)
    presence = tracker(bot, "MyBot.presence")
    watch = WaitingWatch(lambda: facts(tmp_path))
    watch.check([presence])
    assert presence.notes["idle"]["start"] == "bot.py:6"
    version = presence.version
    watch.check([presence])
    assert presence.version == version  # unchanged note: no redraw
    bot.write_text(BOT.replace("self.presence.start()", "pass"))
    os.utime(bot, (1, 1))  # a new modification time, whatever the clock's resolution
    watch.check([presence])
    assert "idle" not in presence.notes and presence.version > version
    bot.write_text(BOT)
    os.utime(bot, (2, 2))
    watch.check([presence])
    presence.state = LoopState.SLEEPING
    watch.check([presence])
    assert "idle" not in presence.notes
