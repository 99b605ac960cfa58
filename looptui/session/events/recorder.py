"""``--record FILE``: append every event to FILE as JSON lines, written in batches.

Checked before anything of the program runs (usage errors, exit 2): the path must be a
regular file or not exist yet (a FIFO would hang, a device is not a record), must not
be one of the program's own files (a ``.py`` file: appending JSON to the source would
break it and trigger a reload at every write — nor a link to one: the path is resolved
through symbolic links, and a file with several hard links is compared, by inode, with
the source files in the program's folder), and must be writable.

Writing: events are kept for at most :data:`FLUSH_EVERY` seconds and then written with
one ``write`` of whole lines and a flush to the operating system (also at exit), by the
batched writer ``--json`` uses too (:mod:`.batched`): while an event loop runs, a
writer process encodes and writes each batch, so the loops pay only for handing it
over, even when thousands of them iterate. A ``kill -9`` of looptui loses at most what was not yet handed
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

import os
import stat
from pathlib import Path
from typing import Any, Callable

from looptui.session.events.batched import FLUSH_EVERY, BatchedLines
from looptui.session.program.loader import TargetUsageError

__all__ = ["Recorder", "RecordError", "FLUSH_EVERY", "EXIT_RECORD_FAILED"]

EXIT_RECORD_FAILED = 4
"""Exit status when writing the ``--record`` file failed during the run (it is
incomplete); it takes precedence over 3 (a loop failed)."""



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
        self.on_error = on_error
        _check_path(self.path, given, Path(program_root) if program_root else None)
        fresh_line = _ends_mid_line(self.path)
        try:
            # backslashreplace: a lone surrogate (undecodable output) becomes a JSON \u escape
            file = open(self.path, "a", encoding="utf-8", errors="backslashreplace")
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise RecordError(
                f"--record {given}: cannot open for writing ({reason}).\n"
                "Check that the folder exists and that you may write there."
            ) from None
        self._lines = BatchedLines(file, on_error=self._failed, writer_process=writer_process)
        self.take_raw = self._lines.take_raw
        """Keep a loop event of :data:`~looptui.session.events.encode.RAW_KINDS` without
        its dict (encoded when written)."""
        self.flush = self._lines.flush
        """Write every waiting event now."""
        if fresh_line:
            self._lines.write_now("\n")

    @property
    def error(self) -> str | None:
        """Why recording stopped early, or ``None``."""
        reason = self._lines.error
        return None if reason is None else f"recording to {self.path} stopped: {reason}"

    @property
    def written(self) -> int:
        """Events written so far (handed to the writer process, when one writes)."""
        return self._lines.written

    @property
    def writer_pid(self) -> int | None:
        """The id of the process that encodes and writes the batches, while one does
        (see :mod:`.writer_process`); ``None`` when they are written by this process."""
        return self._lines.writer_pid

    def wants(self, kind: str, fields: dict[str, Any]) -> bool:
        """Every event is recorded (while the file is writable)."""
        return self._lines.open

    def __call__(self, event: dict[str, Any]) -> None:
        """Keep *event*; it is written within :data:`FLUSH_EVERY` seconds."""
        self._lines(event)

    def _failed(self, reason: str) -> None:
        if self.on_error is not None:
            self.on_error(f"recording to {self.path} stopped: {reason}")

    def close(self) -> None:
        """Write what is waiting, then close the file (further events are ignored); with
        a writer process, wait until it has written everything."""
        self._lines.close()
