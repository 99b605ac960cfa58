"""Why a program has no loops to show, in its own terms, and what to do about it.

An empty table used to say "decorate a coroutine with @loop…", which is false advice for
a bot full of loops whose start-up never got as far as creating them. :func:`why_no_loops`
tells the cases apart, from what the session knows:

* a hook ``--offline`` ran (``setup_hook``) failed before it created them;
* the main failed before any loop was created — where (the program's own line), and
  ``--offline`` when a Discord client is involved;
* the main runs, but its client is still logging in (``setup_hook``, ``cog_load`` and
  ``on_ready`` run only after login);
* the main ended without creating a loop;
* nothing started the program: the file defines a start-up function (``main()``) that
  nothing calls, or a client was created that nothing starts.

``None`` means none of these: the program really defines no loops.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Iterable

from looptui.session.program.runcalls import is_library_file

__all__ = ["EmptyReason", "why_no_loops", "program_line", "START_UP_NAMES"]

START_UP_NAMES = ("main", "run", "run_bot", "start", "start_bot", "bot_main", "cli")
"""Names of functions that usually start a program (an entry point calls them)."""


@dataclass(frozen=True)
class EmptyReason:
    """Why there are no loops (``what``) and the next step (``then``), one line each."""

    what: str
    then: str


def program_line(exc: BaseException | None, root: str) -> str | None:
    """``file:line`` of the program's own deepest frame in *exc*'s traceback."""
    tb = exc.__traceback__ if exc is not None else None
    found = None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if not is_library_file(filename):
            try:
                shown = os.path.relpath(filename, root)
            except ValueError:
                shown = filename
            found = f"{filename if shown.startswith('..') else shown}:{tb.tb_lineno}"
        tb = tb.tb_next
    return found


def _ready(client: Any) -> bool:
    try:
        return bool(client.is_ready())
    except Exception:
        return False


def _uncalled_start_up(module: ModuleType | None, root: str) -> tuple[str, str] | None:
    """``(name, file:line)`` of a start-up function *module* defines, if any."""
    if module is None:
        return None
    for name in START_UP_NAMES:
        func = vars(module).get(name)
        code = getattr(func, "__code__", None)
        if code is None or getattr(func, "__module__", None) != module.__name__:
            continue
        try:
            where = os.path.relpath(code.co_filename, root)
        except ValueError:
            where = code.co_filename
        return name, f"{where}:{code.co_firstlineno}"
    return None


def why_no_loops(*, main_state: str | None, main_name: str | None,
                 main_where: str | None, main_error: BaseException | None,
                 main_summary: str | None, clients: Iterable[tuple[Any, str, bool]],
                 offline: bool, module: ModuleType | None, root: str, target: str,
                 hook_failures: Iterable[dict[str, Any]] = ()) -> EmptyReason | None:
    """Why the program shows no loops (see the module docstring), or ``None``.

    Args:
        clients: ``(client, where created, started)`` of each Discord client.
        target: The target as the user gave it (for the suggested command line).
        hook_failures: Hooks ``--offline`` ran that raised (``client``, ``hook``,
            ``summary``, ``where``).
    """
    known = list(clients)
    name = main_name or "main"
    failures = list(hook_failures)
    if failures:
        failure = failures[-1]
        at = f" ({failure['where']})" if failure.get("where") else ""
        return EmptyReason(
            f"{failure['client']}.{failure['hook']} failed{at}: {failure['summary']}; "
            "what it does after that line (load cogs, start loops) did not run",
            "fix it and save, or guard the call that needs Discord (the log has the "
            "traceback)")
    if main_state == "failed":
        where = program_line(main_error, root) or main_where
        at = f" ({where})" if where and where not in name else ""
        then = ("try --offline: the bot's setup_hook, cogs and on_ready run without Discord"
                if known and not offline else "fix it and save: looptui reloads the program")
        return EmptyReason(f"main {name} failed before any loop was created{at}: "
                           f"{main_summary or 'see the log (l)'}", then)
    if main_state == "running":
        waiting = [client for client, _where, _started in known if not _ready(client)]
        if waiting and not offline:
            return EmptyReason(
                f"main {name} is running: {type(waiting[0]).__name__} is logging in; its "
                "loops appear once setup_hook, cog_load or on_ready start them",
                "no token or no network? try --offline")
        return EmptyReason(f"main {name} is running and has not created a loop yet",
                           "loops appear here as the program creates them")
    if main_state == "finished":
        return EmptyReason(f"main {name} finished without creating a loop",
                           "loops appear here as the program creates them")
    uncalled = _uncalled_start_up(module, root)
    if uncalled is not None:
        func, where = uncalled
        return EmptyReason(
            f"{func}() ({where}) is never called: nothing in the program starts it",
            f"try looptui {target} --main {func}")
    idle = [(client, where) for client, where, started in known if not started]
    if idle:
        client, where = idle[0]
        return EmptyReason(
            f"{type(client).__name__} created at {where}, but nothing starts it",
            f"try looptui {target} --offline (starts it without Discord), or --main NAME "
            "for the function that starts it")
    return None
