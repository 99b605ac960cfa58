"""Back up a small data file every few seconds, keeping only the newest copies.

Miniature of the seed's ``backup_data`` (``@tasks.loop(minutes=5)`` that prints a start and
an end line around ``backup_user_data()`` / ``backup_guild_settings()``). Here the "data"
is two small JSON files in a temporary directory that a second loop keeps changing; the
backup loop copies them every 3 seconds into ``backups/`` and keeps the last three
snapshots, so the directory never grows. Everything lives under one ``tempfile``
directory, removed when the process exits.

Run it with::

    looptui examples/backup.py
"""

import asyncio
import atexit
import datetime
import json
import shutil
import tempfile
from pathlib import Path

from looptui import tasks

DATA_DIR = Path(tempfile.mkdtemp(prefix="looptui-backup-"))
BACKUP_DIR = DATA_DIR / "backups"
KEEP = 3
atexit.register(shutil.rmtree, DATA_DIR, ignore_errors=True)

USERS = DATA_DIR / "users.json"
GUILD_SETTINGS = DATA_DIR / "guild_settings.json"


def _write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=2))


@tasks.loop(seconds=1)
async def record_activity():
    """Stand-in for the bot's normal work: the data files change every second."""
    n = record_activity.current_loop
    _write_json(USERS, {"active_users": 10 + n % 7, "messages": 100 + 3 * n})
    _write_json(GUILD_SETTINGS, {"prefix": "!", "welcome_channel": 1234, "revision": n})


def _copy_snapshot(stamp: str) -> Path:
    """Copy the data files into a new snapshot folder and prune old snapshots."""
    target = BACKUP_DIR / stamp
    target.mkdir(parents=True, exist_ok=True)
    for source in (USERS, GUILD_SETTINGS):
        if source.exists():
            shutil.copy2(source, target / source.name)
    for old in sorted(BACKUP_DIR.iterdir())[:-KEEP]:
        shutil.rmtree(old, ignore_errors=True)
    return target


@tasks.loop(seconds=3)
async def backup_data():
    """Snapshot the data files (file work runs in a thread so the event loop stays free)."""
    now = datetime.datetime.now()
    print(f"[{now:%H:%M:%S}] Starting data backup...")
    stamp = f"{now:%Y%m%d-%H%M%S-%f}"
    target = await asyncio.to_thread(_copy_snapshot, stamp)
    kept = len(list(BACKUP_DIR.iterdir()))
    print(f"[{datetime.datetime.now():%H:%M:%S}] Backup completed: {target.name} ({kept} kept)")


@backup_data.before_loop
async def wait_for_first_data():
    """Give the data a moment to exist before the first snapshot."""
    await asyncio.sleep(0.5)


if __name__ == "__main__":
    # Without looptui too (python examples/backup.py): the loops run until Ctrl+C.
    async def main() -> None:
        record_activity.start()
        backup_data.start()
        await asyncio.Event().wait()

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
