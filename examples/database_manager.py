"""A class whose ``__init__`` starts its own loops, with before/after/error handlers.

Miniature of the seed's ``DatabaseManager``:

* ``connection_check`` (seed: every minute, here every second) pings the database. A
  lost connection is handled inside the body ("connection lost" / "restored"). A
  ``CriticalDatabaseError`` is not: it ends the iteration, the ``error`` handler runs and
  calls ``restart()``, and the loop comes back through ``before_loop`` again.
* ``before_loop`` waits for the bot to be ready (state ``waiting`` for the first second).
* ``after_loop`` reports how the run ended (``failed()`` tells an error from a stop).
* ``maintenance_task`` (seed: every 24 hours, here every 5 seconds) logs and re-raises
  any failure, so a broken maintenance would show as ``failed`` with its traceback.

The manager is created at module level and its ``__init__`` calls ``.start()``: looptui
imports this file inside a running event loop, so that works (plain discord.py would
say "no running event loop" here). The fake database fails on a fixed schedule: the
connection drops on pings 3-4 of every 7 and every 7th ping is critical, so a restart
happens about 7 seconds in.

Run it with::

    looptui examples/database_manager.py
"""

import asyncio
import time

from looptui import tasks


class CriticalDatabaseError(Exception):
    """A failure the connection check cannot handle by itself."""


class FakeBot:
    """Stand-in for a bot that becomes ready one second after it is created."""

    def __init__(self, ready_after: float = 1.0) -> None:
        self._ready_at = time.monotonic() + ready_after

    async def wait_until_ready(self) -> None:
        await asyncio.sleep(max(0.0, self._ready_at - time.monotonic()))

    async def notify_admins(self, text: str) -> None:
        print(f"[#admins] {text}")


class FakeDatabase:
    """A database whose connection misbehaves on a fixed schedule of pings."""

    def __init__(self) -> None:
        self.pings = 0

    async def ping(self) -> None:
        self.pings += 1
        await asyncio.sleep(0.05)
        if self.pings % 7 == 0:
            raise CriticalDatabaseError(f"connection pool corrupted (ping {self.pings})")
        if self.pings % 7 in (3, 4):
            raise ConnectionError("server closed the connection unexpectedly")

    async def optimize_tables(self) -> None:
        await asyncio.sleep(0.3)

    async def clean_old_records(self) -> int:
        await asyncio.sleep(0.2)
        return 12

    async def update_statistics(self) -> None:
        await asyncio.sleep(0.1)


class DatabaseManager:
    def __init__(self, bot: FakeBot, db: FakeDatabase) -> None:
        self.bot = bot
        self.db = db
        self.is_healthy = True
        self.restarts = 0
        self.connection_check.start()
        self.maintenance_task.start()

    async def test_connection(self) -> None:
        await self.db.ping()

    @tasks.loop(seconds=1)
    async def connection_check(self):
        """Monitor database connection health."""
        try:
            await self.test_connection()
            if not self.is_healthy:
                print("Database connection restored!")
                self.is_healthy = True
        except ConnectionError as e:
            # Only connection drops are handled here (the seed catches every Exception,
            # which would leave nothing for the error handler below).
            if self.is_healthy:
                print(f"Database connection lost: {e}")
                self.is_healthy = False
                await self.bot.notify_admins("🚨 Database connection lost!")

    @connection_check.before_loop
    async def before_connection_check(self):
        """Wait for the bot to be ready before starting connection checks."""
        await self.bot.wait_until_ready()
        self.is_healthy = True
        print("Starting database connection monitoring...")

    @connection_check.after_loop
    async def after_connection_check(self):
        how = "an error" if self.connection_check.failed() else "a stop"
        print(f"Connection monitoring ended by {how} (restarts so far: {self.restarts})")

    @connection_check.error
    async def connection_check_error(self, exception):
        """Handle errors that escaped the loop body."""
        print(f"Error in connection check: {exception}")
        if isinstance(exception, CriticalDatabaseError):
            self.restarts += 1
            print("Critical database error - restarting connection check...")
            self.connection_check.restart()

    @tasks.loop(seconds=5)
    async def maintenance_task(self):
        """Periodic database maintenance."""
        print("Starting database maintenance...")
        try:
            await self.db.optimize_tables()
            removed = await self.db.clean_old_records()
            await self.db.update_statistics()
            print(f"Database maintenance completed successfully ({removed} old records removed)")
        except Exception as e:
            print(f"Maintenance task failed: {e}")
            raise

    @maintenance_task.before_loop
    async def before_maintenance(self):
        await self.bot.wait_until_ready()


bot = FakeBot()
db_manager = DatabaseManager(bot, FakeDatabase())
