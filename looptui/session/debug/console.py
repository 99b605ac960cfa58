"""Python typed by the user, evaluated in the program's namespace on its running loop.

:class:`Console` compiles what the console pane sends with top-level ``await`` allowed
(``ast.PyCF_ALLOW_TOP_LEVEL_AWAIT``) and runs it in a task of its own on the program's
event loop, so ``await bot.fetch_user(…)`` or ``await asyncio.sleep(1)`` works and the
loops go on meanwhile. Names are looked up in the target module's globals, after
``loops`` (the monitored loops by name) and ``clients`` (the Discord clients the program
created); assignments go to the module's globals, so the program sees them. The value of
a last expression is shown with ``repr`` (pretty-printed), an exception as its
traceback, and what the statements print (also tasks they start) is collected for the
pane instead of being a loop's output (:data:`~looptui.core.context.output_redirect`).

Nothing is ever evaluated but what the console pane sends. A statement that awaits can
be cancelled (:meth:`Console.cancel`); one that computes without awaiting holds the
event loop (the TUI included) until it ends, as any code on the loop does.
"""

from __future__ import annotations

import ast
import asyncio
import codeop
import collections.abc
import contextvars
import inspect
import io
import itertools
import sys
import traceback
from collections.abc import Callable, Iterator
from typing import Any

from looptui.core.context import output_redirect

__all__ = ["RESULT_LIMIT", "Console", "is_complete"]

RESULT_LIMIT = 200_000
"""Characters of a result's repr or of the output kept per evaluation."""
FILENAME = "<console>"
_FLAGS = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT


def is_complete(source: str) -> bool:
    """Whether *source* is a whole statement (else the pane asks for more lines, as the
    Python prompt does after ``if x:`` or an open bracket). Invalid code is complete:
    running it shows the ``SyntaxError``."""
    compiler = codeop.CommandCompiler()
    compiler.compiler.flags |= _FLAGS
    try:
        return compiler(source, FILENAME, "single") is not None
    except (SyntaxError, ValueError, OverflowError):
        return True


class _Scope(collections.abc.MutableMapping[str, Any]):
    """The console's names: ``loops`` and ``clients`` first, then the module's globals
    (where assignments go)."""

    def __init__(self, module: dict[str, Any], extra: dict[str, Any]) -> None:
        self.module = module
        self.extra = extra

    def __getitem__(self, key: str) -> Any:
        if key in self.extra:
            return self.extra[key]
        return self.module[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.module[key] = value

    def __delitem__(self, key: str) -> None:
        del self.module[key]

    def __iter__(self) -> Iterator[str]:
        return iter({**self.module, **self.extra})

    def __len__(self) -> int:
        return len({**self.module, **self.extra})


class _Redirecting(io.TextIOBase):
    """Stands in for ``sys.stdout``/``sys.stderr`` while an evaluation runs and no output
    capture is in place (an agent's program between clients, a test): writes of the
    evaluation go to the pane, every other write to the stream it replaced."""

    def __init__(self, original: Any, stream: str) -> None:
        super().__init__()
        self.original = original
        self.stream = stream

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        redirect = output_redirect.get()
        if redirect is not None and redirect(self.stream, text):
            return len(text)
        return int(self.original.write(text) or 0)

    def flush(self) -> None:
        self.original.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.original, name)


class _Output:
    """What one evaluation printed (bounded)."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.closed = False

    def take(self, stream: str, text: str) -> bool:
        """Keep *text*; once the evaluation ended (a task it started prints later) it is
        not taken, so it is shown as ordinary output again."""
        if self.closed:
            return False
        if self.size < RESULT_LIMIT:
            self.parts.append(text[: RESULT_LIMIT - self.size])
            self.size += len(text)
        return True

    @property
    def text(self) -> str:
        return "".join(self.parts)


def _compile(source: str) -> tuple[Any, Any]:
    """``(statements code or None, last expression code or None)``."""
    tree = ast.parse(source, FILENAME, "exec", type_comments=False)
    body: Any = None
    last: Any = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        expr = ast.Expression(tree.body[-1].value)
        last = compile(expr, FILENAME, "eval", flags=_FLAGS)
        tree.body = tree.body[:-1]
    if tree.body:
        body = compile(tree, FILENAME, "exec", flags=_FLAGS)
    return body, last


def _pretty(value: Any) -> str:
    """*value* pretty-printed (Rich), else its ``repr``; a ``repr`` that raises says so."""
    try:
        from rich.pretty import pretty_repr

        text = pretty_repr(value, max_width=100)
    except Exception:
        try:
            text = repr(value)
        except Exception as err:
            text = f"<repr failed: {type(err).__name__}: {err}>"
    return text if len(text) <= RESULT_LIMIT else text[:RESULT_LIMIT] + " …"


def _user_traceback(exc: BaseException) -> str:
    """The traceback from the console's own line inward (the evaluation machinery left out)."""
    if isinstance(exc, SyntaxError) and exc.filename == FILENAME:  # the typed code itself
        return "".join(traceback.format_exception_only(type(exc), exc))
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != FILENAME:
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb or exc.__traceback__))


class Console:
    """Evaluates console input on the running loop (see the module doc).

    Args:
        namespace: The module globals to evaluate in (asked for each time: a reload
            makes a new module).
        extra: ``loops`` and ``clients`` (asked for each time).
    """

    def __init__(self, namespace: Callable[[], dict[str, Any]],
                 extra: Callable[[], dict[str, Any]]) -> None:
        self.namespace = namespace
        self.extra = extra
        self.last: Any = None
        """The last result (``_`` in the console)."""
        self._running: dict[int, asyncio.Task[dict[str, Any]]] = {}
        self._ids = itertools.count(1)

    async def run(self, source: str, ident: int | None = None) -> dict[str, Any]:
        """Evaluate *source*; ``{ok, output, result, error, cancelled}`` (texts or None)."""
        ident = next(self._ids) if ident is None else ident
        output = _Output()
        context = contextvars.copy_context()
        context.run(output_redirect.set, output.take)
        task = asyncio.get_running_loop().create_task(
            self._evaluate(source, output), name="looptui console", context=context)
        self._running[ident] = task
        self._redirect_streams()
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            if not task.cancelled():  # the caller was cancelled, not the evaluation
                task.cancel()
                raise
            return {"ok": False, "output": output.text, "result": None,
                    "error": "cancelled", "cancelled": True}
        finally:
            self._running.pop(ident, None)
            output.closed = True
            if not self._running:
                self._restore_streams()

    def _redirect_streams(self) -> None:
        """Without an output capture, the streams are replaced while evaluations run."""
        for name in ("stdout", "stderr"):
            current = getattr(sys, name)
            if current is None or getattr(current, "looptui_capture", False) or \
                    isinstance(current, _Redirecting):
                continue
            setattr(sys, name, _Redirecting(current, name))

    def _restore_streams(self) -> None:
        for name in ("stdout", "stderr"):
            current = getattr(sys, name)
            if isinstance(current, _Redirecting):
                setattr(sys, name, current.original)

    def cancel(self, ident: int | None = None) -> bool:
        """Cancel evaluation *ident* (``None``: every one running); whether any was."""
        tasks = list(self._running.values()) if ident is None else \
            [t for t in (self._running.get(ident),) if t is not None]
        for task in tasks:
            task.cancel()
        return bool(tasks)

    async def _evaluate(self, source: str, output: _Output) -> dict[str, Any]:
        reply: dict[str, Any] = {"ok": True, "output": "", "result": None, "error": None,
                                 "cancelled": False}
        try:
            body, last = _compile(source)
            module = self.namespace()
            scope = _Scope(module, {**self.extra(), "_": self.last})
            for code in (body, last):
                if code is None:
                    continue
                value = eval(code, module, scope)
                if code.co_flags & inspect.CO_COROUTINE:  # top-level await in it
                    value = await value
                if code is last and value is not None:
                    reply["result"] = _pretty(value)
                    self.last = value
        except (Exception, SystemExit, KeyboardInterrupt) as exc:
            reply.update(ok=False, error=_user_traceback(exc))
        reply["output"] = output.text
        return reply
