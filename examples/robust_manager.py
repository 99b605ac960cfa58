"""Counting errors and giving up after N: two ways, two different endings.

Miniature of the seed's ``RobustTaskManager`` (``error_counts``, ``max_retries = 3``, an
alert and ``stop()`` once a task has failed too often). Both loops here fail on a fixed
schedule, so what you see is the same on every run:

* ``health_monitor`` catches its own errors with ``try/except`` and counts them. Every
  second check fails; at the third error it sends an alert and calls ``stop()``. The loop
  ends ``stopped`` after about 5 seconds; the Errors column stays 0 because no exception
  ever left the body (the handled ones are printed in its output).
* ``api_sync`` lets errors escape to its ``error`` handler, which counts them and calls
  ``restart()`` after a growing delay. The fake API breaks for good after three syncs,
  so the third error in a row is left unhandled and the loop ends ``failed`` with that
  traceback, about 7 seconds in. (The seed's handler checks ``is_running()`` before
  starting the loop again, but the loop is still running while its error handler runs,
  so it never restarts; ``restart()`` is what works.)

Run it with::

    looptui examples/robust_manager.py
"""

import asyncio

from looptui import tasks


class SyncError(Exception):
    """The external API refused a sync."""


class FakeServices:
    """Health checks and an external API that fail on a fixed schedule."""

    def __init__(self) -> None:
        self.health_checks = 0
        self.syncs = 0

    async def check_health(self) -> float:
        self.health_checks += 1
        await asyncio.sleep(0.1)
        if self.health_checks % 2 == 0:
            raise RuntimeError(f"metrics endpoint returned 503 (check {self.health_checks})")
        return 0.42

    async def sync_user_data(self) -> int:
        self.syncs += 1
        await asyncio.sleep(0.2)
        if self.syncs > 3:
            raise SyncError(f"sync #{self.syncs} rejected: schema version mismatch")
        return 25


class RobustTaskManager:
    def __init__(self, services: FakeServices) -> None:
        self.services = services
        self.error_counts: dict[str, int] = {}
        self.max_retries = 3
        self.retry_delay = 0.5  # seconds, doubled after each error (the seed uses 60)

    @tasks.loop(seconds=1)
    async def health_monitor(self):
        """Monitor health; errors are handled here and counted."""
        try:
            memory_usage = await self.services.check_health()
            print(f"health ok: memory {memory_usage:.0%}")
        except Exception as e:
            await self.handle_task_error("health_monitor", e)
            if self.error_counts["health_monitor"] >= self.max_retries:
                await self.send_alert(
                    f"Health monitor has failed {self.max_retries} times and has been stopped",
                    "critical",
                )
                self.health_monitor.stop()

    @tasks.loop(seconds=1.5)
    async def api_sync(self):
        """Sync with an external API; errors go to the error handler below."""
        synced = await self.services.sync_user_data()
        self.error_counts.pop("api_sync", None)  # a success resets the count
        print(f"api sync ok: {synced} users")

    @api_sync.error
    async def api_sync_error(self, exception):
        """Retry with exponential backoff, up to max_retries errors in a row."""
        error_count = self.error_counts.get("api_sync", 0) + 1
        self.error_counts["api_sync"] = error_count
        print(f"API sync error #{error_count}: {exception}")

        if error_count < self.max_retries:
            delay = self.retry_delay * 2 ** (error_count - 1)
            print(f"Retrying API sync in {delay} seconds...")
            await asyncio.sleep(delay)
            self.api_sync.restart()
        else:
            await self.send_alert(
                "API sync has failed repeatedly and requires manual intervention", "critical"
            )

    async def handle_task_error(self, task_name: str, exception: Exception) -> None:
        self.error_counts[task_name] = self.error_counts.get(task_name, 0) + 1
        print(f"Task {task_name} error #{self.error_counts[task_name]}: {exception}")

    async def send_alert(self, message: str, level: str) -> None:
        print(f"[#alerts] {level.upper()}: {message}")


# The seed starts these from on_ready; here the "bot" is ready as soon as it is imported.
manager = RobustTaskManager(FakeServices())
manager.health_monitor.start()
manager.api_sync.start()
