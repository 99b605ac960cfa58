"""What the hot reload needs of the session it reloads, as a small protocol.

:class:`~looptui.session.reload.hot_reload.HotReload` swaps the program's code inside a
session; the session owns the reload. Naming the session's side here keeps the two
modules from importing each other: the session imports the reload, the reload only
knows this protocol.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Protocol

if TYPE_CHECKING:
    import asyncio
    from types import ModuleType

    from looptui.core.registry import Registry
    from looptui.core.tracker import Tracker

__all__ = ["ReloadHost"]


class ReloadHost(Protocol):
    """The session as the reload sees it.

    Attributes:
        target: What was given on the command line (path or module name).
        module: The program's module now; ``module_loops`` the loops it defines.
        registry: Where the loops are listed.
        start_loops: Whether looptui starts the loops the program did not start.
        main_name: ``--main NAME`` or ``None``; ``main_task`` the task running it.
        adapters: The adapters module once discord.py-family loops are observed.
        reload_error, last_reload, last_reload_attempt, reload_count, reload_version,
        reloading: the reload status the front ends read.
    """

    target: str
    module: ModuleType | None
    module_loops: list[Any]
    registry: Registry
    start_loops: bool
    main_name: str | None
    main_task: asyncio.Task[None] | None
    adapters: Any
    reload_error: Any
    last_reload: dict[str, Any] | None
    last_reload_attempt: Any
    reload_count: int
    reload_version: int
    reloading: bool

    def emit(self, kind: str, **fields: Any) -> None:
        """Send a session event to every sink."""

    def say(self, stream: str, text: str) -> None:
        """Report something looptui did, as general output and ``log`` events."""

    def note(self, stream: str, text: str) -> None:
        """Add a line to the general output without an event."""

    def main_function(self, module: ModuleType | None = None) -> Callable[[], Any]:
        """The ``--main`` function of *module* (raises a usage error if missing)."""

    def start_main(self, func: Callable[[], Any]) -> None:
        """Run *func* as the main coroutine."""

    def import_program(self, module_name: str | None = None, *,
                       announce: bool = False) -> tuple[ModuleType, Any]:
        """Import the target afresh: the module and its main plan (or ``None``)."""

    def launch_main(self, plan: Any) -> None:
        """Run *plan* (a main plan from :meth:`import_program`) as the main coroutine."""

    def ask(self, tracker: Tracker, how: str) -> None:
        """Ask a loop to ``stop`` or ``cancel`` (a failure is noted, never raised)."""

    def live_clients(self) -> list[Any]:
        """The Discord clients the program created that still exist, oldest first."""

    def scan_live_objects(self) -> int:
        """List the loops of the program's live objects (a new cog's never-started ones)."""
