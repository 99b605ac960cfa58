"""What the change-interval dialog accepts, and the reasons it gives for what it refuses."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest

from looptui.ui.interval_parse import parse_interval

UTC = datetime.timezone.utc
PARIS = zoneinfo.ZoneInfo("Europe/Paris")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30", 30.0), ("30s", 30.0), ("1.5m", 90.0), ("1h30m", 5400.0), ("2h", 7200.0),
     (" 45 ", 45.0), ("0.5", 0.5), ("500ms", 0.5), ("1h 30m", 5400.0), ("1d", 86400.0),
     ("0", 0.0), ("10 sec", 10.0), ("2 minutes", 120.0)],
)
def test_relative_intervals(text: str, seconds: float) -> None:
    assert parse_interval(text) == ("seconds", seconds)


def test_one_time_is_utc() -> None:
    assert parse_interval("09:00") == ("times", [datetime.time(9, 0, tzinfo=UTC)])


def test_several_times() -> None:
    assert parse_interval("09:00, 15:00") == (
        "times", [datetime.time(9, 0, tzinfo=UTC), datetime.time(15, 0, tzinfo=UTC)]
    )


def test_time_with_zone() -> None:
    kind, times = parse_interval("09:00 Europe/Paris")
    assert kind == "times"
    assert times == [datetime.time(9, 0, tzinfo=PARIS)]
    assert times[0].tzinfo is PARIS


def test_zone_after_the_last_time_applies_to_all() -> None:
    kind, times = parse_interval("09:00, 15:00 Europe/Paris")
    assert [t.tzinfo for t in times] == [PARIS, PARIS]


def test_each_time_may_have_its_own_zone() -> None:
    kind, times = parse_interval("09:00 Europe/Paris, 18:00 UTC")
    assert [(t.hour, t.tzinfo) for t in times] == [(9, PARIS), (18, UTC)]


def test_seconds_and_duplicates() -> None:
    assert parse_interval("9:00:30, 09:00:30") == ("times", [datetime.time(9, 0, 30, tzinfo=UTC)])


@pytest.mark.parametrize(
    ("text", "reason"),
    [("", "type an interval"), ("   ", "type an interval"), ("abc", "not an interval"),
     ("-5", "negative"), ("-5s", "negative"), ("5x", "unknown unit 'x'"),
     ("1h1h", "given twice"), ("nan", "finite"), ("inf", "finite"),
     ("400d", "longer than a year"), ("25:00", "hour must be 0–23"),
     ("09:60", "minutes must be 0–59"), ("09:00:61", "seconds must be 0–59"),
     ("09:00 Mars/Olympus", "unknown time zone 'Mars/Olympus'"),
     ("09:00,,15:00", "empty time"), ("9am", "unknown unit 'am'"),
     ("09:00 Europe/Paris extra", "not a time of day"), ("9:5", "not a time of day"),
     ("09:00 ../../etc/passwd", "unknown time zone")],
)
def test_refusals_say_why(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=None) as info:
        parse_interval(text)
    assert reason in str(info.value)
