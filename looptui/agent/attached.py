"""What the agent runs only while a client is attached: output capture and health checks.

The first client to attach turns on the session's own parts, the same ones
``looptui bot.py`` runs: the output capture as a *tee* (``print``, stderr and ``logging``
lines are attributed to the loop that wrote them and sent as ``log`` events, while the
program's own stdout/stderr still get every write, unchanged), the blocking watchdog
(``blocked`` with the stack, noted on the loop that blocked) and the stuck-body checks
(``stuck``). The last client to leave turns them all off again: while nobody is attached
the program runs exactly as it would without the agent.
"""

from __future__ import annotations

from typing import Any, Callable

from looptui.core import clock
from looptui.core.registry import Registry
from looptui.core.tracker import Tracker
from looptui.session.debug.handover import DebuggerHandover
from looptui.session.events import build as events
from looptui.session.health.stuck import StuckWatch
from looptui.session.health.watchdog import DEFAULT_THRESHOLD, Block, Watchdog, mark_blocked
from looptui.session.output.capture import OutputCapture
from looptui.session.output.flood import LogLimiter
from looptui.session.program.owners import TaskOwners

__all__ = ["AttachedWatch"]


class AttachedWatch:
    """Output capture (tee), the blocking watchdog and stuck checks, on while attached.

    Args:
        registry: The program's loops.
        broadcast: Sends one §5 event to every attached client.
        block_threshold: Stalls at least this long (seconds) are reported.

    Attributes:
        active: Whether the parts are on (between :meth:`start` and :meth:`stop`).
        blocked_count: Stalls reported since the agent started.
    """

    def __init__(self, registry: Registry, broadcast: Callable[[dict[str, Any]], None],
                 block_threshold: float = DEFAULT_THRESHOLD) -> None:
        self.registry = registry
        self.broadcast = broadcast
        self.active = False
        self.blocked_count = 0
        self.capture = OutputCapture(self._deliver, tee=True)
        self.debugger = DebuggerHandover(self.capture)  # pdb gets the program's terminal
        self.watchdog = Watchdog(self._blocked, block_threshold)
        self.stuck = StuckWatch(registry)
        self.owners = TaskOwners(registry)  # owner() only: no task factory is installed
        self._limiter = LogLimiter(self._dropped)

    def start(self) -> None:
        """Turn everything on (on the program's event loop). Idempotent."""
        if self.active:
            return
        self.active = True
        self.capture.install()
        self.debugger.install()
        self.watchdog.start()
        self.stuck.start()

    def stop(self) -> None:
        """Turn everything off: streams, logging handlers and the selector as they were."""
        if not self.active:
            return
        self.active = False
        self.stuck.stop()
        self.watchdog.stop()
        self.debugger.uninstall()
        self.capture.uninstall()

    # ------------------------------------------------------------------ output
    def _deliver(self, tracker: Tracker | None, stream: str, text: str) -> None:
        if tracker is not None:
            tracker.add_output(stream, text)  # its "log" event reaches the clients
        elif self._limiter.allow(None):
            self.broadcast(events.session_event("log", loop=None, stream=stream, text=text))

    def _dropped(self, tracker: Tracker | None, count: int) -> None:
        self.broadcast(events.session_event("log_dropped", loop=None, dropped=count))

    # ------------------------------------------------------------------ health
    def _blocked(self, block: Block) -> None:
        tracker = self.owners.owner(block.task)
        if tracker is None and block.monitor:
            return  # the agent's own code: not the program's fault
        now = clock.now()
        self.blocked_count += 1
        if tracker is not None:
            mark_blocked(tracker, block, now)
        self.broadcast(events.session_event(
            "blocked", time=now, loop=tracker.name if tracker is not None else None,
            duration=block.duration, stack=block.stack))
