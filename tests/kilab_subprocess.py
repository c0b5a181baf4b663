"""Run the ``kilab`` command in a real subprocess, as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def run_kilab(
    *args: str,
    home: Path,
    cwd: Path = ROOT,
    env: Mapping[str, str] | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """``python -m kilab ARGS`` with its runs, checkpoints and caches under ``home``."""
    environment = {
        **os.environ,
        "KILAB_HOME": str(home),
        "KILAB_CACHE": str(home / "cache"),
        "NO_COLOR": "1",
        "COLUMNS": "200",
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "kilab", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def eval_json(pilot: str, variants: str, home: Path) -> dict[str, Any]:
    """``kilab eval PILOT --variants … --json`` with its store under ``home``; the parsed JSON."""
    done = run_kilab(
        "eval",
        pilot,
        "--variants",
        variants,
        "--json",
        "--store",
        str(home / "runs.sqlite"),
        home=home,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result
