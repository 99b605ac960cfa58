"""Formatting helpers of the monitor: exact text for durations, countdowns and ages."""

from __future__ import annotations

import datetime
import subprocess
import sys

import pytest

from looptui.ui import format as fmt

UTC = datetime.timezone.utc


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(30, "30s"), (300, "5m"), (5400, "1h30m"), (7200, "2h"), (90, "1m30s"), (1.5, "1.5s"),
     (0, "0s"), (0.25, "0.25s"), (2 * 86400 + 3600, "2d1h"), (61.5, "1m1.5s")],
)
def test_interval(seconds: float, text: str) -> None:
    assert fmt.interval(seconds) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, "—"), (0, "0s"), (42.9, "42s"), (60, "1m"), (90, "1m30s"), (3600, "1h"),
     (5400, "1h30m"), (86400 * 3 + 3600 * 4, "3d4h"), (-5, "0s")],
)
def test_duration(seconds: float | None, text: str) -> None:
    assert fmt.duration(seconds) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, "—"), (0.000085, "85µs"), (0.0023, "2.3ms"), (0.035, "35ms"), (1.25, "1.25s"),
     (42, "42.0s"), (125, "2m05s"), (-1, "0µs")],
)
def test_took(seconds: float | None, text: str) -> None:
    assert fmt.took(seconds) == text


def test_countdown() -> None:
    assert fmt.countdown(None, 100) == "—"
    assert fmt.countdown(100, 100) == "due"
    assert fmt.countdown(99, 100) == "due"
    assert fmt.countdown(100.4, 100) == "<1s"
    assert fmt.countdown(104.2, 100) == "5s"  # rounded up: never shows 0 before it is due
    assert fmt.countdown(190, 100) == "1m30s"


def test_ago() -> None:
    assert fmt.ago(None, 100) == "—"
    assert fmt.ago(99.5, 100) == "now"
    assert fmt.ago(88, 100) == "12s ago"
    assert fmt.ago(100 - 301, 100) == "5m ago"
    assert fmt.ago(100 - 7300, 100) == "2h ago"
    assert fmt.ago(100 - 3 * 86400, 100) == "3d ago"


def test_clock_time_shows_as_much_date_as_needed() -> None:
    now = datetime.datetime(2026, 3, 14, 12, 0, tzinfo=UTC).timestamp()
    assert fmt.clock_time(now + 5, now, UTC) == "12:00:05"
    assert fmt.clock_time(now + 86400, now, UTC) == "Sun 12:00:00"
    assert fmt.clock_time(now + 30 * 86400, now, UTC) == "2026-04-13 12:00:00"
    assert fmt.clock_time(now, now, UTC, seconds=False) == "12:00"
    assert fmt.clock_time(None, now, UTC) == "—"


def test_lag_and_iter() -> None:
    assert fmt.lag_ms(0.0004) == "0.4 ms"
    assert fmt.lag_ms(0.012) == "12 ms"
    assert fmt.lag_ms(1.25) == "1,250 ms"
    assert fmt.lag_ms(None) == "— ms"
    assert fmt.iter_text(3, None) == "3"
    assert fmt.iter_text(3, 10) == "3/10"


def test_pure_helpers_do_not_import_textual() -> None:
    code = (
        "import sys, looptui.ui.format, looptui.ui.interval_parse, looptui.ui; "
        "assert 'textual' not in sys.modules, 'textual imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_infinite_and_huge_times_read_as_never_instead_of_crashing():
    """A loop told to wait forever (``change_interval`` of a library that allows it, or an
    attached program's mirror) must not take the table down with an OverflowError."""
    import math

    from looptui.ui import format as fmt

    for far in (math.inf, 1e308):
        assert fmt.countdown(far, 0.0) == "never"
        assert fmt.clock_time(far, 0.0) == "never"
        assert fmt.duration(far) == "never"
    assert fmt.countdown(math.nan, 0.0) == "—" and fmt.ago(math.inf, 0.0) == "—"
    assert fmt.countdown(90.0, 0.0) == "1m30s"
    assert fmt.interval(1e300) == "1e+300s"  # the Every column: not a wall of digits
