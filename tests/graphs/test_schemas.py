"""The committed JSON Schemas catch in an editor what ``kilab validate`` catches: each planted
typo in a tool's ``with:``, an agent's ``settings:`` or a variant's overrides is flagged by a
real JSON Schema validator (``jsonschema``) and by ``kilab validate``; the configs as shipped
raise nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from kilab.core.errors import ConfigError
from kilab.graphs.project import load_project

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
SCHEMAS = CONFIGS / "schemas"

# (what is planted, file, old text, new text): each a mistake kilab validate reports.
TYPOS = [
    ("unknown with: key of search", "graphs/rag-review.yaml", "k: 5}", "kk: 5}"),
    ("bad with: value of search", "graphs/rag-review.yaml", "k: 5}", "k: 500}"),
    ("unknown tool", "graphs/rag-review.yaml", "tool: search", "tool: serch"),
    ("with: key of human-approval", "graphs/notat.yaml", "eval_policy:", "eval_polcy:"),
    ("with: value of human-approval", "graphs/notat.yaml", "policy: approve", "policy: yes"),
    ("settings: key of reviewer", "agents/reviewer.yaml", "min_support:", "min_suport:"),
    ("settings: value of reviewer", "agents/reviewer.yaml", "min_support: 0.6", "min_support: 6"),
    ("settings: key of drafter", "agents/drafter.yaml", "max_sentences:", "max_sentenses:"),
    ("settings: key of researcher", "agents/researcher.yaml", "fetch_top:", "fetch_tops:"),
    ("settings: value of researcher", "agents/researcher.yaml", "mode: bm25", "mode: bm52"),
    ("unknown role", "agents/drafter.yaml", "role: drafter", "role: drafer"),
    ("variant node override", "pilots/husleie.yaml", "{retrieve: {k: 10}}", "{retrieve: {kk: 10}}"),
    (
        "variant agent settings",
        "pilots/husleie.yaml",
        "settings: {max_passage_chars: 700",
        "settings: {max_pasage_chars: 700",
    ),
]


def _schema_of(path: Path) -> dict[str, Any]:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# yaml-language-server: $schema="), path
    target = (path.parent / first.split("=", 1)[1]).resolve()
    assert target.parent.name == "schemas" and target.is_file(), target
    schema: dict[str, Any] = json.loads(target.read_text(encoding="utf-8"))
    return schema


def _schema_errors(path: Path) -> list[str]:
    validator = Draft202012Validator(_schema_of(path))
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [error.message for error in validator.iter_errors(document)]


def test_the_schemas_are_valid_json_schemas() -> None:
    for file in sorted(SCHEMAS.glob("*.schema.json")):
        Draft202012Validator.check_schema(json.loads(file.read_text(encoding="utf-8")))


def test_every_shipped_config_fits_its_schema() -> None:
    files = [p for p in CONFIGS.rglob("*.yaml") if "schemas" not in p.parts]
    assert len(files) >= 10
    assert {p: _schema_errors(p) for p in files} == {p: [] for p in files}


@pytest.mark.parametrize(("planted", "file", "old", "new"), TYPOS, ids=[t[0] for t in TYPOS])
def test_a_planted_typo_is_flagged_by_the_schema_and_by_validate(
    tmp_path: Path, planted: str, file: str, old: str, new: str
) -> None:
    configs = tmp_path / "configs"
    shutil.copytree(CONFIGS, configs, ignore=shutil.ignore_patterns("datasets", "*.jsonl"))
    shutil.copytree(CONFIGS / "datasets", configs / "datasets")
    target = configs / file
    text = target.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"test setup: {old!r} in {file}"
    target.write_text(text.replace(old, new), encoding="utf-8")

    assert _schema_errors(target), f"the schema let through: {planted}"
    with pytest.raises(ConfigError) as caught:
        load_project([configs], root=configs)
    assert any(p.location.file.name == target.name for p in caught.value.problems)
