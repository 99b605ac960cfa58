"""A bot in two shard processes, each running the looptui agent: attach to both at once.

Run:
    python examples/sharded_bot.py 0 &
    python examples/sharded_bot.py 1 &
    looptui attach sharded_bot

``looptui attach sharded_bot`` finds every live process of the program by its name (each
agent's socket is ``looptui-sharded_bot-<pid>.sock`` in ``$XDG_RUNTIME_DIR`` or the temp
dir) and follows a shard that is restarted.

Each shard is a plain ``python`` process (as under systemd or docker) with its own loops;
``looptui attach`` shows both in one table (each loop says its process) and controls
either. Add ``metrics=":946N"`` to ``start()`` to have Prometheus scrape each shard.
"""

import asyncio
import random
import sys

import looptui.agent
from looptui import loop

SHARD = int(sys.argv[1]) if len(sys.argv) > 1 else 0


@loop(seconds=2, name="heartbeat")
async def heartbeat():
    print(f"shard {SHARD} alive")


@loop(seconds=5, name="sync_guilds")
async def sync_guilds():
    await asyncio.sleep(random.uniform(0.05, 0.3))
    if random.random() < 0.2:
        raise ConnectionError(f"shard {SHARD}: gateway hiccup")


async def main():
    looptui.agent.start()
    heartbeat.start()
    sync_guilds.start()
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
