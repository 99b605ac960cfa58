"""The Discord clients a program creates: where, ``run()`` made a main, and ``--offline``.

:class:`ClientWatch` hooks the ``Client`` class of discord.py / py-cord (``discord``),
nextcord and disnake when the program imports the library (looptui never imports one
itself), and restores it at the end:

* ``__init__`` notes every client the program creates, and where (:attr:`clients`);
* ``run(...)`` during an import becomes a :class:`~.runcalls.MainCall` (see
  :mod:`.runcalls`): ``Client.run(token)`` is the client's own ``start(token)``, with
  what the library's ``run`` does around it (discord.py: its logging set-up and
  ``async with client``; the others: ``close()`` at the end) — but never its signal
  handlers, nor its cancelling every task of the event loop;
* with ``offline`` set, ``start(...)`` does not log in or connect: it runs what the
  library runs on the way to ready (discord.py: ``setup_hook``, so extensions and cogs
  load) with what login sets set to an offline identity (``client.user`` …), then marks
  the client ready (``wait_until_ready()`` returns, ``on_ready``
  listeners run) and waits until the client is closed.
"""

from __future__ import annotations

import asyncio
import functools
import sys
import weakref
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Callable

from looptui.adapters import importhook
from looptui.session.program.offline_identity import give_offline_identity
from looptui.session.program.runcalls import call_site, capturing, program_frame

__all__ = ["ClientWatch", "KnownClient", "PACKAGES", "client_library"]

PACKAGES = ("discord", "nextcord", "disnake")
"""Top-level packages whose ``Client`` is watched (``discord`` is discord.py or py-cord)."""
_CLOSED_POLL = 0.25
"""Seconds between checks of whether an offline client was closed."""

Report = Callable[[str], None]
HookFailed = Callable[[Any, str, BaseException], None]


@dataclass
class KnownClient:
    """A client the program created.

    Attributes:
        ref: The client (weakly held).
        where: ``file:line`` where the program created it.
        library: ``discord``, ``nextcord`` or ``disnake``.
        started: Whether ``start()`` (or ``run()``) was called on it.
    """

    ref: weakref.ref[Any]
    where: str
    library: str
    started: bool = False

    @property
    def client(self) -> Any:
        return self.ref()


def client_library(client: object) -> str | None:
    """The package of a Discord *client* (``discord``, ``nextcord``, ``disnake``), or ``None``."""
    for klass in type(client).__mro__:
        package = klass.__module__.split(".", 1)[0]
        if package in PACKAGES and klass.__name__ == "Client":
            return package
    return None


class ClientWatch:
    """Hooks the Discord ``Client`` classes for one session (see the module docstring).

    Attributes:
        root: The program's folder (``where`` is relative to it).
        offline: Whether ``start()`` skips login and connection.
        clients: Every client the program created, oldest first.
        report: Called with a line of text for the user (a logging set-up that
            failed, …); the session shows it as its own output.
        hook_failed: Called with ``(client, hook name, exception)`` when a hook that
            ``--offline`` runs on the way to ready (``setup_hook``) raised; the session
            makes it a ``hook_failed`` event and a notification.
    """

    def __init__(self, root: str | None, offline: bool = False,
                 report: Report | None = None, hook_failed: HookFailed | None = None) -> None:
        self.root = root
        self.offline = offline
        self.clients: list[KnownClient] = []
        self.report = report or (lambda text: None)
        self.hook_failed = hook_failed or (lambda client, hook, exc: None)
        self._saved: dict[type, dict[str, Any]] = {}
        self._watched: list[str] = []

    # ---------------------------------------------------------------- install
    def install(self) -> None:
        """Hook each library now if it is imported, else the moment the program imports it."""
        for package in PACKAGES:
            if package in sys.modules:
                self._hook(sys.modules[package])
            else:
                importhook.watch(package, self._on_imported)
                self._watched.append(package)

    def uninstall(self) -> None:
        """Put every hooked class back as it was."""
        for package in self._watched:
            if importhook.is_watching(package):
                importhook.unwatch(package)
        self._watched.clear()
        for cls, saved in self._saved.items():
            for name, value in saved.items():
                setattr(cls, name, value)
        self._saved.clear()

    def _on_imported(self, module: ModuleType) -> None:
        self._hook(module)

    def _hook(self, package: ModuleType) -> None:
        cls = getattr(package, "Client", None)
        if not isinstance(cls, type) or cls in self._saved:
            return
        if not all(callable(getattr(cls, name, None)) for name in ("__init__", "run", "start")):
            return
        library = package.__name__
        saved = {name: cls.__dict__[name] for name in ("__init__", "run", "start")}
        orig_init, orig_run, orig_start = saved["__init__"], saved["run"], saved["start"]
        watch = self

        @functools.wraps(orig_init)
        def __init__(client: Any, *args: Any, **kwargs: Any) -> None:
            orig_init(client, *args, **kwargs)
            try:
                frame = program_frame(sys._getframe(1), client)
                where = call_site(frame, watch.root)[0] if frame is not None else "?"
                watch.clients.append(KnownClient(weakref.ref(client), where, library))
            except TypeError:  # not weakly referenceable: nothing to list
                pass

        @functools.wraps(orig_run)
        def run(client: Any, *args: Any, **kwargs: Any) -> Any:
            collector = capturing()
            if collector is None:
                return orig_run(client, *args, **kwargs)
            start = watch._run_as_start(client, library, args, kwargs)
            collector.client_run(client, args, kwargs, sys._getframe(1), start)
            return None

        @functools.wraps(orig_start)
        async def start(client: Any, *args: Any, **kwargs: Any) -> Any:
            known = watch.known(client)
            if known is not None:
                known.started = True
            if not watch.offline:
                return await orig_start(client, *args, **kwargs)
            return await watch._offline_start(client)

        lib: Any = cls  # the library's Client class, patched by name (checked above)
        lib.__init__ = __init__
        lib.run = run
        lib.start = start
        self._saved[cls] = saved

    # ---------------------------------------------------------------- reading
    def known(self, client: object) -> KnownClient | None:
        for entry in self.clients:
            if entry.client is client:
                return entry
        return None

    def live(self) -> list[KnownClient]:
        """Clients that still exist, oldest first (forgotten ones are dropped)."""
        self.clients = [entry for entry in self.clients if entry.client is not None]
        return list(self.clients)

    # ------------------------------------------------------------------ run
    def _run_as_start(self, client: Any, library: str, args: tuple[Any, ...],
                      kwargs: dict[str, Any]) -> Callable[[], Any]:
        """What ``client.run(*args, **kwargs)`` would run, as a coroutine factory."""
        # discord.py 2 runs ``async with self: start()``. py-cord has ``__aenter__`` too,
        # but its run() does not use it: entering makes a new ready event, and a loop
        # already waiting for ready (started in a cog's __init__) would wait forever.
        if hasattr(type(client), "_async_setup_hook"):
            kwargs = dict(kwargs)
            log: dict[str, Any] = {key: kwargs.pop(key) for key in
                   ("log_handler", "log_formatter", "log_level", "root_logger") if key in kwargs}
            if log.get("log_handler", True) is not None:
                self._setup_logging(library, log)

            async def runner() -> None:
                await client.__aenter__()  # run() is ``async with self: start()`` …
                await _start_keeping_cogs(client, args, kwargs)

            return runner

        async def closing_runner() -> None:  # nextcord, disnake, py-cord
            await _start_keeping_cogs(client, args, kwargs)

        return closing_runner

    def _setup_logging(self, library: str, log: dict[str, Any]) -> None:
        """discord.py's ``run()`` sets up the library's logging first: so do we."""
        utils = sys.modules.get(f"{library}.utils")
        setup = getattr(utils, "setup_logging", None)
        if not callable(setup):
            return
        missing = getattr(utils, "MISSING", None)
        try:
            setup(handler=log.get("log_handler", missing),
                  formatter=log.get("log_formatter", missing),
                  level=log.get("log_level", missing), root=log.get("root_logger", False))
        except Exception as exc:  # the program goes on, as run() would have failed later
            self.report(f"looptui: {library} logging set-up failed: {type(exc).__name__}: {exc}")

    # -------------------------------------------------------------- offline
    async def _offline_start(self, client: Any) -> None:
        """``start()`` without Discord: what login sets (an offline identity, see
        :mod:`.offline_identity`), the library's way to ready, then wait for close.

        Cancelled (looptui quits, or a reload replaces the program), the client is
        closed, as ``run()`` closes it at its end.
        """
        problem = give_offline_identity(client, client_library(client) or "discord")
        if problem:
            self.report(f"looptui --offline: {problem}")
        setup_state = getattr(client, "_async_setup_hook", None)
        if callable(setup_state):  # discord.py: loop-bound state, then setup_hook
            if not isinstance(getattr(client, "loop", None), asyncio.AbstractEventLoop):
                await setup_state()
            setup_hook = getattr(client, "setup_hook", None)
            if callable(setup_hook):
                try:
                    await setup_hook()
                except Exception as exc:  # reported; the client still gets ready
                    self.hook_failed(client, "setup_hook", exc)
        ready = getattr(client, "_ready", None)
        if isinstance(ready, asyncio.Event):
            ready.set()
        client.dispatch("ready")
        try:
            while not client.is_closed():
                await asyncio.sleep(_CLOSED_POLL)
        except asyncio.CancelledError:
            if not client.is_closed():
                await client.close()
            raise


async def _start_keeping_cogs(client: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """``client.start(...)``, closing the client only when looptui ends it (cancelled).

    ``run()`` closes the client when ``start()`` fails (a missing or invalid token, no
    network), and a bot's ``close()`` unloads its extensions and removes its cogs — their
    loops would vanish from the table with the error that explains them. Left open, the
    cogs and their idle or waiting loops stay listed beside ``main failed``.
    """
    try:
        await client.start(*args, **kwargs)
    except asyncio.CancelledError:
        if not client.is_closed():
            await client.close()
        raise
