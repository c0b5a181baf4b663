"""A corpus as a command names it: a corpus config's name, its YAML file, or data files."""

from __future__ import annotations

from pathlib import Path

from kilab.core.errors import ConfigError, Problem
from kilab.graphs.specs import CorpusSpec
from kilab.tools.corpus import SUFFIXES, CorpusSource, source_from_config


def corpus_source(spec: CorpusSpec, folder: Path) -> CorpusSource:
    """The corpus a config describes, its file names resolved from the config's folder."""
    return source_from_config(
        spec.name, folder, spec.files, spec.include, spec.chunking, spec.index
    )


def resolve_corpus(target: str) -> CorpusSource:
    """The corpus ``target`` names: a config name, a corpus YAML or a data file or folder.

    Raises:
        NotFoundError: No corpus config of that name and no such file.
        ConfigError: The YAML is not a valid corpus config.
    """
    path = Path(target)
    if path.exists() and path.name.lower().endswith((".yaml", ".yml")):
        return corpus_source(_corpus_spec(path), path.resolve().parent)
    if path.exists() and (path.is_dir() or path.name.lower().endswith(SUFFIXES)):
        name = path.name.split(".")[0] or "corpus"
        return CorpusSource(name=name, files=(path.resolve(),))
    from kilab.graphs.project import open_project

    project = open_project()
    return corpus_source(project.corpus(target), project.corpus_folder(target))


def _corpus_spec(path: Path) -> CorpusSpec:
    from kilab.graphs.project import parse_spec
    from kilab.graphs.yamlsource import load_yaml

    document = load_yaml(path)
    spec, problems = parse_spec(document.data, document.source)
    if problems:
        raise ConfigError(problems)
    if not isinstance(spec, CorpusSpec):
        problem = Problem(
            document.source.locate(("kind",)), "expected a corpus config", "kind", ["corpus"]
        )
        raise ConfigError([problem])
    return spec
