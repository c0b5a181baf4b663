"""A corpus as a command names it: a corpus config's name, its YAML file, or data files."""

from __future__ import annotations

import re
from pathlib import Path

from kilab.core.errors import ConfigError, Problem
from kilab.core.settings import settings
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
    if (named := _named_corpus(target)) is not None:
        return named
    from kilab.graphs.project import open_project

    project = open_project()  # its errors, or no such corpus with a suggestion
    return corpus_source(project.corpus(target), project.corpus_folder(target))


# A file that may declare a corpus: block style (kind: corpus) or flow style ({kind: corpus}).
_CORPUS_KIND = re.compile(r"""\bkind\s*:\s*["']?corpus\b""")


def _named_corpus(name: str) -> CorpusSource | None:
    """The corpus config called ``name`` in the config folder, loaded from the corpus files
    alone (with the project's checks on them: the files inside the project folder, present).

    A search or an index build needs one corpus: loading and checking every pilot, graph and
    agent first was a tenth of ``kilab search``. None unless those files load cleanly and one
    is called ``name``; the caller then loads the whole project, which reports what is wrong.
    """
    from kilab.graphs.project import config_files, find_root, load_project

    configs = settings().configs
    if not configs.exists():
        return None
    root = find_root(configs)
    try:
        files = [
            f for f in config_files([root]) if _CORPUS_KIND.search(f.read_text(encoding="utf-8"))
        ]
        project = load_project(files, root=root)
    except (OSError, UnicodeDecodeError, ConfigError):
        return None
    if name not in project.corpora:
        return None
    return corpus_source(project.corpus(name), project.corpus_folder(name))


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
