"""looptui's showcase: one file, most of the states a loop can be in, within seconds.

Run it with::

    looptui examples/demo.py

What to look at (everything below happens in the first five seconds or so):

==================  ==============================================================
``heartbeat``       fast loop (every 0.5 s): flips between sleeping and running
``render_report``   slow body (1.5 s of work every 2 s): mostly running
``warm_up``         ``count=4``: ends finished, Iter shows 4/4
``parse_prices``    raises ``ValueError`` on its third run: failed, with a traceback
``fetch_weather``   network errors with ``reconnect=True``: retrying, then recovers
``send_digest``     calls ``stop()`` on itself after three runs: stopped
``sync_inbox``      calls ``pause()`` on itself once the inbox is empty: paused
``office_hours``    ``time=`` three times a day in Paris: sleeping, Next counts down
``Shard.ping``      a loop in a class body: one loop per instance (two shards)
==================  ==============================================================

Every loop prints a little. Its output is captured and kept with the loop: select a
row and press enter for the details (traceback, history, output), ``l`` for the log pane,
``p`` to resume ``sync_inbox``, ``r`` to restart a stopped or failed loop.
"""

import asyncio
import datetime
from zoneinfo import ZoneInfo

from looptui import loop


@loop(seconds=0.5)
async def heartbeat():
    """Fast and cheap."""
    if heartbeat.current_loop % 10 == 0:
        print(f"♥ {heartbeat.current_loop}")


@loop(seconds=2)
async def render_report():
    """Slow: the body takes most of the interval."""
    print("rendering report...")
    await asyncio.sleep(1.5)
    print("report ready")


@loop(seconds=0.5, count=4)
async def warm_up():
    """Runs four times, then it is finished."""
    print(f"warming up {warm_up.current_loop + 1}/4")


PRICES = ["101.5", "99.0", "n/a"]


def parse_price(raw: str) -> float:
    return float(raw)


@loop(seconds=1)
async def parse_prices():
    """The third price is malformed and nothing catches the error: failed."""
    price = parse_price(PRICES[parse_prices.current_loop % len(PRICES)])
    print(f"price {price}")


weather_attempts = 0


@loop(seconds=1, reconnect=True)
async def fetch_weather():
    """Attempts 2 to 4 fail with network errors; each is retried after a backoff."""
    global weather_attempts
    weather_attempts += 1
    await asyncio.sleep(0.2)
    if weather_attempts in (2, 4):
        raise ConnectionResetError(104, "Connection reset by peer")
    if weather_attempts == 3:
        raise asyncio.TimeoutError("weather service did not answer")
    print(f"weather: 18°C (attempt {weather_attempts})")


@loop(seconds=1)
async def send_digest():
    """Stops itself after the third digest."""
    print(f"digest #{send_digest.current_loop + 1} sent")
    if send_digest.current_loop == 2:
        send_digest.stop()


inbox = ["welcome!", "build passed"]


@loop(seconds=1)
async def sync_inbox():
    """Handles one message per run; pauses itself when there is nothing left."""
    if inbox:
        print(f"synced: {inbox.pop(0)}")
    else:
        print("inbox empty: pausing")
        sync_inbox.pause()


PARIS = ZoneInfo("Europe/Paris")


@loop(time=[datetime.time(9, tzinfo=PARIS), datetime.time(13, tzinfo=PARIS),
            datetime.time(18, tzinfo=PARIS)])
async def office_hours():
    """Three times a day, Paris time."""
    print(f"office hours at {datetime.datetime.now(PARIS):%H:%M}")


class Shard:
    """Each instance gets its own copy of the loop, started in ``__init__``."""

    def __init__(self, shard_id: int, latency_ms: int) -> None:
        self.shard_id = shard_id
        self.latency_ms = latency_ms
        self.ping.start()

    @loop(seconds=2)
    async def ping(self):
        wobble = 3 * (self.ping.current_loop % 5)
        print(f"shard {self.shard_id}: {self.latency_ms + wobble} ms")


shards = [Shard(0, latency_ms=42), Shard(1, latency_ms=67)]
