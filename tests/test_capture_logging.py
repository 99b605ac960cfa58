"""Logging the program sets up itself is still captured per loop, and still works for it.

Real ``looptui --headless --json`` runs of small programs: ``logging.basicConfig`` at
import (to the terminal, to a file, to a stream of the program's own), discord.py's
``setup_logging`` (the handler ``Client.run`` installs), and no configuration at all
(Python's last-resort handler). Each record shows once, on the loop whose code logged it,
and the program's own handlers keep writing where they did.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

LOOP = """
    log = logging.getLogger("mybot")

    @loop(seconds=0.05, count=2)
    async def poll():
        log.info("polled %d", poll.current_loop)
        log.warning("careful")

    log.warning("outside any loop")
"""


MESSAGES = ("polled 0", "polled 1", "careful", "outside any loop")
"""What the program logs (a library's own records are left out of the comparisons)."""


def program(tmp_path: Path, setup: str, loop_import: str = "from looptui import loop") -> Path:
    path = tmp_path / "bot.py"
    path.write_text(textwrap.dedent(f"import logging\nimport sys\n{loop_import}\n")
                    + textwrap.dedent(setup) + textwrap.dedent(LOOP))
    return path


def logs(path: Path) -> list[dict[str, Any]]:
    result = subprocess.run(
        [sys.executable, "-m", "looptui", str(path), "--headless", "--json", "--no-reload",
         "--for", "2"], capture_output=True, text=True, timeout=60, cwd=path.parent,
    )
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return [(e["loop"], e["stream"], e["text"]) for e in events
            if e["event"] == "log" and e["text"].endswith(MESSAGES)]


def test_basic_config_to_the_terminal(tmp_path):
    bot = program(tmp_path, 'logging.basicConfig(level=logging.INFO, format="%(name)s %(message)s")\n')
    assert logs(bot) == [
        (None, "logging", "mybot outside any loop"),
        ("poll", "logging", "mybot polled 0"), ("poll", "logging", "mybot careful"),
        ("poll", "logging", "mybot polled 1"), ("poll", "logging", "mybot careful"),
    ]


@pytest.mark.parametrize("target", ["filename", "stream"])
def test_basic_config_elsewhere_keeps_writing_there_and_is_captured(tmp_path, target):
    where = tmp_path / "bot.log"
    setup = (f'logging.basicConfig(level=logging.INFO, format="%(message)s", filename={str(where)!r})\n'
             if target == "filename" else
             f'own = open({str(where)!r}, "w", buffering=1)\n'
             'logging.basicConfig(level=logging.INFO, format="%(message)s", stream=own)\n')
    bot = program(tmp_path, setup)
    assert logs(bot) == [
        (None, "logging", "outside any loop"),
        ("poll", "logging", "polled 0"), ("poll", "logging", "careful"),
        ("poll", "logging", "polled 1"), ("poll", "logging", "careful"),
    ]
    assert where.read_text().splitlines() == [
        "outside any loop", "polled 0", "careful", "polled 1", "careful"]


def test_a_program_that_replaced_stderr_keeps_its_log_and_looptui_sees_it(tmp_path):
    where = tmp_path / "err.log"
    bot = program(tmp_path, f'sys.stderr = open({str(where)!r}, "w", buffering=1)\n'
                            'logging.basicConfig(level=logging.WARNING, format="%(message)s")\n')
    assert logs(bot) == [(None, "logging", "outside any loop"),
                         ("poll", "logging", "careful"), ("poll", "logging", "careful")]
    assert where.read_text().splitlines() == ["outside any loop", "careful", "careful"]


def test_discord_setup_logging_is_captured_in_its_format(tmp_path):
    pytest.importorskip("discord")
    bot = program(tmp_path, "import discord\ndiscord.utils.setup_logging(level=logging.INFO)\n",
                  "from discord.ext.tasks import loop")
    found = logs(bot)
    assert [(who, stream) for who, stream, _ in found] == [
        (None, "logging"), *[("poll", "logging")] * 4]
    # discord.py colours its format where it believes a terminal is (in a container, say):
    # the codes are the program's text, neutralised when shown
    plain = [re.sub(r"\x1b\[[0-9;]*m", "", text) for _, _, text in found]
    assert plain[1].endswith("mybot polled 0") and " INFO " in plain[1]


def test_without_configuration_warnings_show_once_as_python_prints_them(tmp_path):
    bot = program(tmp_path, "")
    assert logs(bot) == [(None, "logging", "outside any loop"),
                         ("poll", "logging", "careful"), ("poll", "logging", "careful")]
