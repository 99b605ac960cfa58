"""Watch the user's source folders with ``watchfiles`` and report each settled save once.

Editors save in different ways: writing the file in place, writing a temporary file and
renaming it over the original, deleting the file and creating it again, sometimes leaving
it missing for a moment, or saving several times in a row (format-on-save). The watcher
turns all of them into one call of ``on_change(paths)`` per burst:

* ``watchfiles`` groups changes until :data:`STEP_MS` pass without another one (at most
  :data:`DEBOUNCE_MS`), so a burst arrives as one batch and a single save is reported
  about 50 ms after it happened;
* batches that arrive while ``on_change`` is still running are merged into one more call;
* when a reported file does not exist (the gap between delete and create), the watcher
  waits up to :data:`MISSING_GRACE` seconds for it to come back before reporting.

Only ``.py`` files count, outside hidden and ignored folders (virtualenvs, caches). A
*relevant* predicate lets the caller ignore files its program does not use. Folders are
watched one by one, not recursively: a recursive watch would also register every folder
of a virtualenv inside the project. No Textual here; ``watchfiles`` is imported on start.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
from typing import Any, Awaitable, Callable, Iterable

from looptui.session.program.sources import is_ignored_dir

__all__ = ["FileWatcher", "keep_own_logs", "python_source_filter", "STEP_MS", "DEBOUNCE_MS", "MISSING_GRACE"]

STEP_MS = 50
"""A batch is reported once no further change came for this many milliseconds."""
DEBOUNCE_MS = 600
"""Longest a batch is held while changes keep coming."""
RUST_TIMEOUT_MS = 1000
"""How long one wait of the watching thread lasts before it checks in again."""
MISSING_GRACE = 1.0
"""Seconds to wait for a reported file that is missing (delete then create) to return."""

OnChange = Callable[[set[str]], Awaitable[Any]]


def python_source_filter(_change: Any, path: str) -> bool:
    """``watchfiles`` filter: ``.py`` files, not hidden, not in an ignored folder."""
    name = os.path.basename(path)
    if not name.endswith(".py") or name.startswith("."):
        return False
    return not any(is_ignored_dir(part) for part in os.path.dirname(path).split(os.sep) if part)


WATCHFILES_LOGGER = "watchfiles"


def awatch_arguments(awatch: Callable[..., Any], dirs: list[str]) -> tuple[list[str], dict[str, Any]]:
    """The folders and options to give this version of ``watchfiles.awatch``.

    ``recursive`` came in watchfiles 0.17 and ``ignore_permission_denied`` in 0.20; older
    versions (0.15 and 0.16, which some bots' other tools pin) watch every folder
    recursively: they are given only the outermost folders, so no change is reported
    twice (the filter still drops files in ignored folders).
    """
    try:
        accepted = inspect.signature(awatch).parameters
    except (TypeError, ValueError):
        accepted = {}  # type: ignore[assignment]
    options: dict[str, Any] = {}
    if "ignore_permission_denied" in accepted:
        options["ignore_permission_denied"] = True
    if "recursive" in accepted:
        options["recursive"] = False
        return list(dirs), options
    ordered = sorted(dirs)
    outermost = [d for d in ordered
                 if not any(d != other and d.startswith(other.rstrip(os.sep) + os.sep)
                            for other in ordered)]
    return outermost, options


def keep_own_logs() -> None:
    """Keep ``watchfiles``' own log records ("1 change detected") out of the program's
    logging: they are looptui's, not the program's, and would show as its output."""
    logger = logging.getLogger(WATCHFILES_LOGGER)
    logger.propagate = False
    if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
        logger.addHandler(logging.NullHandler())


class FileWatcher:
    """Calls ``await on_change(paths)`` after each settled burst of source changes.

    Two tasks: a pump reading ``watchfiles.awatch`` into a queue (it is never cancelled,
    only asked to stop, because cancelling ``awatch`` waits for its thread anyway), and a
    consumer merging batches and calling *on_change*, one call at a time.

    Attributes:
        dirs: The folders being watched.
        error: The exception that stopped watching, if any (e.g. out of inotify watches).
    """

    def __init__(
        self,
        dirs: Iterable[str],
        on_change: OnChange,
        *,
        relevant: Callable[[str], bool] = lambda _path: True,
        on_error: Callable[[BaseException], None] | None = None,
        step_ms: int = STEP_MS,
        debounce_ms: int = DEBOUNCE_MS,
        missing_grace: float = MISSING_GRACE,
    ) -> None:
        self.dirs = sorted(set(dirs))
        self.on_change = on_change
        self.relevant = relevant
        self.on_error = on_error
        self.step_ms = step_ms
        self.debounce_ms = debounce_ms
        self.missing_grace = missing_grace
        self.error: BaseException | None = None
        self._queue: asyncio.Queue[set[str]] = asyncio.Queue()
        self._stop_event: asyncio.Event | None = None
        self._pump_task: asyncio.Task[None] | None = None
        self._consumer: asyncio.Task[None] | None = None
        self._busy = False
        self._closing = False

    @property
    def running(self) -> bool:
        """Whether changes are being watched."""
        return self._pump_task is not None and not self._pump_task.done()

    def start(self) -> None:
        """Start watching (on the running event loop)."""
        if self._consumer is None:
            self._consumer = asyncio.get_running_loop().create_task(
                self._consume(), name="looptui file watcher"
            )
        self._start_pump()

    def _start_pump(self) -> None:
        self._stop_event = asyncio.Event()
        self._pump_task = asyncio.get_running_loop().create_task(
            self._pump(list(self.dirs), self._stop_event), name="looptui watchfiles"
        )

    async def set_dirs(self, dirs: Iterable[str]) -> None:
        """Watch *dirs* from now on (restarts the watching thread only if they differ)."""
        wanted = sorted(set(dirs))
        if wanted == self.dirs or self._closing:
            return
        self.dirs = wanted
        await self._stop_pump()
        self._start_pump()

    async def stop(self, timeout: float = 2.0) -> None:
        """Stop watching; a call of *on_change* in progress is let finish (bounded)."""
        self._closing = True
        await self._stop_pump(timeout)
        consumer = self._consumer
        if consumer is not None and not consumer.done():
            if not self._busy:
                consumer.cancel()
            await asyncio.wait([consumer], timeout=timeout * 5 if self._busy else timeout)
            if not consumer.done():
                consumer.cancel()

    async def _stop_pump(self, timeout: float = 2.0) -> None:
        task, event = self._pump_task, self._stop_event
        if event is not None:
            event.set()
        if task is not None and not task.done():
            await asyncio.wait([task], timeout=timeout)

    # ------------------------------------------------------------------ tasks
    async def _pump(self, dirs: list[str], stop_event: asyncio.Event) -> None:
        from watchfiles import awatch  # imported here: it costs ~70 ms

        keep_own_logs()

        paths, options = awatch_arguments(awatch, dirs)
        try:
            async for changes in awatch(
                *paths, watch_filter=python_source_filter, debounce=self.debounce_ms,
                step=self.step_ms, stop_event=stop_event, rust_timeout=RUST_TIMEOUT_MS,
                **options,
            ):
                self._queue.put_nowait({path for _change, path in changes})
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # e.g. the system's limit of watches is reached
            self.error = exc
            if self.on_error is not None:
                self.on_error(exc)

    def _drain(self) -> set[str]:
        paths: set[str] = set()
        while not self._queue.empty():
            paths |= self._queue.get_nowait()
        return paths

    async def _settle(self, wanted: set[str]) -> set[str]:
        """Wait (bounded) for missing files of *wanted* to reappear, merging new changes."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.missing_grace
        while any(not os.path.exists(p) for p in wanted):
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            try:
                more = await asyncio.wait_for(self._queue.get(), remaining)
            except asyncio.TimeoutError:
                break
            wanted |= {p for p in more | self._drain() if self.relevant(p)}
        return wanted

    async def _consume(self) -> None:
        while not self._closing:
            paths = await self._queue.get()
            paths |= self._drain()
            wanted = {p for p in paths if self.relevant(p)}
            if not wanted:
                continue
            wanted = await self._settle(wanted)
            if self._closing:
                return
            self._busy = True
            try:
                await self.on_change(wanted)
            except Exception as exc:  # a failing reload must not end the watching
                if self.on_error is not None:
                    self.on_error(exc)
            finally:
                self._busy = False
