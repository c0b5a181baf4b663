"""The service serves exactly what was promoted: a config changed after promotion is refused
(unless ``--allow-changed``, and then every answer says so), as is a stage not reached."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest
from kilab_subprocess import run_kilab

from kilab.api.testing import Promoted, create_key, serving

pytestmark = pytest.mark.integration


def test_changed_config_is_refused_unless_allowed(promoted: Promoted, tmp_path: Path) -> None:
    copy = Promoted(home=tmp_path, configs=tmp_path / "configs", log=tmp_path / "promotions.jsonl")
    shutil.copytree(promoted.configs, copy.configs)
    shutil.copy(promoted.log, copy.log)
    args = ("--configs", str(copy.configs), "--log", str(copy.log), "--port", "1")

    too_far = run_kilab("api", "serve", "--stage", "production", *args, home=tmp_path)
    assert too_far.returncode != 0 and "Traceback" not in too_far.stderr
    assert "no pilot is promoted to production" in too_far.stdout + too_far.stderr

    drafter = copy.configs / "agents" / "drafter.yaml"
    drafter.write_text(
        drafter.read_text(encoding="utf-8").replace("max_sentences: 2", "max_sentences: 3")
    )
    refused = run_kilab("api", "serve", "--pilot", "mini", *args, home=tmp_path)
    said = refused.stdout + refused.stderr
    assert refused.returncode != 0 and "Traceback" not in said
    assert "mini: changed since its promotion record" in said and "config hash" in said

    key = create_key(tmp_path, None, "kd")
    with serving(copy, tmp_path, None, "--pilot", "mini", "--allow-changed") as replica:
        body = {
            "model": "mini",
            "messages": [{"role": "user", "content": "Hvor mye depositum kan utleier kreve?"}],
        }
        answer = httpx.post(
            f"{replica.v1}/chat/completions",
            json=body,
            headers={"Authorization": f"Bearer {key['key']}"},
            timeout=120,
        ).json()
    changed = answer["kilab"]["changed_since_promotion"]
    assert len(changed) == 1 and changed[0].startswith("config hash")
    assert answer["kilab"]["record"]["hash"] == promoted.records()["mini"]["hash"]
