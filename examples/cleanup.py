"""Delete old temporary files on a schedule.

Miniature of the seed's ``cleanup_temp_files`` (``@tasks.loop(hours=1)`` that removes
files in ``./temp/`` older than an hour, ignoring ``OSError``). Here one loop drops a
small file into a ``tempfile`` directory every second, and the cleanup loop runs every
3 seconds and deletes files older than 2 seconds, so you see files come and go. The
directory is removed when the process exits.

Run it with::

    looptui examples/cleanup.py
"""

import asyncio
import atexit
import glob
import os
import shutil
import tempfile
import time

from looptui import tasks

TEMP_DIR = tempfile.mkdtemp(prefix="looptui-temp-")
MAX_AGE = 2.0  # seconds (the seed uses one hour)
atexit.register(shutil.rmtree, TEMP_DIR, ignore_errors=True)


@tasks.loop(seconds=1)
async def make_temp_files():
    """Stand-in for the bot producing temporary files (uploads, renders, ...)."""
    path = os.path.join(TEMP_DIR, f"render-{make_temp_files.current_loop:04d}.tmp")
    with open(path, "w") as f:
        f.write("scratch data\n")


@tasks.loop(seconds=3)
async def cleanup_temp_files():
    """Remove files older than MAX_AGE seconds; a file that vanished is not an error."""
    if not os.path.exists(TEMP_DIR):
        return
    cutoff = time.time() - MAX_AGE
    deleted = 0
    for file_path in sorted(glob.glob(os.path.join(TEMP_DIR, "*"))):
        try:
            if os.path.getmtime(file_path) < cutoff:
                os.remove(file_path)
                deleted += 1
                print(f"Deleted old temp file: {os.path.basename(file_path)}")
        except OSError:
            pass
    left = len(os.listdir(TEMP_DIR))
    print(f"cleanup done: {deleted} deleted, {left} left")


if __name__ == "__main__":
    # Without looptui too (python examples/cleanup.py): the loops run until Ctrl+C.
    async def main() -> None:
        make_temp_files.start()
        cleanup_temp_files.start()
        await asyncio.Event().wait()

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
