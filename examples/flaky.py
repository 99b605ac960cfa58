"""Network-style errors retried with exponential backoff (``reconnect=True``).

With ``reconnect=True`` (the default), an ``OSError`` or ``asyncio.TimeoutError`` raised
by the body does not end the loop: the same iteration is tried again after a backoff
delay, random in ``[0, 2**n)`` seconds for the n-th retry (discord.py's algorithm; the
ceiling keeps growing until the loop has been quiet for about half an hour). While it
waits the loop shows ``retrying``, and every retried exception is recorded with its
traceback (outcome ``retried`` in the history).

The failures follow fixed attempt numbers, not chance, and there are only a few of them,
because each retry waits longer than the last:

* ``fetch_feed`` — attempts 3 and 4 fail (connection reset, then a timeout), attempt 8
  fails once more; otherwise it fetches once a second.
* ``push_metrics`` — raises its own ``RateLimited``; ``add_exception_type(RateLimited)``
  puts it on the retry list next to the network errors.
* ``strict_fetch`` — same kind of ``OSError`` but ``reconnect=False``: no retry, the loop
  ends ``failed``.

After a long backoff, watch ``fetch_feed`` run the iterations it missed back to back:
like discord.py, the loop keeps to its fixed one-second grid and catches up.

Run it with::

    looptui examples/flaky.py
"""

import asyncio
import errno

from looptui import tasks

attempts = {"fetch_feed": 0, "push_metrics": 0, "strict_fetch": 0}


class RateLimited(Exception):
    """The metrics service asked us to slow down."""


async def fake_request(name: str, failures: dict[int, BaseException]) -> int:
    """Count one attempt for *name*; raise the scheduled failure for this attempt, if any."""
    attempts[name] += 1
    attempt = attempts[name]
    await asyncio.sleep(0.1)
    if attempt in failures:
        raise failures[attempt]
    return attempt


@tasks.loop(seconds=1, reconnect=True)
async def fetch_feed():
    attempt = await fake_request("fetch_feed", {
        3: ConnectionResetError(errno.ECONNRESET, "Connection reset by peer"),
        4: asyncio.TimeoutError("feed server did not answer within 5 s"),
        8: OSError(errno.EHOSTUNREACH, "No route to host"),
    })
    print(f"feed fetched (iteration {fetch_feed.current_loop + 1}, attempt {attempt})")


@tasks.loop(seconds=1.5)
async def push_metrics():
    attempt = await fake_request("push_metrics", {
        2: RateLimited("429 Too Many Requests: retry later"),
        5: RateLimited("429 Too Many Requests: retry later"),
    })
    print(f"metrics pushed (attempt {attempt})")


push_metrics.add_exception_type(RateLimited)


@tasks.loop(seconds=1, reconnect=False)
async def strict_fetch():
    attempt = await fake_request("strict_fetch", {
        3: ConnectionResetError(errno.ECONNRESET, "Connection reset by peer"),
    })
    print(f"strict fetch ok (attempt {attempt})")


if __name__ == "__main__":
    # Without looptui too (python examples/flaky.py): the loops run until Ctrl+C.
    async def main() -> None:
        for each in (fetch_feed, push_metrics, strict_fetch):
            each.start()
        await asyncio.Event().wait()

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
