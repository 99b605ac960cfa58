"""py-cord, checked in its own process because it installs the same ``discord`` package.

py-cord is installed (once, cached) into the repository's git-ignored ``.venv-pycord/``
with ``pip install --target … --no-deps``; its dependencies (aiohttp, typing_extensions)
are already in the test environment as dependencies of discord.py. A subprocess then runs
``tests/fixtures/foreign/pycord_check.py`` with that folder first on ``PYTHONPATH``, so
``import discord`` is py-cord there. The test is skipped, saying why, when py-cord cannot
be installed (no package index reachable).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PYCORD = "py-cord==2.8.1"
"""The py-cord release the adapters were checked against."""

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".venv-pycord"
TARGET = CACHE / "target"
CHECK = Path(__file__).resolve().parent / "fixtures" / "foreign" / "pycord_check.py"


def _installed_version(target: Path) -> str | None:
    for info in target.glob("py_cord-*.dist-info"):
        return info.name[len("py_cord-"):-len(".dist-info")]
    return None


def _ensure_pycord() -> Path:
    wanted = PYCORD.split("==", 1)[1]
    if (TARGET / "discord" / "__init__.py").exists() and _installed_version(TARGET) == wanted:
        return TARGET
    for needed in ("aiohttp", "typing_extensions"):
        if importlib.util.find_spec(needed) is None:
            pytest.skip(f"py-cord needs {needed}, which is not installed in this environment")
    CACHE.mkdir(exist_ok=True)
    staging = CACHE / f"staging-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        done = subprocess.run(
            [
                sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                "--no-deps", "--target", str(staging), PYCORD,
            ],
            capture_output=True, text=True, timeout=180,
        )
    except subprocess.TimeoutExpired:
        shutil.rmtree(staging, ignore_errors=True)
        pytest.skip("installing py-cord took more than 180 s (package index unreachable?)")
    if done.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        pytest.skip(f"py-cord could not be installed with pip: {done.stderr.strip()[-500:]}")
    shutil.rmtree(TARGET, ignore_errors=True)
    staging.rename(TARGET)
    return TARGET


@pytest.fixture(scope="module")
def pycord_path() -> Path:
    return _ensure_pycord()


def test_pycord_loops_are_observed_and_unchanged(pycord_path: Path) -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(pycord_path), str(ROOT), *filter(None, [env.get("PYTHONPATH")])]
    )
    done = subprocess.run(
        [sys.executable, str(CHECK)], capture_output=True, text=True, timeout=120, env=env,
        cwd=str(ROOT),
    )
    lines = done.stdout.strip().splitlines()
    assert lines, f"no output from the py-cord check:\n{done.stderr}"
    report = json.loads(lines[-1])
    assert report["title"] == "pycord", report
    assert not report["failures"], "\n\n".join(
        f"--- {name}\n{text}" for name, text in report["failures"].items()
    )
    assert done.returncode == 0, done.stderr
    assert set(report["checks"]) == {
        "told apart before import", "is py-cord", "differential scenarios",
        "observed with source py-cord", "overlap bodies observed", "errors and monitor stop",
    }
