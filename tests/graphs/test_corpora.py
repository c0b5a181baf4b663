"""A corpus named on the command line: found from its own config file where it can be."""

from __future__ import annotations

from pathlib import Path

import pytest

from kilab.core.errors import ConfigError, NotFoundError
from kilab.graphs.corpora import resolve_corpus

CORPUS = "kind: corpus\nname: {name}\nfiles: [{file}]\nchunking: {{strategy: none}}\n"


@pytest.fixture
def configs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "configs"
    (root / "corpora").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "models.yaml").write_text("kind: models\nprofiles: {}\n", encoding="utf-8")
    (root / "data" / "lov.jsonl").write_text('{"id": "a", "text": "x"}\n', encoding="utf-8")
    (root / "corpora" / "lov.yaml").write_text(
        CORPUS.format(name="lov", file="../data/lov.jsonl"), encoding="utf-8"
    )
    monkeypatch.setenv("KILAB_CONFIGS", str(root))
    return root


def test_a_corpus_is_found_by_name_in_a_project_with_a_broken_pilot(configs: Path) -> None:
    (configs / "pilot.yaml").write_text("kind: pilot\nname: p\ngraph: [\n", encoding="utf-8")
    source = resolve_corpus("lov")
    assert source.name == "lov"
    assert source.files == ((configs / "data" / "lov.jsonl").resolve(),)


def test_a_flow_style_corpus_config_is_found_too(configs: Path) -> None:
    (configs / "corpora" / "flow.yaml").write_text(
        "{kind: corpus, name: flow, files: [../data/lov.jsonl]}\n", encoding="utf-8"
    )
    assert resolve_corpus("flow").name == "flow"


def test_a_name_declared_twice_is_the_whole_projects_error(configs: Path) -> None:
    (configs / "corpora" / "again.yaml").write_text(
        CORPUS.format(name="lov", file="../data/lov.jsonl"), encoding="utf-8"
    )
    with pytest.raises(ConfigError, match="already declared"):
        resolve_corpus("lov")


def test_an_unknown_name_gets_a_suggestion(configs: Path) -> None:
    with pytest.raises(NotFoundError, match="'lov'"):
        resolve_corpus("lvo")


def test_a_corpus_file_outside_the_project_is_refused_as_before(
    configs: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = tmp_path_factory.mktemp("elsewhere") / "secret.jsonl"
    outside.write_text('{"id": "s", "text": "hemmelig"}\n', encoding="utf-8")
    (configs / "corpora" / "ute.yaml").write_text(
        CORPUS.format(name="ute", file=str(outside)), encoding="utf-8"
    )
    with pytest.raises(ConfigError, match="outside the project folder"):
        resolve_corpus("ute")


def test_a_missing_corpus_file_is_reported(configs: Path) -> None:
    (configs / "corpora" / "borte.yaml").write_text(
        CORPUS.format(name="borte", file="../data/borte.jsonl"), encoding="utf-8"
    )
    with pytest.raises(ConfigError, match="not found"):
        resolve_corpus("borte")
