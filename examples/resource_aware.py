"""Slow loops down under load and speed them back up with ``change_interval``.

Miniature of the seed's ``ResourceAwareScheduler``: ``resource_monitor`` reads the CPU
load and, above 80 %, stretches the intervals of the non-critical loops
(``data_backup``, ``statistics_update``); below 30 % it restores them. The "CPU load"
is a fixed 12-second curve (calm, a spike, calm again), so within a few seconds you see
the Every column of both loops jump from 1s/2s to 3s/6s and, later, come back.

Run it with::

    looptui examples/resource_aware.py
"""

import asyncio
import itertools

from looptui import tasks

# One value per second: calm, a spike above 80 %, calm again, then around again.
LOAD_CURVE = [0.20, 0.25, 0.50, 0.85, 0.90, 0.95, 0.90, 0.60, 0.35, 0.25, 0.20, 0.20]


class ResourceAwareScheduler:
    def __init__(self) -> None:
        self.high_load_threshold = 0.8
        self.low_load_threshold = 0.3
        self.reduced = False
        self._load = itertools.cycle(LOAD_CURVE)

    async def get_system_resources(self) -> dict:
        await asyncio.sleep(0.05)
        return {"cpu_percent": next(self._load)}

    @tasks.loop(seconds=1)
    async def resource_monitor(self):
        """Watch the load and adjust the other loops' intervals."""
        resources = await self.get_system_resources()
        cpu = resources["cpu_percent"]
        print(f"cpu {cpu:.0%}")
        if cpu > self.high_load_threshold and not self.reduced:
            await self.reduce_task_frequency()
        elif cpu < self.low_load_threshold and self.reduced:
            await self.restore_task_frequency()

    async def reduce_task_frequency(self) -> None:
        """High load: run the non-critical loops three times less often."""
        print("high load: backing off")
        self.reduced = True
        if self.data_backup.is_running():
            self.data_backup.change_interval(seconds=3)
        if self.statistics_update.is_running():
            self.statistics_update.change_interval(seconds=6)

    async def restore_task_frequency(self) -> None:
        """Load is low again: back to the normal intervals."""
        print("load back to normal")
        self.reduced = False
        if self.data_backup.is_running():
            self.data_backup.change_interval(seconds=1)
        if self.statistics_update.is_running():
            self.statistics_update.change_interval(seconds=2)

    @tasks.loop(seconds=1)
    async def data_backup(self):
        await asyncio.sleep(0.3)  # pretend to copy some data
        print(f"backup #{self.data_backup.current_loop + 1}")

    @tasks.loop(seconds=2)
    async def statistics_update(self):
        await asyncio.sleep(0.2)  # pretend to crunch numbers
        print(f"statistics #{self.statistics_update.current_loop + 1}")

    def start_all(self) -> None:
        self.resource_monitor.start()
        self.data_backup.start()
        self.statistics_update.start()


scheduler = ResourceAwareScheduler()
scheduler.start_all()
