"""Hot reload: replace the running program with the code now on disk.

One reload at a time (a lock), in this order:

1. The trackers now in the registry are the *old generation*: everything the running
   code created, module loops and dynamic ones alike (each successful reload retires
   all earlier ones). They are hidden from the registry's name table, so the new loops
   get the same display names, and registry listeners are held back while importing.
2. The user's modules (target and siblings under the program root, see
   :mod:`~looptui.session.program.sources`) leave :data:`sys.modules` with their cached bytecode,
   and the target is imported again, as a new module object.
3. If that fails, whatever the failed import created is discarded (its tasks cancelled
   before they ever ran, its trackers unregistered) and the old modules and trackers are
   put back: the old loops never stopped. ``reload_failed`` is emitted and the error is
   kept on ``session.reload_error`` (one-line summary, full traceback with file:line).
4. If it succeeds, every old loop is asked to stop (a sleeping one ends at once, a body
   in progress finishes, ``after_loop`` runs; one still in ``before_loop`` is cancelled
   after :data:`WAITING_GRACE`, and whatever is left after :data:`STOP_TIMEOUT` is
   cancelled). As each ends, the new loop of the same name takes over its history and
   counters and — if looptui starts it, by the same rules as the first start — starts:
   an old and a new body of one loop never run side by side, and a slow body elsewhere
   delays no other loop. Loops the old code creates while stopping are stopped too.
5. Tasks still running code of the old modules, and the old main, are cancelled (a
   client it runs is closed); the new main runs. Loops the old main had created at run
   time (a cog loaded in ``setup_hook``) take their names, history and counters back
   when the new main creates them again (for up to :data:`LATE_GRACE` seconds). Then
   ``reload`` is emitted with the names ``added``, ``removed`` and ``changed``
   (:mod:`~looptui.session.reload.fingerprint`).

When every saved file is an extension a Discord client loaded (``cogs/ticker.py`` after
``bot.load_extension("cogs.ticker")``, at import or later), the program is not imported
again: the library reloads the extension (``reload_extension``, see
:mod:`~looptui.session.reload.extensions`), which tears the old cog down and sets the new
one up. Only the loops defined in those files are a generation: they are hidden while the
library works, old ones still running are stopped as in step 4, and each new loop takes
over the name and history of the old one. A saved module such an extension imports (its
helper: ``cogs/help/help.py`` of the extension ``cogs.help``) reloads that extension,
which then imports the helper's new code; a saved file that no extension owns reloads
the whole program. A file that does not compile is refused before
the library touches the cog; any other failure leaves the library's rollback (the previous
code, set up again) running, under the same names, and is reported as ``reload_failed``.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import sys
import time
import weakref
from typing import TYPE_CHECKING, Any, Hashable, Iterable

from looptui.core import clock
from looptui.core.states import LoopState
from looptui.core.tracebacks import is_own_frame
from looptui.session.program.loader import find_module_loops
from looptui.session.program.sources import (
    forget_bytecode,
    program_root,
    source_path,
    user_modules,
    watch_dirs,
)
from looptui.session.reload.extensions import (
    Extension,
    check_source,
    extensions_for,
    helper_modules,
    library_cause,
    loaded_extensions,
    reload_through_library,
)
from looptui.session.reload.fingerprint import loop_coroutine, loop_fingerprint, loop_object
from looptui.session.reload.handover import carry_over, hide, release, show
from looptui.session.reload.outcome import ReloadError, ReloadResult, describe_failure

if TYPE_CHECKING:
    from looptui.core.tracker import Tracker
    from looptui.session.reload.host import ReloadHost
    from looptui.session.reload.watcher import FileWatcher

__all__ = ["HotReload", "ReloadError", "ReloadResult", "describe_failure"]

STOP_TIMEOUT = 3.0
"""Seconds old loops get to finish their body and ``after_loop`` before being cancelled."""
CANCEL_WAIT = 1.0
"""Seconds cancelled stragglers (and old tasks) get to end."""
WAITING_GRACE = 0.3
"""Seconds an old loop still in ``before_loop`` gets before it is cancelled."""
POLL = 0.005
"""Seconds between checks while old loops end."""
LATE_GRACE = 3.0
"""Seconds a whole-program reload waits for loops the new main creates at run time."""
LATE_POLL = 0.02
"""Seconds between looks for those loops."""


class HotReload:
    """The reload state of one session: generation bookkeeping, watcher, the procedure.

    Created by :meth:`Session.start` once the first import succeeded.

    Attributes:
        root: The program's folder (see :func:`~looptui.session.program.sources.program_root`).
        broken: True after a failed reload: any source change then triggers a retry.
        watcher: The :class:`~looptui.session.reload.watcher.FileWatcher`, when watching.
    """

    def __init__(self, session: ReloadHost, baseline: Iterable[str]) -> None:
        module = session.module
        assert module is not None
        self.session = session
        self.baseline = frozenset(baseline)
        self.module_name = module.__name__
        self.root = program_root(module)
        self.target_file = source_path(module)
        self.broken = False
        self.watcher: FileWatcher | None = None
        self._fingerprints: weakref.WeakKeyDictionary[Tracker, Hashable] = (
            weakref.WeakKeyDictionary()
        )
        self._relevant: set[str] = set()
        self._lock = asyncio.Lock()
        self._closed = False
        self._note_generation()

    # -------------------------------------------------------------- bookkeeping
    def _current_modules(self) -> dict[str, Any]:
        found = user_modules(self.root, self.baseline)
        target = sys.modules.get(self.module_name)
        if target is not None and target is self.session.module:
            found[self.module_name] = target
        return found

    def _note_generation(self) -> None:
        """Remember the running code's loops (fingerprints) and source files."""
        for tracker in self.session.registry.trackers():
            if tracker not in self._fingerprints:
                self._fingerprints[tracker] = loop_fingerprint(tracker)
        files = {source_path(m) for m in self._current_modules().values()}
        files.add(self.target_file)
        self._relevant = {f for f in files if f}

    def _fingerprint(self, tracker: Tracker) -> Hashable:
        known = self._fingerprints.get(tracker)
        return known if known is not None else loop_fingerprint(tracker)

    @property
    def files(self) -> list[str]:
        """The source files of the running code (a change to one of them reloads)."""
        return sorted(self._relevant)

    def is_relevant(self, path: str) -> bool:
        """Whether a change to *path* should reload (after a failure: any source file).

        Extensions a client loaded after the import (in ``setup_hook``, ``on_ready``)
        count too.
        """
        path = os.path.abspath(path)
        if self.broken or path in self._relevant:
            return True
        if any(ext.file == path for ext in self._extensions()):
            return True
        # a module of the program imported after the import (an extension's helper)
        return any(source_path(m) == path for m in self._current_modules().values())

    def _extensions(self) -> list[Extension]:
        try:
            return loaded_extensions(self.session.live_clients())
        except Exception:  # a strange client must not stop the watcher
            return []

    # ------------------------------------------------------------------ watching
    @property
    def watching(self) -> bool:
        return self.watcher is not None and self.watcher.running

    def start_watching(self) -> None:
        """Watch the program's folders and reload on every relevant change."""
        from looptui.session.reload.watcher import FileWatcher

        self.watcher = FileWatcher(
            watch_dirs(self.root, self._relevant), self._on_files_changed,
            relevant=self.is_relevant, on_error=self._on_watch_error,
        )
        self.watcher.start()

    async def _on_files_changed(self, paths: set[str]) -> None:
        await self.reload(paths)

    def _on_watch_error(self, exc: BaseException) -> None:
        self.session.say("stderr", f"looptui: watching files: {type(exc).__name__}: {exc} "
                                    "(press R to reload by hand)")

    async def close(self) -> None:
        """Stop watching and wait for a reload in progress to end; no reload after this."""
        self._closed = True
        if self.watcher is not None:
            await self.watcher.stop()
        async with self._lock:
            pass

    # -------------------------------------------------------------------- reload
    async def reload(self, files: Iterable[str] | None = None) -> ReloadResult:
        """Reload the program now (see the module docstring). Never raises for user errors.

        The work runs in a task of its own: cancelling the caller (a UI worker replaced
        by a newer one) does not leave a reload half done.
        """
        work = asyncio.ensure_future(self._reload_locked(files))
        work.add_done_callback(_retrieve)  # its outcome is read even if the caller left
        return await asyncio.shield(work)

    async def _reload_locked(self, files: Iterable[str] | None) -> ReloadResult:
        async with self._lock:
            if self._closed:
                raise RuntimeError("nothing to reload: the session is shutting down")
            session = self.session
            session.reloading = True
            try:
                return await self._attempt(sorted(set(files)) if files is not None else None)
            finally:
                session.reloading = False
                session.reload_version += 1

    async def _attempt(self, files: list[str] | None) -> ReloadResult:
        modules = self._current_modules()
        extensions = (extensions_for(files, self.session.live_clients(), modules)
                      if files else None)
        if extensions:
            return await self._attempt_extensions(extensions, files or [], modules)
        session = self.session
        registry = session.registry
        began = time.perf_counter()
        old = registry.trackers()
        old_prints = {t: self._fingerprint(t) for t in old}
        old_modules = self._current_modules()
        tasks_before = asyncio.all_tasks()
        listeners = registry.silence()
        hide(registry, old)
        try:
            module, loops, main = self._import(old_modules)
        except BaseException as exc:
            discarded = registry.trackers()  # only the failed import's are listed
            doomed = {_task_of(t) for t in discarded}
            for task in asyncio.all_tasks() - tasks_before:
                if task in doomed or not _is_own(task):
                    task.cancel()  # started by the failed import: they never ran
            for tracker in discarded:
                registry.unregister(tracker)
            self._restore_modules(old_modules)
            show(registry, old)
            registry.restore(listeners)
            if not isinstance(exc, Exception):
                raise
            return self._failed(exc, files, began)
        registry.restore(listeners)
        return await self._commit(module, loops, main, old, old_prints, old_modules, files, began)

    def _import(self, old_modules: dict[str, Any]) -> tuple[Any, list[Any], Any]:
        session = self.session
        for name in old_modules:
            sys.modules.pop(name, None)
        forget_bytecode({f for f in map(source_path, old_modules.values()) if f}
                        | ({self.target_file} if self.target_file else set()))
        importlib.invalidate_caches()  # folder listings cached by the finders may be stale
        previous = sys.dont_write_bytecode
        sys.dont_write_bytecode = True  # a stale .pyc could hide the next edit (see sources)
        try:
            module, main = session.import_program(module_name=self.module_name)
            loops = find_module_loops(module)
        finally:
            sys.dont_write_bytecode = previous
        return module, loops, main

    def _restore_modules(self, old_modules: dict[str, Any]) -> None:
        for name in self._current_modules():
            sys.modules.pop(name, None)
        sys.modules.update(old_modules)

    def _failed(self, exc: BaseException, files: list[str] | None, began: float,
                what: str = "the loops keep running the code loaded before") -> ReloadResult:
        session = self.session
        error = describe_failure(exc)
        self.broken = True
        session.reload_error = error
        result = ReloadResult(False, error.time, time.perf_counter() - began,
                              files=self._names(files), error=error)
        session.last_reload_attempt = result
        for line in (f"looptui: reload failed; {what}:",
                     *error.traceback.rstrip("\n").splitlines()):
            session.note("stderr", line)
        session.emit("reload_failed", error=error.summary, traceback=error.traceback)
        return result

    def _names(self, files: list[str] | None) -> list[str]:
        return [os.path.relpath(f, self.root) for f in files] if files else []

    # ---------------------------------------------------------------- extensions
    async def _attempt_extensions(self, extensions: list[Extension], files: list[str],
                                  modules: dict[str, Any]) -> ReloadResult:
        """Reload *extensions* through their library (see the module docstring).

        Saved helper modules the extensions import leave :data:`sys.modules` first, so
        the extensions' fresh imports run their new code; a failed reload puts them back.
        """
        began = time.perf_counter()
        helpers = {name: modules[name] for name in helper_modules(files, extensions, modules)}
        helper_files = {f for f in map(source_path, helpers.values()) if f}
        for file in sorted({ext.file for ext in extensions} | helper_files):
            try:
                check_source(file)
            except (SyntaxError, ValueError, OSError) as exc:  # the running cog is untouched
                return self._failed(exc, files, began)
        session = self.session
        registry = session.registry
        old_dicts = {id(vars(ext.module)) for ext in extensions}
        old = [t for t in registry.trackers() if _defined_in(t, old_dicts)]
        old_prints = {t: self._fingerprint(t) for t in old}
        listeners = registry.silence()
        others = set(registry.trackers()) - set(old)
        hide(registry, old)
        forget_bytecode({ext.file for ext in extensions} | helper_files)
        for name in helpers:
            sys.modules.pop(name, None)
        importlib.invalidate_caches()
        previous = sys.dont_write_bytecode
        sys.dont_write_bytecode = True
        failure: Exception | None = None
        try:
            for ext in extensions:
                try:
                    await reload_through_library(ext)
                except Exception as exc:  # the library put the previous module back
                    failure = exc
                    for name, module in helpers.items():  # and so do we, for the helpers
                        sys.modules[name] = module
                    break
        finally:
            sys.dont_write_bytecode = previous
            session.scan_live_objects()  # the new cogs' never-started loops are listed too
            registry.restore(listeners)
        new = [t for t in registry.trackers() if t not in others]
        new_by_name, added, removed, changed = self._compare(old, old_prints, new)
        stragglers = await self._retire(old, set(new), new_by_name, {}, old_dicts)
        self._let_go(old, new_by_name)
        if failure is not None:
            return self._failed(library_cause(failure), files, began,
                                "the library set the previous code of the cog up again")
        return self._succeeded(began, files, added, removed, changed, stragglers,
                               extensions=sorted({ext.name for ext in extensions}))

    # -------------------------------------------------------------------- commit
    async def _commit(
        self, module: Any, loops: list[Any], main: Any, old: list[Tracker],
        old_prints: dict[Tracker, Hashable], old_modules: dict[str, Any],
        files: list[str] | None, began: float,
    ) -> ReloadResult:
        session = self.session
        registry = session.registry
        session.module = module
        session.module_loops = loops
        new = registry.trackers()
        new_by_name, added, removed, changed = self._compare(old, old_prints, new)
        to_start: dict[Any, Any] = {}
        if session.start_loops:
            for lp in loops:
                if lp.get_task() is None:
                    tracker = self._tracker_of(lp)
                    to_start[tracker.name if tracker is not None else id(lp)] = lp
        old_globals = {id(vars(m)) for m in old_modules.values()}
        old_main = session.main_task
        if old_main is not None and not old_main.done():
            old_main.cancel()
        stragglers = await self._retire(old, set(new), new_by_name, to_start, old_globals)
        await self._cancel_old_tasks(old_globals, old_main)
        orphans = {t.name: t for t in old if t.name not in new_by_name} if main is not None else {}
        self._let_go([t for t in old if t.name not in orphans], new_by_name)
        if main is not None:
            session.launch_main(main)
        if orphans:
            came_back = await self._adopt_late(orphans, old_prints)
            removed = [name for name in removed if name not in came_back]
            changed = [*changed, *(name for name, differs in came_back.items() if differs)]
        result = self._succeeded(began, files, added, removed, changed, stragglers)
        await self._follow_new_folders()
        return result

    async def _adopt_late(self, orphans: dict[str, Tracker],
                          old_prints: dict[Tracker, Hashable]) -> dict[str, bool]:
        """Old loops the new code creates only once its main runs (in ``setup_hook``,
        ``cog_load``, ``on_ready``) take their names, history and counters back as they
        appear: for up to :data:`LATE_GRACE` seconds, or until the new main ended.

        *orphans* (old trackers by name, still hidden) lose the ones that came back; the
        rest are let go (``loop_removed``). Returns ``{name: changed}`` of those that came
        back.
        """
        session = self.session
        registry = session.registry
        evloop = asyncio.get_running_loop()
        deadline = evloop.time() + LATE_GRACE
        main = session.main_task
        came_back: dict[str, bool] = {}
        seen = -1
        while True:
            if registry.version != seen:
                seen = registry.version
                for name in list(orphans):
                    successor = registry.get(name)
                    if successor is None or successor is orphans[name]:
                        continue
                    gone = orphans.pop(name)
                    carry_over(successor, gone)
                    self._fingerprints[successor] = loop_fingerprint(successor)
                    came_back[name] = old_prints.get(gone) != self._fingerprints[successor]
                    self._let_go([gone], {name: successor})
            if not orphans or evloop.time() >= deadline or main is None or main.done():
                break
            await asyncio.sleep(LATE_POLL)
            session.scan_live_objects()  # a new cog's never-started loops come back too
        self._let_go(list(orphans.values()), {})
        orphans.clear()
        return came_back

    def _compare(self, old: list[Tracker], old_prints: dict[Tracker, Hashable],
                 new: list[Tracker]) -> tuple[dict[str, Tracker], list[str], list[str], list[str]]:
        """``(new by name, added, removed, changed)``; ``loop_added`` for the added ones."""
        registry = self.session.registry
        for tracker in new:
            self._fingerprints[tracker] = loop_fingerprint(tracker)
        new_by_name = {t.name: t for t in new}
        old_by_name = {t.name: t for t in old}
        added = [n for n in new_by_name if n not in old_by_name]
        removed = [n for n in old_by_name if n not in new_by_name]
        changed = [n for n, t in new_by_name.items()
                   if n in old_by_name and old_prints[old_by_name[n]] != self._fingerprints[t]]
        if registry.listeners:
            for name in added:
                t = new_by_name[name]
                registry.emit("loop_added", t, {"schedule": t.schedule, "source": t.source})
        return new_by_name, added, removed, changed

    def _let_go(self, old: list[Tracker], new_by_name: dict[str, Tracker]) -> None:
        """Unlist the old generation (``loop_removed`` for names that did not come back)."""
        registry = self.session.registry
        for tracker in old:
            if tracker.name not in new_by_name and registry.listeners:
                registry.emit("loop_removed", tracker, {})
            registry.unregister(tracker)  # hidden: this only lets go of it
            release(tracker)

    def _succeeded(self, began: float, files: list[str] | None, added: list[str],
                   removed: list[str], changed: list[str], stragglers: list[Tracker],
                   **extra: Any) -> ReloadResult:
        """Record a successful reload on the session, emit ``reload``, name stragglers."""
        session = self.session
        self.broken = False
        self._note_generation()
        result = ReloadResult(
            True, clock.now(), time.perf_counter() - began, added, removed, changed,
            self._names(files), [t.name for t in stragglers],
        )
        session.reload_error = None
        session.reload_count += 1
        session.last_reload = result.as_dict()
        session.last_reload_attempt = result
        session.emit("reload", added=added, removed=removed, changed=changed, **extra)
        if stragglers:
            session.say("stderr", "looptui: loops of the previous code did not stop: "
                                   + ", ".join(result.stragglers))
        return result

    def _tracker_of(self, lp: Any) -> Tracker | None:
        tracker = getattr(lp, "tracker", None)
        if tracker is None and self.session.adapters is not None:
            tracker = self.session.adapters.tracker_for(lp)
        return tracker

    def _start(self, lp: Any) -> None:
        try:
            if lp.get_task() is None:
                lp.start()
        except Exception as exc:
            tracker = self._tracker_of(lp)
            label = tracker.name if tracker is not None else repr(lp)
            self.session.say("stderr", f"looptui: could not start {label}: "
                                        f"{type(exc).__name__}: {exc}")

    def _handed_over(self, old: Tracker, new_by_name: dict[str, Tracker],
                     to_start: dict[Any, Any]) -> None:
        """*old* ended: its successor takes its history and, if looptui starts it, starts."""
        successor = new_by_name.get(old.name)
        if successor is None or successor is old:
            return
        carry_over(successor, old)
        lp = to_start.pop(old.name, None)
        if lp is not None:
            self._start(lp)
        else:  # started by the user's code during the import, while listeners were held
            registry = self.session.registry
            if successor.is_active and registry.listeners:
                registry.emit("state", successor, {"state": successor.state.value})

    async def _retire(
        self, old: list[Tracker], new: set[Tracker], new_by_name: dict[str, Tracker],
        to_start: dict[Any, Any], old_globals: set[int],
    ) -> list[Tracker]:
        """Stop the old generation's loops; hand each over as it ends. Returns stragglers."""
        session = self.session
        registry = session.registry
        evloop = asyncio.get_running_loop()
        old_names = {t.name for t in old}
        for key in [k for k in to_start if k not in old_names]:
            self._start(to_start.pop(key))
        known = set(old) | new
        seen_version = -1
        ended: set[Tracker] = set()
        asked: dict[Tracker, float] = {}
        cancelled: set[Tracker] = set()
        how, deadline = "stop", evloop.time() + STOP_TIMEOUT
        active: list[Tracker] = []
        while True:
            now = evloop.time()
            if registry.version != seen_version:  # loops the old code created meanwhile
                strays = [t for t in registry.trackers()
                          if t not in known and _defined_in(t, old_globals)]
                if strays:
                    known.update(strays)
                    old.extend(strays)
                    hide(registry, strays)
                seen_version = registry.version
            active = []
            for tracker in old:
                if tracker in ended:
                    continue
                if tracker.is_active:
                    active.append(tracker)
                else:
                    ended.add(tracker)
                    self._handed_over(tracker, new_by_name, to_start)
            if not active:
                break
            for tracker in active:
                if tracker not in asked:
                    asked[tracker] = now
                    session.ask(tracker, how)
                elif (how == "stop" and tracker not in cancelled
                      and tracker.state is LoopState.WAITING
                      and now - asked[tracker] >= WAITING_GRACE):
                    cancelled.add(tracker)
                    session.ask(tracker, "cancel")
            if now >= deadline:
                if how == "cancel":
                    break
                how, deadline = "cancel", now + CANCEL_WAIT
                asked.clear()
                continue
            await asyncio.sleep(POLL)
        for tracker in active:  # did not end: hand over what they have
            self._handed_over(tracker, new_by_name, to_start)
        for lp in list(to_start.values()):
            self._start(lp)
        return active

    async def _cancel_old_tasks(self, old_globals: set[int], old_main: Any) -> None:
        """Cancel tasks still running the old modules' code (and the old ``--main``)."""
        current = asyncio.current_task()
        doomed = [task for task in asyncio.all_tasks()
                  if task is not current and not task.done() and _task_globals(task) in old_globals]
        for task in doomed:
            task.cancel()
        if old_main is not None and not old_main.done():
            doomed.append(old_main)
        if doomed:
            await asyncio.wait(doomed, timeout=CANCEL_WAIT)

    async def _follow_new_folders(self) -> None:
        """Watch the folder of a newly imported source file that was not watched yet."""
        watcher = self.watcher
        if watcher is None:
            return
        folders = {os.path.dirname(f) for f in self._relevant}
        if not folders <= set(watcher.dirs):
            await watcher.set_dirs(watch_dirs(self.root, self._relevant))


def _retrieve(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()


def _defined_in(tracker: Tracker, module_dicts: set[int]) -> bool:
    """Whether *tracker*'s loop runs a coroutine defined in one of *module_dicts*."""
    coro = loop_coroutine(loop_object(tracker))
    func = getattr(coro, "__func__", coro)
    return id(getattr(func, "__globals__", None)) in module_dicts


def _task_of(tracker: Tracker) -> Any:
    """The task *tracker*'s loop runs in, if any."""
    get_task = getattr(loop_object(tracker), "get_task", None)
    try:
        return get_task() if callable(get_task) else None
    except Exception:
        return None


def _is_own(task: asyncio.Task[Any]) -> bool:
    """Whether *task* runs looptui's own code (not the user's, nor a library's)."""
    code = getattr(task.get_coro(), "cr_code", None)
    return code is not None and is_own_frame(code.co_filename)


def _task_globals(task: asyncio.Task[Any]) -> int | None:
    frame = getattr(task.get_coro(), "cr_frame", None)
    return id(frame.f_globals) if frame is not None else None
