"""Time zones of ``time=`` slots: the interval dialog's ``09:00 Europe/Paris`` works on every
library, and a pytz zone attached without ``localize`` (Local Mean Time) is flagged."""

from __future__ import annotations

import datetime
import sys
import time
import zoneinfo
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "foreign"))
from foreign_support import LIBS, hooked, run, tasks_of, until  # noqa: E402

from looptui import adapters  # noqa: E402
from looptui import loop as looptui_loop  # noqa: E402
from looptui.session.commands import run_command  # noqa: E402
from looptui.ui.interval_parse import parse_interval  # noqa: E402

PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def next_nine_in_paris() -> float:
    """Epoch of the next 09:00 wall-clock time in Paris."""
    now = datetime.datetime.now(PARIS)
    slot = now.replace(hour=9, minute=0, second=0, microsecond=0)
    if slot <= now:
        slot = datetime.datetime.combine(now.date() + datetime.timedelta(days=1),
                                         datetime.time(9), tzinfo=PARIS)
    return slot.timestamp()


def paris_offset_text() -> str:
    offset = datetime.datetime.fromtimestamp(next_nine_in_paris(), PARIS).utcoffset()
    assert offset is not None
    return f"UTC+{int(offset.total_seconds() // 3600):02d}:00"


@pytest.mark.parametrize("lib", [*LIBS, "looptui"])
def test_the_dialogs_own_example_works_on_every_library(lib: str) -> None:
    async def main() -> Any:
        if lib == "looptui":
            job = looptui_loop(seconds=30)(body)
            tracker = job.tracker
        else:
            job = tasks_of(lib).loop(seconds=30)(body)
            tracker = adapters.tracker_for(job)
        job.start()
        await until(lambda: tracker.state == "sleeping" and tracker.iterations == 1)
        reply = run_command(tracker, "interval", parse_interval("09:00 Europe/Paris"))
        await until(lambda: tracker.next_run is not None and tracker.next_run > time.time() + 60,
                    what="the next run moved to 09:00")
        seen = (reply, tracker.schedule, tracker.next_run, job.get_task().done())
        job.cancel()
        return seen

    async def body() -> None:
        pass

    with hooked():
        reply, schedule, next_run, ended = run(main)
    assert reply.ok, reply.text
    assert not ended
    assert abs(next_run - next_nine_in_paris()) < 1.0
    if lib in ("discord", "looptui"):  # named zones taken as they are: DST followed
        assert schedule == "09:00 Europe/Paris"
        assert reply.text.endswith("interval changed to 09:00 Europe/Paris")
    else:  # converted to the fixed offset of the next 09:00, and said so
        offset = paris_offset_text()
        assert schedule == f"09:00 {offset}"
        assert f"set Europe/Paris as {offset}" in reply.text
        assert "daylight-saving" in reply.text


@pytest.mark.parametrize("lib", LIBS)
def test_a_pytz_zone_without_localize_is_flagged_with_the_fix(lib: str) -> None:
    pytz = pytest.importorskip("pytz")
    lmt = datetime.time(9, tzinfo=pytz.timezone("Europe/Paris"))

    async def main() -> Any:
        job = tasks_of(lib).loop(time=[lmt])(body)
        tracker = adapters.tracker_for(job)
        flagged = tracker.notes.get("time_zone")
        fixed = datetime.time(9, tzinfo=datetime.timezone(datetime.timedelta(hours=1)))
        job.change_interval(time=[fixed])
        return flagged, tracker.notes.get("time_zone")

    async def body() -> None:
        pass

    with hooked():
        flagged, after_fix = run(main)
    assert flagged is not None and "likely bug" in flagged
    assert "UTC+00:09" in flagged and "Local Mean Time" in flagged
    assert "pytz.timezone('Europe/Paris')" in flagged
    if lib == "discord":
        assert "zoneinfo.ZoneInfo('Europe/Paris')" in flagged
    else:  # zoneinfo zones do not work there: the fix is a fixed offset
        assert "datetime.timezone(" in flagged
    assert after_fix is None


def test_a_localized_or_named_zone_is_not_flagged() -> None:
    pytz = pytest.importorskip("pytz")
    tasks = tasks_of("discord")
    localized = pytz.timezone("Europe/Paris").localize(
        datetime.datetime(2024, 1, 15, 9)).timetz()

    async def main() -> Any:
        jobs = [tasks.loop(time=[t])(body) for t in
                (localized, datetime.time(9, tzinfo=PARIS), datetime.time(9, tzinfo=pytz.utc))]
        return [adapters.tracker_for(j).notes.get("time_zone") for j in jobs]

    async def body() -> None:
        pass

    with hooked():
        assert run(main) == [None, None, None]
