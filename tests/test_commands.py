"""Commands on one loop through the session layer: what is done, what is refused and why.

The same rules answer the TUI's keys and (over a socket) a remote client, so they are
tested here on their own, with real looptui loops where behaviour matters and with
:class:`ui_fakes.FakeSession` trackers where only the refusal logic does.
"""

from __future__ import annotations

import asyncio

from looptui import loop
from looptui.core.states import LoopState
from looptui.session.commands import is_paused, run_command
from looptui.session.interface import COMMANDS, Reply

from ui_fakes import FakeSession, frozen_time


def test_every_command_on_a_sleeping_loop_is_done():
    with frozen_time():
        session = FakeSession()
        session.add("poll")
        for command, value in [("pause", None), ("resume", None), ("trigger", None),
                               ("interval", ("seconds", 90.0)), ("restart", None),
                               ("stop", None)]:
            reply = asyncio.run(session.command("poll", command, value))
            assert reply.ok, reply
        assert session.controls["poll"].actions == [
            "pause", "resume", "trigger", "change_interval", "restart", "stop"]
        assert asyncio.run(session.command("poll", "restart")).text == "poll: started"


def test_refusals_say_why_and_change_nothing():
    with frozen_time():
        session = FakeSession()
        session.add("daily", reasons={"pause": "nextcord cannot pause a time= loop"})
        session.add("ended", state=LoopState.FAILED)
        reply = run_command(session.registry.get("daily"), "pause")
        assert reply == Reply(False, "daily: cannot pause: nextcord cannot pause a time= loop",
                              "warning", "nextcord cannot pause a time= loop")
        reply = run_command(session.registry.get("ended"), "stop")
        assert not reply.ok and reply.text == "ended is failed: nothing to stop (r starts it)"
        assert run_command(None, "stop", loop="gone").text == "gone: no such loop"
        assert not run_command(session.registry.get("daily"), "explode").ok
        assert session.controls["daily"].calls == [] and session.controls["ended"].calls == []


def test_a_loop_that_raises_is_an_error_reply_with_the_reason():
    with frozen_time():
        session = FakeSession()
        session.add("poll")
        reply = run_command(session.registry.get("poll"), "interval", ("times", []))
        assert reply.severity == "error" and not reply.ok
        assert reply.reason == "time parameter must not be an empty sequence"
        bad = run_command(session.registry.get("poll"), "interval", "30s")
        assert not bad.ok and "give ('seconds', number)" in bad.reason


def test_real_loop_pause_resume_and_stop():
    runs: list[int] = []

    async def main() -> list[str]:
        @loop(seconds=0.01, name="tick")
        async def tick():
            runs.append(1)

        tick.start()
        while not runs:
            await asyncio.sleep(0)
        tracker = tick.tracker
        texts = [run_command(tracker, "pause").text]
        assert is_paused(tracker)
        texts.append(run_command(tracker, "resume").text)
        assert not is_paused(tracker)
        texts.append(run_command(tracker, "stop").text)
        await asyncio.wait_for(tick.get_task(), 5)
        assert tracker.state is LoopState.STOPPED
        return texts

    texts = asyncio.run(main())
    assert texts[:2] == ["tick: paused", "tick: resumed"]
    assert texts[2] in ("tick: stopped", "tick: stopping after the current iteration")


def test_the_command_names_are_the_contract():
    assert COMMANDS == ("start", "stop", "cancel", "restart", "interval", "trigger",
                        "pause", "resume")
