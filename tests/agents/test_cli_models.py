"""``kilab models`` as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def kilab(*args: str, models: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "KILAB_MODELS": str(models),
        "NO_COLOR": "1",
        "COLUMNS": "200",
        "AZURE_OPENAI_API_KEY": "sk-kilab-FAKE-KEY-0000-do-not-leak-1234",
    }
    return subprocess.run(
        [sys.executable, "-m", "kilab", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_list_shows_variable_names_never_values(tmp_path: Path) -> None:
    done = kilab("models", "list", models=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "AZURE_OPENAI_API_KEY (set)" in done.stdout
    assert "do-not-leak" not in done.stdout
    assert "no: kilab models pull qwen2.5-1.5b" in done.stdout


def test_pull_of_an_unknown_model_is_a_user_error(tmp_path: Path) -> None:
    done = kilab("models", "pull", "qwen2.5-1.6b", models=tmp_path)
    assert done.returncode == 2
    assert "did you mean 'qwen2.5-1.5b'" in done.stderr
    assert "Traceback" not in done.stderr
