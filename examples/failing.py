"""A loop that dies of an unhandled exception, and what looptui shows about it.

* ``parse_feed`` parses one price per second; the third entry is ``"n/a"``, so
  ``float()`` raises ``ValueError`` two calls deep. Nothing catches it: the loop ends
  ``failed``, the Last exception column shows ``ValueError: could not convert string to
  float: 'n/a'`` and the details view has the full traceback, down to the line in
  ``parse_price``. The default error handler also prints the traceback (to the loop's
  captured stderr).
* ``load_settings`` fails before its first iteration: its ``before_loop`` raises
  ``KeyError``. discord.py would end that task without calling any error handler;
  looptui records the exception all the same, so it cannot go unnoticed.
* ``heartbeat`` keeps going next to them: one loop failing does not stop the others.

This is the seed's "unhandled exception" case (``failed()`` becomes true and stays true
until the loop is started again).

Run it with::

    looptui examples/failing.py
"""

import asyncio
import json

from looptui import tasks

FEED = ['{"price": "101.5"}', '{"price": "99.0"}', '{"price": "n/a"}', '{"price": "98.2"}']
SETTINGS = {"channel_id": 1234}


def parse_price(raw: str) -> float:
    data = json.loads(raw)
    return float(data["price"])


@tasks.loop(seconds=1)
async def parse_feed():
    """Parse the next feed entry; the third one is malformed."""
    raw = FEED[parse_feed.current_loop % len(FEED)]
    price = parse_price(raw)
    print(f"price: {price}")


@tasks.loop(seconds=1)
async def load_settings():
    print(f"posting to channel {SETTINGS['channel_id']}")


@load_settings.before_loop
async def check_settings():
    """The API token was never configured."""
    print(f"using token {SETTINGS['api_token'][:4]}...")


@tasks.loop(seconds=1)
async def heartbeat():
    print(f"still alive ({heartbeat.current_loop + 1})")


if __name__ == "__main__":
    # Without looptui too (python examples/failing.py): the loops run until Ctrl+C.
    async def main() -> None:
        for each in (parse_feed, load_settings, heartbeat):
            each.start()
        await asyncio.sleep(4)
        print("parse_feed failed:", parse_feed.failed())
        await asyncio.Event().wait()

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
