"""``kilab models`` as a user runs it."""

from __future__ import annotations

import subprocess
from pathlib import Path

from kilab_subprocess import run_kilab

ROOT = Path(__file__).resolve().parents[2]


def kilab(*args: str, models: Path) -> subprocess.CompletedProcess[str]:
    fake_key = "sk-kilab-FAKE-KEY-0000-do-not-leak-1234"
    return run_kilab(
        *args,
        home=models,
        env={"KILAB_MODELS": str(models), "AZURE_OPENAI_API_KEY": fake_key},
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
