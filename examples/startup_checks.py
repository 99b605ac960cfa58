"""Loops that run a fixed number of times (``count=``) and then finish.

Miniature of the seed's ``startup_checks`` (``@tasks.loop(seconds=10, count=5)`` printing
"Startup check n/5" with ``current_loop + 1``). Here:

* ``startup_checks`` — 5 checks, one per second; the fake database answers only from the
  third check on, so the first lines say it failed. ``after_loop`` prints a summary.
* ``warm_cache`` — ``count=3`` every half second; its ``before_loop`` waits (state
  ``waiting``) until ``startup_checks``'s ``after_loop`` says the checks are over.
* ``announce_online`` — ``count=1``: the usual "run once at startup" idiom.

All three end in the ``finished`` state, with ``Iter`` showing ``5/5``, ``3/3`` and ``1/1``.

Run it with::

    looptui examples/startup_checks.py
"""

import asyncio

from looptui import tasks

results: list[bool] = []
checks_done = asyncio.Event()


async def check_database_connection(attempt: int) -> bool:
    await asyncio.sleep(0.1)
    return attempt >= 3  # the database container takes a moment to come up


async def check_external_apis() -> bool:
    await asyncio.sleep(0.1)
    return True


@tasks.loop(seconds=1, count=5)
async def startup_checks():
    """Check the database and external APIs five times, one second apart."""
    check_number = startup_checks.current_loop + 1
    print(f"Startup check {check_number}/5")

    database_ok = await check_database_connection(check_number)
    print("✅ Database connection OK" if database_ok else "❌ Database connection failed")
    apis_ok = await check_external_apis()
    print("✅ External APIs OK" if apis_ok else "❌ External API check failed")
    results.append(database_ok and apis_ok)


@startup_checks.after_loop
async def report_startup():
    """Runs once the count is reached (or the loop is stopped or fails)."""
    print(f"startup checks done: {sum(results)}/{len(results)} passed")
    checks_done.set()


@tasks.loop(seconds=0.5, count=3)
async def warm_cache():
    """Preload three cache shards after the startup checks."""
    print(f"warming cache shard {warm_cache.current_loop + 1}/3")
    await asyncio.sleep(0.2)


@warm_cache.before_loop
async def wait_for_checks():
    await checks_done.wait()


@tasks.loop(count=1)
async def announce_online():
    """Say hello once; with ``count=1`` no interval is needed."""
    print("bot online")


if __name__ == "__main__":
    # Without looptui: start the loops yourself; everything finishes within ~7 seconds.
    async def main() -> None:
        startup_checks.start()
        warm_cache.start()
        announce_online.start()
        await asyncio.sleep(8)

    asyncio.run(main())
