"""Benchmark target: N threads printing without pause, and a 50 ms loop whose lateness counts.

``PRINTING_THREADS`` (default 1) threads print short lines as fast as they can while a
``looptui.loop`` runs every 50 ms. Run under ``looptui --headless``, or bare with
``python printing_threads.py SECONDS`` (the same loop and threads with no monitor:
prints the lateness of each iteration, one number a line, on stderr).
"""

import asyncio
import os
import sys
import threading

from looptui import loop

THREADS = int(os.environ.get("PRINTING_THREADS", "1"))


def chatter(n: int) -> None:
    i = 0
    while True:
        print(f"thread {n} line {i}")
        i += 1


@loop(seconds=0.05)
async def beat():
    pass


for number in range(THREADS):
    threading.Thread(target=chatter, args=(number,), daemon=True).start()


if __name__ == "__main__":
    async def bare(seconds: float) -> None:
        beat.start()
        await asyncio.sleep(seconds)
        beat.cancel()
        for record in beat.history:
            sys.stderr.write(f"{record.lateness}\n")
        sys.stderr.flush()
        os._exit(0)  # the printing threads never end

    asyncio.run(bare(float(sys.argv[1])))
