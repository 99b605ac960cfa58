"""Headless output that cannot be written is said at once on stderr, with exit status 4
(the events were lost, as with a failed ``--record``): a full disk (``/dev/full``) and a
reader that went away (a closed pipe), with real processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

GUARD = 60

BOT = """
from looptui import loop

@loop(seconds=0.01)
async def beat():
    pass
"""


@pytest.fixture()
def bot(tmp_path: Path) -> Path:
    path = tmp_path / "bot.py"
    path.write_text(BOT)
    return path


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_disk_under_the_output_is_said_with_exit_4(bot: Path) -> None:
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "looptui", str(bot), "--headless",
                               "--json", "--for", "30"], stdout=full, stderr=subprocess.PIPE,
                              text=True, timeout=GUARD)
    assert done.returncode == 4
    assert "cannot write the events to the output: No space left on device" in done.stderr
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr


def test_a_reader_that_goes_away_is_said_with_exit_4(bot: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "looptui", str(bot), "--headless",
                             "--json", "--for", "30"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline()  # it runs and prints
    proc.stdout.close()  # as `| head -1` does
    try:
        status = proc.wait(GUARD)  # ended long before --for 30
    finally:
        if proc.poll() is None:
            proc.kill()
    stderr = proc.stderr.read()
    proc.stderr.close()
    assert status == 4
    assert "the reader went away (broken pipe)" in stderr
    assert "Traceback" not in stderr and "Exception ignored" not in stderr
