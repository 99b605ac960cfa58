"""Every bundled example imports and runs headless without failures other than intended.

All examples run at once (in parallel subprocesses) for a few seconds with
``--headless --json``; each test then reads one example's JSON lines.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
SECONDS = "4"

#: Loops each example is *meant* to end ``failed`` within a few seconds.
EXPECTED_FAILED = {
    "demo": {"parse_prices"},
    "failing": {"parse_feed", "load_settings"},
    "flaky": {"strict_fetch"},
}


@pytest.fixture(scope="module")
def runs() -> dict[str, tuple[int, list[dict], str]]:
    procs = {}
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("DISCORD_TOKEN", None)
    for path in EXAMPLES:
        procs[path.stem] = subprocess.Popen(
            [sys.executable, "-m", "looptui", str(path), "--headless", "--json", "--for", SECONDS,
             "--no-reload"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env,
        )
    results = {}
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=120)
        results[name] = (proc.returncode, [json.loads(line) for line in out.splitlines()], err)
    return results


def test_every_example_is_covered():
    assert {p.stem for p in EXAMPLES} >= {"demo", *EXPECTED_FAILED}
    assert len(EXAMPLES) >= 14


@pytest.mark.parametrize("name", [p.stem for p in EXAMPLES])
def test_example_runs_headless(runs, name):
    code, events, err = runs[name]
    expected = EXPECTED_FAILED.get(name, set())
    assert events, f"{name}: no events; stderr:\n{err}"
    summary = events[-1]
    assert summary["event"] == "summary"
    failed = {entry["loop"] for entry in summary["loops"] if entry["state"] == "failed"}
    assert failed == expected, f"{name}: failed loops {failed}, expected {expected}"
    assert code == (3 if expected else 0), f"{name}: exit {code}; stderr:\n{err}"
    ran = [e for e in events if e["event"] == "iteration_finished"]
    assert ran, f"{name}: no iteration finished within {SECONDS} s"
    assert err == "", f"{name}: wrote to the terminal's stderr:\n{err}"
