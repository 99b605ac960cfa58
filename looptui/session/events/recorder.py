"""``--record FILE``: append every event to FILE as JSON lines, written in batches.

Checked before anything of the program runs (usage errors, exit 2): the path must be a
regular file or not exist yet (a FIFO would hang, a device is not a record), must not
be one of the program's own files (a ``.py`` file: appending JSON to the source would
break it and trigger a reload at every write — nor a link to one: the path is resolved
through symbolic links, and a file with several hard links is compared, by inode, with
the source files in the program's folder), and must be writable.

Writing: events are kept for at most :data:`FLUSH_EVERY` seconds and then written with
one ``write`` of whole lines and a flush to the operating system (also at exit). While an
event loop runs, a batch is handed to a writer process (:mod:`.writer_process`) that
encodes and writes it, so the loops pay only for handing it over, even when thousands of
them iterate; without an event loop, or where no process can start, the batch is
encoded and written here. A ``kill -9`` of looptui loses at most what was not yet handed
over (the last :data:`FLUSH_EVERY` seconds) and leaves at most a partial last line;
every complete line is valid JSON. A file that ends mid-line (after a
crash or a full disk) gets a newline before the first new event, so the first new line
is valid too. (There is no ``fsync``: a power cut may still lose what the system had not
yet written to disk.)

If writing fails mid-run (disk full), recording stops, the reason is kept in
:attr:`Recorder.error` and handed to ``on_error`` at once, so front ends say so while
the program still runs; the monitored loops are not disturbed.
"""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path
from typing import IO, Any, Callable

from looptui.core import clock
from looptui.session.events.encode import encode_batch
from looptui.session.events.writer_process import WriterProcess
from looptui.session.program.loader import TargetUsageError

__all__ = ["Recorder", "RecordError", "FLUSH_EVERY", "EXIT_RECORD_FAILED"]

EXIT_RECORD_FAILED = 4
"""Exit status when writing the ``--record`` file failed during the run (it is
incomplete); it takes precedence over 3 (a loop failed)."""

FLUSH_EVERY = 0.05
"""Seconds an event may wait before it is written to the file."""
_MAX_BATCH = 400_000
"""Items waiting (one per event dict, four per raw event) that force a write before
:data:`FLUSH_EVERY` is up (bounds memory)."""


class RecordError(TargetUsageError):
    """The ``--record`` file cannot be used (exit 2)."""


_SOURCE_SUFFIXES = (".py", ".pyw")
_SKIPPED_FOLDERS = frozenset({"__pycache__", "node_modules", "site-packages", "venv"})
MAX_FILES_COMPARED = 20_000
"""Source files of the program's folder compared with an existing ``--record`` file."""


def _source_files(root: Path) -> Any:
    """The ``.py`` files under *root* (not in hidden folders, caches, virtual envs)."""
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = [d for d in subfolders
                         if not d.startswith(".") and d not in _SKIPPED_FOLDERS]
        for name in files:
            if name.lower().endswith(_SOURCE_SUFFIXES):
                yield Path(folder) / name


def _same_as_source(info: os.stat_result, root: Path | None) -> Path | None:
    """The program's source file that is the same file (inode) as *info*, if any."""
    if root is None:
        return None
    for count, source in enumerate(_source_files(root)):
        if count >= MAX_FILES_COMPARED:
            return None
        try:
            other = source.stat()
        except OSError:
            continue
        if (other.st_dev, other.st_ino) == (info.st_dev, info.st_ino):
            return source
    return None


def _refuse_source(given: str, what: str) -> RecordError:
    return RecordError(
        f"--record {given}: {what}; recording would append JSON to your program's "
        "code.\nGive a file of its own, e.g. --record events.jsonl."
    )


def _check_path(path: Path, given: str, program_root: Path | None = None) -> None:
    if path.suffix.lower() in _SOURCE_SUFFIXES:
        raise _refuse_source(given, "that is a Python source file")
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError):  # a link loop: opening it fails below, said there
        resolved = path
    if resolved.suffix.lower() in _SOURCE_SUFFIXES:
        raise _refuse_source(given, f"it leads (through a link) to the Python source "
                                    f"file {resolved}")
    try:
        info = path.stat()
    except FileNotFoundError:
        return
    except OSError as exc:
        raise RecordError(f"--record {given}: cannot use it ({exc.strerror or exc}).") from None
    if stat.S_ISDIR(info.st_mode):
        raise RecordError(
            f"--record {given}: is a directory.\nGive a file name, e.g. --record events.jsonl."
        )
    if not stat.S_ISREG(info.st_mode):
        raise RecordError(
            f"--record {given}: is not a regular file (a pipe, socket or device).\n"
            "Give a file name, e.g. --record events.jsonl; for a stream of events use "
            "--headless --json."
        )
    same = _same_as_source(info, program_root) if info.st_nlink > 1 else None
    if same is not None:
        raise _refuse_source(given, f"it is the same file as {same} (a hard link)")


def _ends_mid_line(path: Path) -> bool:
    try:
        with open(path, "rb") as file:
            file.seek(0, os.SEEK_END)
            if file.tell() == 0:
                return False
            file.seek(-1, os.SEEK_END)
            return file.read(1) != b"\n"
    except OSError:
        return False


class Recorder:
    """A sink that appends event dicts to a file as JSON lines, in batches.

    Attributes:
        path: The file written to.
        error: Why recording stopped early, or ``None``.
        written: Events written so far (handed to the writer process, when one writes).
    """

    def __init__(self, path: str | Path, on_error: Callable[[str], None] | None = None,
                 writer_process: bool = True, program_root: str | Path | None = None) -> None:
        """Check and open *path* for appending; *writer_process*: hand batches to a writer
        process while an event loop runs (``False``: always encode and write here);
        *program_root*: the program's folder, whose source files the record must not be
        (a hard link to one of them).

        Raises:
            RecordError: *path* is a directory, not a regular file, a ``.py`` file (also
                through a symbolic link, or a hard link to a source file in
                *program_root*), or cannot be opened for appending.
        """
        given = str(path)
        self.path = Path(path).expanduser()
        self.error: str | None = None
        self.written = 0
        self.on_error = on_error
        _check_path(self.path, given, Path(program_root) if program_root else None)
        fresh_line = _ends_mid_line(self.path)
        try:
            # backslashreplace: a lone surrogate (undecodable output) becomes a JSON \u escape
            self._file: IO[str] | None = open(
                self.path, "a", encoding="utf-8", errors="backslashreplace"
            )
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise RecordError(
                f"--record {given}: cannot open for writing ({reason}).\n"
                "Check that the folder exists and that you may write there."
            ) from None
        # Event dicts, and raw events as four items each: kind, loop name, fields, time.
        # Flat, not one tuple per event: a tuple waiting 50 ms survives a young garbage
        # collection, and with thousands of loops those made the collector scan the whole
        # heap again and again (seconds of pauses in a 10 s run); strings, numbers and
        # dicts of them are not tracked by the collector at all.
        self._waiting: list[Any] = []
        self._waiting_events = 0
        self._timer: asyncio.TimerHandle | None = None
        self._process: WriterProcess | None = None
        self._process_tried = not writer_process
        if fresh_line:
            self._write("\n")

    @property
    def writer_pid(self) -> int | None:
        """The id of the process that encodes and writes the batches, while one does
        (see :mod:`.writer_process`); ``None`` when they are written by this process."""
        return self._process.pid if self._process is not None else None

    def wants(self, kind: str, fields: dict[str, Any]) -> bool:
        """Every event is recorded (while the file is writable)."""
        return self._file is not None

    def take_raw(self, kind: str, tracker: Any, fields: dict[str, Any]) -> None:
        """Keep a loop event of :data:`~looptui.session.events.encode.RAW_KINDS` without
        its dict (encoded when written)."""
        if self._file is None:
            return
        self._waiting += (kind, tracker.name, fields,
                          fields["time"] if "time" in fields else clock.now())
        self._waiting_events += 1
        if self._timer is None or len(self._waiting) >= _MAX_BATCH:
            self._arm()

    def __call__(self, event: dict[str, Any]) -> None:
        """Keep *event*; it is written within :data:`FLUSH_EVERY` seconds."""
        if self._file is None:
            return
        self._waiting.append(event)
        self._waiting_events += 1
        self._arm()

    def _arm(self) -> None:
        if self._timer is not None:
            if len(self._waiting) >= _MAX_BATCH:
                self.flush()
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop (tests, shutdown): write at once
            self.flush()
            return
        self._timer = loop.call_later(FLUSH_EVERY, self.flush)

    def flush(self) -> None:
        """Write every waiting event now."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        waiting, self._waiting = self._waiting, []
        count, self._waiting_events = self._waiting_events, 0
        if not waiting or self._file is None:
            return
        process = self._writer_process()
        if process is not None:
            process.send(waiting)
            if process.reason is None:
                self.written += count
        elif self._write(encode_batch(waiting)):
            self.written += count

    def _writer_process(self) -> WriterProcess | None:
        """The child that writes the batches, started at the first one written while an
        event loop runs (``None``: no event loop, or no process could be started)."""
        if self._process is None and not self._process_tried:
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                return None
            self._process_tried = True
            file = self._file
            if file is not None:
                file.flush()
                self._process = WriterProcess.start(file, self._process_failed)
        return self._process

    def _process_failed(self, reason: str) -> None:
        if self.error is None:
            self.error = f"recording to {self.path} stopped: {reason}"
            self._close_file()
            if self.on_error is not None:
                self.on_error(self.error)

    def _write(self, text: str) -> bool:
        file = self._file
        if file is None:
            return False
        try:
            file.write(text)
            file.flush()
        except (OSError, ValueError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            self.error = f"recording to {self.path} stopped: {reason}"
            self._close_file()
            if self.on_error is not None:
                self.on_error(self.error)
            return False
        return True

    def close(self) -> None:
        """Write what is waiting, then close the file (further events are ignored); with
        a writer process, wait until it has written everything."""
        self.flush()
        process, self._process = self._process, None
        if process is not None:
            process.close()  # a failure it reports comes through _process_failed
        self._close_file()

    def _close_file(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._waiting = []
        self._waiting_events = 0
        file, self._file = self._file, None
        if file is not None:
            try:
                file.close()
            except OSError:
                pass
