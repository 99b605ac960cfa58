"""Memory of a program whose every-event clients never read: before, at the peak, after.

Run: python benchmarks/slow_clients.py [--clients 64]

A program with the agent and a 0-second loop (``tests/fixtures/agent/program.py
--chatty``: every iteration makes events) runs in a child process; N clients connect to
its socket, ask for every event and never read. The agent cuts each off once its queue
is full. Printed: the program's resident memory (``VmRSS``) before the clients came, the
highest seen while they were there, and two seconds after the last was dropped — the
memory that was queued for them should be given back, not kept. Linux only (``/proc``).
"""

from __future__ import annotations

import argparse
import json
import select
import socket
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from agent_helpers import Program  # noqa: E402

from looptui.session.remote.wire import PROTOCOL  # noqa: E402


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def gone(sock: socket.socket) -> bool:
    """Whether the agent hung up on *sock* (seen without reading what is buffered)."""
    poll = select.poll()
    poll.register(sock, select.POLLRDHUP | select.POLLHUP)
    return any(mask & (select.POLLRDHUP | select.POLLHUP) for _, mask in poll.poll(0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=64)
    args = parser.parse_args()
    path = Path(tempfile.mkdtemp()) / "slow.sock"
    with Program(path, "--chatty") as program:
        time.sleep(2.0)  # settled
        before = rss_mb(program.pid)
        clients = []
        for _ in range(args.clients):
            sock = socket.socket(socket.AF_UNIX)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.connect(str(path))
            sock.sendall(json.dumps({"type": "hello", "protocol": PROTOCOL}).encode() + b"\n")
            clients.append(sock)
        peak = before
        deadline = time.monotonic() + 120
        while not all(gone(s) for s in clients) and time.monotonic() < deadline:
            peak = max(peak, rss_mb(program.pid))
            time.sleep(0.05)
        dropped = sum(gone(s) for s in clients)
        for sock in clients:
            sock.close()
        time.sleep(2.0)
        after = rss_mb(program.pid)
    print(f"{args.clients} clients that never read ({dropped} dropped): RSS before "
          f"{before:.1f} MB, peak {peak:.1f} MB, after the drops {after:.1f} MB "
          f"({after - before:+.1f} MB)")


if __name__ == "__main__":
    main()
