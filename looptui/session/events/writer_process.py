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
import select
import subprocess
import sys
from pathlib import Path
from typing import IO, Any, Callable

from looptui.session.events.encode import encode_batch

__all__ = ["CHILD_CODE", "WriterProcess"]

_MAX_PENDING = 64 * 1024 * 1024
"""Bytes waiting for the pipe beyond which sending waits for the child (bounds memory)."""
_PIPE_SIZE = 1024 * 1024
"""Bytes asked for the pipe's buffer (the usual limit for a process without privileges)."""
_CLOSE_TIMEOUT = 60.0
"""Seconds :meth:`WriterProcess.close` waits for the child to write what it was sent."""
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[3])
CHILD_CODE = (
    "import sys, types\n"
    "from pathlib import Path\n"
    "root = Path(sys.argv[3])\n"
    "for name in ('looptui', 'looptui.core', 'looptui.session', 'looptui.session.events',\n"
    "             'looptui.session.output'):\n"
    "    package = types.ModuleType(name)\n"
    "    package.__path__ = [str(root.joinpath(*name.split('.')))]\n"
    "    sys.modules[name] = package\n"
    "from looptui.session.events.writer_child import child_main\n"
    "child_main()\n"
)
"""What the child runs: the few modules the encoder needs, without the packages'
``__init__`` (importing all of looptui took the child a second to start on a busy
machine, and ``--json`` waited that long for its first line)."""


class WriterProcess:
    """The parent's end of a writer child: frames out through its stdin, reports back
    through its stdout.

    Attributes:
        reason: Why the child stopped writing, once it said so (or ended on its own).
    """

    def __init__(self, proc: subprocess.Popen[bytes], loop: asyncio.AbstractEventLoop,
                 on_error: Callable[[str], None], ascii_only: bool = False) -> None:
        self._proc = proc
        self._ascii_only = ascii_only
        self.blocking = False
        """Whether :meth:`send` waits for the pipe (a sender on a thread of its own)
        instead of leaving what it does not take to the event loop."""
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
    def start(cls, file: IO[str], on_error: Callable[[str], None], *,
              ascii_only: bool = False) -> WriterProcess | None:
        """A child appending to *file* (a duplicate of its descriptor is inherited:
        standard output works too), or ``None`` when no process can be started here;
        must be called on a running event loop. *ascii_only*: see
        :func:`~looptui.session.events.encode.encode_batch`."""
        if os.name != "posix" or not sys.executable:
            return None
        loop = asyncio.get_running_loop()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            [_PACKAGE_ROOT] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
        try:
            file.flush()  # what was written before comes first
            fd = os.dup(file.fileno())  # (the child's own 0-2 are its pipes)
        except (OSError, ValueError, AttributeError):  # no descriptor (a StringIO)
            return None
        try:
            proc = subprocess.Popen(
                [sys.executable, "-c", CHILD_CODE,
                 str(fd), "ascii" if ascii_only else "text", _PACKAGE_ROOT],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                pass_fds=(fd,), start_new_session=True, env=env,
            )
        except (OSError, ValueError):
            return None
        finally:
            os.close(fd)
        return cls(proc, loop, on_error, ascii_only)

    def send(self, items: list[Any]) -> None:
        """Hand *items* to the child (what the pipe does not take now goes later)."""
        if self.reason is not None:
            return
        try:
            body = marshal.dumps(items)
        except ValueError:  # something marshal cannot carry: encode the batch here
            body = marshal.dumps([(encode_batch(items, ascii_only=self._ascii_only),)])
        if self.blocking:
            self._send_blocking(len(body).to_bytes(8, "little") + body)
            return
        self._pending += len(body).to_bytes(8, "little")
        self._pending += body
        self._pump()
        if len(self._pending) - self._sent > _MAX_PENDING:  # the child is far behind: wait for it
            self._drain()

    def _send_blocking(self, frame: bytes) -> None:
        """Write *frame* whole, waiting for the pipe (from a thread of the sender's own:
        the event loop is not touched here; a failure is looked into on it)."""
        try:
            with memoryview(frame) as view:
                sent = 0
                while sent < len(frame):
                    try:
                        sent += os.write(self._out, view[sent:])
                    except BlockingIOError:
                        select.select([], [self._out], [], 1.0)
        except OSError as exc:  # the child is gone: what did it say before it went?
            if self.reason is None and not self._loop.is_closed():
                self._loop.call_soon_threadsafe(self._collect, exc)

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
