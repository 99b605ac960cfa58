"""The ``--record`` writer process: JSON encoding and file writes beside the event loop.

Encoding an event as JSON text costs a few microseconds of Python; with thousands of
loops that is tens of thousands of events a second, all on the event loop the monitored
loops run on (a thread would not help: it holds the interpreter lock while it encodes).
So the recorder hands each batch to a child process instead: the batch's raw items
(see :func:`~looptui.session.events.encode.encode_batch`) go through a pipe as one
:mod:`marshal` frame, a fraction of the cost of encoding them, and the child encodes
them with the same function and appends the lines to the record file it inherited, one
``write`` per batch.

The child ignores the terminal's signals (a session of its own) and ends when the pipe
does: at :meth:`WriterProcess.close`, or when looptui dies (even by ``kill -9``: what was
sent is still written). A write that fails there is reported back as one line and said
by the recorder at once. Where no process can be started (no interpreter, no ``fork``),
the recorder encodes in its own process as before.
"""

from __future__ import annotations

import asyncio
import marshal
import os
import subprocess
import sys
from pathlib import Path
from typing import IO, Any, Callable

from looptui.session.events.encode import encode_batch

__all__ = ["WriterProcess", "child_main"]

_MAX_PENDING = 64 * 1024 * 1024
"""Bytes waiting for the pipe beyond which sending waits for the child (bounds memory)."""
_PIPE_SIZE = 1024 * 1024
"""Bytes asked for the pipe's buffer (the usual limit for a process without privileges)."""
_CLOSE_TIMEOUT = 60.0
"""Seconds :meth:`WriterProcess.close` waits for the child to write what it was sent."""
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[3])


class WriterProcess:
    """The parent's end of a writer child: frames out through its stdin, reports back
    through its stdout.

    Attributes:
        reason: Why the child stopped writing, once it said so (or ended on its own).
    """

    def __init__(self, proc: subprocess.Popen[bytes], loop: asyncio.AbstractEventLoop,
                 on_error: Callable[[str], None]) -> None:
        self._proc = proc
        self._loop = loop
        self._on_error = on_error
        self.reason: str | None = None
        self._pending = bytearray()
        self._sent = 0  # bytes of _pending the pipe has taken
        self._watching = False
        self._closing = False
        assert proc.stdin is not None and proc.stdout is not None
        self._out = proc.stdin.fileno()
        self._reports = proc.stdout.fileno()
        os.set_blocking(self._out, False)
        os.set_blocking(self._reports, False)
        try:  # a pipe that holds a whole batch takes it in one write (Linux)
            import fcntl

            fcntl.fcntl(self._out, fcntl.F_SETPIPE_SZ, _PIPE_SIZE)
        except (ImportError, AttributeError, OSError):
            pass  # the default size: more writes, same bytes
        loop.add_reader(self._reports, self._read_report)

    @property
    def pid(self) -> int:
        """The child's process id."""
        return self._proc.pid

    @classmethod
    def start(cls, file: IO[str], on_error: Callable[[str], None]) -> WriterProcess | None:
        """A child appending to *file* (its descriptor is inherited), or ``None`` when no
        process can be started here; must be called on a running event loop."""
        if os.name != "posix" or not sys.executable:
            return None
        loop = asyncio.get_running_loop()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            [_PACKAGE_ROOT] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
        fd = file.fileno()
        try:
            proc = subprocess.Popen(
                [sys.executable, "-c",
                 "from looptui.session.events.writer_process import child_main; child_main()",
                 str(fd)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                pass_fds=(fd,), start_new_session=True, env=env,
            )
        except (OSError, ValueError):
            return None
        return cls(proc, loop, on_error)

    def send(self, items: list[Any]) -> None:
        """Hand *items* to the child (what the pipe does not take now goes later)."""
        if self.reason is not None:
            return
        try:
            body = marshal.dumps(items)
        except ValueError:  # something marshal cannot carry: encode the batch here
            body = marshal.dumps([(encode_batch(items),)])
        self._pending += len(body).to_bytes(8, "little")
        self._pending += body
        self._pump()
        if len(self._pending) - self._sent > _MAX_PENDING:  # the child is far behind: wait for it
            self._drain()

    def _pump(self) -> None:
        pending = self._pending
        try:
            while self._sent < len(pending):
                with memoryview(pending) as view, view[self._sent:] as rest:
                    self._sent += os.write(self._out, rest)
        except BlockingIOError:
            pass
        except OSError as exc:  # the child is gone: what did it say before it went?
            self._pending.clear()
            self._sent = 0
            self._unwatch()
            self._collect(exc)
            return
        if self._sent >= len(pending):
            pending.clear()
            self._sent = 0
            self._unwatch()
        elif not self._watching:
            self._loop.add_writer(self._out, self._pump)
            self._watching = True

    def _unwatch(self) -> None:
        if self._watching:
            self._watching = False
            try:
                self._loop.remove_writer(self._out)
            except (RuntimeError, ValueError):  # the loop is closed
                pass

    def _drain(self) -> None:
        """Write everything pending, waiting for the pipe (at close, or far behind)."""
        self._unwatch()
        os.set_blocking(self._out, True)
        try:
            self._pump()
        finally:
            os.set_blocking(self._out, False)

    def _read_report(self) -> None:
        try:
            data = os.read(self._reports, 65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if data:
            self._fail(_last_line(data) or "the writer process failed")
            return
        self._stop_reading()
        if not self._closing:
            self._fail(self._ended_reason(None))

    def _stop_reading(self) -> None:
        try:
            self._loop.remove_reader(self._reports)
        except (RuntimeError, ValueError):
            pass

    def _ended_reason(self, exc: OSError | None) -> str:
        status = self._proc.poll()
        detail = f" (status {status})" if status is not None else ""
        return f"the writer process ended{detail}" + (f": {exc.strerror}" if exc else "")

    def _fail(self, reason: str) -> None:
        if self.reason is None:
            self.reason = reason
            self._on_error(reason)

    def close(self) -> str | None:
        """Send what is pending, end the child once it has written it, return why it
        stopped writing (or ``None``)."""
        self._closing = True
        if self.reason is None:
            self._drain()
        self._stop_reading()
        assert self._proc.stdin is not None and self._proc.stdout is not None
        try:
            self._proc.stdin.close()
        except OSError:
            pass
        self._collect(None)
        self._proc.stdout.close()
        return self.reason

    def _collect(self, exc: OSError | None) -> None:
        """Wait for the child to end and take its last report (a failure's reason)."""
        assert self._proc.stdout is not None
        self._stop_reading()
        try:
            self._proc.wait(_CLOSE_TIMEOUT)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
            self._fail(f"the writer process did not finish within {_CLOSE_TIMEOUT:g} s")
        os.set_blocking(self._reports, True)
        report = _last_line(self._proc.stdout.read())
        if report:
            self._fail(report)
        elif self._proc.returncode or exc is not None:
            self._fail(self._ended_reason(exc))


def _last_line(data: bytes) -> str:
    """The last line the child said (a reason, or the end of a traceback)."""
    lines = data.decode("utf-8", "replace").strip().splitlines()
    return lines[-1].strip() if lines else ""


def child_main() -> None:
    """The child: read frames from stdin, append their lines to the descriptor named by
    the first argument, until stdin ends; a failed write is said on stdout (exit 1)."""
    source = sys.stdin.buffer
    file = open(int(sys.argv[1]), "a", encoding="utf-8", errors="backslashreplace")
    while True:
        head = source.read(8)
        size = int.from_bytes(head, "little")
        body = source.read(size) if len(head) == 8 else b""
        if len(body) < size or len(head) < 8:  # the end (looptui may have died mid-frame)
            break
        text = encode_batch(marshal.loads(body))
        try:
            file.write(text)
            file.flush()
        except OSError as exc:
            sys.stdout.write(f"{exc.strerror or exc}\n")
            sys.stdout.flush()
            os._exit(1)  # not another flush of what the file refused
    file.close()
