"""Load a folder of config files into a Project: every spec by kind and name, with its source.

Loading never stops at the first problem: every file is parsed and every error collected,
then raised together as one ConfigError.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from kilab.core.errors import (
    ConfigError,
    Location,
    NotFoundError,
    Problem,
    UserError,
    did_you_mean,
    suggesting,
)
from kilab.core.settings import settings
from kilab.graphs.specs import (
    KINDS,
    AgentSpec,
    CorpusSpec,
    GraphSpec,
    ModelsSpec,
    PilotSpec,
    Spec,
    Split,
)
from kilab.graphs.yamlsource import PathKey, SourceMap, load_yaml

S = TypeVar("S", bound=Spec)
YAML_SUFFIXES = (".yaml", ".yml")
# Folders under a config root that hold other things than config kinds.
_SKIPPED_DIRS = {"datasets", "schemas", "prompts"}


@dataclass(frozen=True, slots=True)
class Sourced(Generic[S]):
    """A spec with the source map of the file it came from."""

    spec: S
    source: SourceMap

    @property
    def file(self) -> Path:
        return self.source.file

    def locate(self, *path: str | int) -> Location:
        return self.source.locate(path)

    def resolve(self, relative: str) -> Path:
        """A path named in this file, relative to the file's folder."""
        return (self.file.parent / relative).resolve()


@dataclass(slots=True)
class Project:
    """Every config of a folder, by kind and name."""

    root: Path
    models: Sourced[ModelsSpec] | None = None
    agents: dict[str, Sourced[AgentSpec]] = field(default_factory=dict)
    corpora: dict[str, Sourced[CorpusSpec]] = field(default_factory=dict)
    graphs: dict[str, Sourced[GraphSpec]] = field(default_factory=dict)
    pilots: dict[str, Sourced[PilotSpec]] = field(default_factory=dict)

    def by_kind(self, kind: str) -> dict[str, Sourced[Any]]:
        table: dict[str, dict[str, Sourced[Any]]] = {
            "agent": self.agents,
            "corpus": self.corpora,
            "graph": self.graphs,
            "pilot": self.pilots,
        }
        return table[kind]

    @property
    def folder(self) -> Path:
        """The project folder: the one holding the config root (``configs/`` beside
        ``data/``). Files a config names must lie inside it, or in a folder allowed by
        ``KILAB_ALLOW_OUTSIDE``."""
        return Path(os.path.abspath(self.root)).parent

    def profile_names(self) -> list[str]:
        return sorted(self.models.spec.profiles) if self.models else ["offline"]

    def get(self, kind: str, name: str) -> Sourced[Any]:
        """A spec by kind and name, or NotFoundError with a suggestion (prefer the typed
        accessors below; this one serves code that handles every kind alike)."""
        return _lookup(self.by_kind(kind), kind, name, self.root)

    def pilot(self, name: str) -> PilotSpec:
        """The pilot of that name, or NotFoundError with a suggestion."""
        return _lookup(self.pilots, "pilot", name, self.root).spec

    def graph(self, name: str) -> GraphSpec:
        """The graph of that name, or NotFoundError with a suggestion."""
        return _lookup(self.graphs, "graph", name, self.root).spec

    def agent(self, name: str) -> AgentSpec:
        """The agent of that name, or NotFoundError with a suggestion."""
        return _lookup(self.agents, "agent", name, self.root).spec

    def corpus(self, name: str) -> CorpusSpec:
        """The corpus of that name, or NotFoundError with a suggestion."""
        return _lookup(self.corpora, "corpus", name, self.root).spec

    def dataset_path(self, pilot: str, split: Split | None = None) -> Path:
        """The dataset file a pilot names, resolved from the pilot's folder.

        Args:
            pilot: The pilot's name.
            split: ``dev`` or ``test`` of a pilot that declares both; None: its only file,
                or its test file (what the gates judge).

        Raises:
            UserError: A split is asked of a pilot with one dataset file.
        """
        sourced = _lookup(self.pilots, "pilot", pilot, self.root)
        files = sourced.spec.dataset_files()
        if "dataset" in files:
            if split is not None:
                raise UserError(
                    f"pilot {pilot!r} has one dataset ({files['dataset']}), no {split} split: "
                    "declare 'dataset: {dev: …, test: …}'"
                )
            return sourced.resolve(files["dataset"])
        return sourced.resolve(files[split or "test"])

    def prompt_path(self, agent: str) -> Path | None:
        """The prompt file an agent names, resolved from the agent's folder (None: none)."""
        sourced = _lookup(self.agents, "agent", agent, self.root)
        return sourced.resolve(sourced.spec.prompt) if sourced.spec.prompt else None

    def corpus_folder(self, corpus: str) -> Path:
        """The folder a corpus's file names are relative to (its YAML file's folder)."""
        return _lookup(self.corpora, "corpus", corpus, self.root).file.parent


def _lookup(table: dict[str, Sourced[S]], kind: str, name: str, root: Path) -> Sourced[S]:
    if name not in table:
        raise NotFoundError(suggesting(f"no {kind} named {name!r} in {root}", name, sorted(table)))
    return table[name]


def pydantic_problems(
    error: ValidationError, model: type[BaseModel], source: SourceMap, prefix: PathKey = ()
) -> list[Problem]:
    """Turn a pydantic ValidationError into located, human problems."""
    problems = []
    for item in error.errors():
        loc: PathKey = (*prefix, *item["loc"])
        key = ".".join(str(p) for p in loc)
        location = source.locate(loc)
        kind = item["type"]
        if kind == "extra_forbidden":
            allowed = _allowed_keys(model, tuple(item["loc"][:-1]))
            problems.append(
                Problem(location, "unknown key", key, allowed, did_you_mean(str(loc[-1]), allowed))
            )
        elif kind == "missing":
            problems.append(Problem(location, "missing required key", key))
        elif kind == "literal_error":
            expected = item.get("ctx", {}).get("expected", "")
            allowed = [a.strip().strip("'") for a in expected.replace(" or ", ",").split(",")]
            allowed = [a for a in allowed if a]
            problems.append(
                Problem(
                    location,
                    f"{item['input']!r} is not allowed",
                    key,
                    allowed,
                    did_you_mean(str(item["input"]), allowed),
                )
            )
        else:
            message = item["msg"].removeprefix("Value error, ")
            problems.append(Problem(location, message, key))
    return problems


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    """The model inside an annotation such as ``dict[str, NodeSpec] | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _allowed_keys(model: type[BaseModel], path: tuple[Any, ...]) -> list[str]:
    """Keys (by alias) allowed in the mapping at ``path``; dict keys and indexes pass through."""
    current = model
    for part in path:
        info = current.model_fields.get(part) if isinstance(part, str) else None
        if info is not None:
            inner = _inner_model(info.annotation)
            if inner is None:
                return []
            current = inner
    return sorted(info.alias or name for name, info in current.model_fields.items())


def parse_spec(data: Any, source: SourceMap) -> tuple[Spec | None, list[Problem]]:
    """Validate one document's data as the kind it declares."""
    if not isinstance(data, dict):
        return None, [Problem(source.locate(()), "a config file holds a mapping with a 'kind'")]
    kind = data.get("kind")
    if not isinstance(kind, str | None):
        return None, [
            Problem(
                source.locate(("kind",)),
                f"must be a name, not {type(kind).__name__} {kind!r}",
                "kind",
                sorted(KINDS),
            )
        ]
    if kind not in KINDS:
        allowed = sorted(KINDS)
        message = "missing required key" if kind is None else f"unknown kind {kind!r}"
        return None, [
            Problem(
                source.locate(("kind",)),
                message,
                "kind",
                allowed,
                did_you_mean(str(kind), allowed) if kind else "",
            )
        ]
    model = KINDS[kind]
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        problems = pydantic_problems(exc, model, source)
        # Drop what was wrong and validate again, so that the cross-file checks can still
        # report the rest of this file's mistakes in the same run.
        pruned = copy.deepcopy(data)
        for item in exc.errors():
            _delete(pruned, item["loc"])
        try:
            return model.model_validate(pruned), problems
        except ValidationError:
            return None, problems


def _delete(data: Any, loc: tuple[Any, ...]) -> None:
    for part in loc[:-1]:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return
    if isinstance(data, dict) and loc:
        data.pop(loc[-1], None)


def config_files(paths: Sequence[Path]) -> list[Path]:
    """Every YAML config file under the given files and folders."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            for dirpath, dirnames, filenames in os.walk(path):
                dirnames[:] = sorted(
                    d for d in dirnames if d not in _SKIPPED_DIRS and not d.startswith(".")
                )
                files.extend(
                    Path(dirpath) / f for f in sorted(filenames) if f.endswith(YAML_SUFFIXES)
                )
        elif path.exists():
            files.append(path)
        else:
            raise ConfigError([Problem(Location(path), "no such file or folder")])
    return files


ExtraCheck = Callable[[Project], list[Problem]]


def load_project(
    paths: Iterable[Path], root: Path | None = None, extra_checks: Sequence[ExtraCheck] = ()
) -> Project:
    """Load and validate every config file; raise every problem at once.

    ``extra_checks`` let higher layers (the evaluation harness) add their own checks, such as
    metric names, without graphs knowing about them.
    """
    paths = [Path(p) for p in paths]
    project = Project(root=root or (paths[0] if paths and paths[0].is_dir() else Path(".")))
    problems: list[Problem] = []
    for file in config_files(paths):
        try:
            document = load_yaml(file)
        except ConfigError as exc:
            problems.extend(exc.problems)
            continue
        spec, found = parse_spec(document.data, document.source)
        problems.extend(found)
        if spec is not None:
            problems.extend(_add(project, spec, document.source))
    from kilab.graphs.checks import check_project  # checks need the whole project

    problems.extend(check_project(project))
    for check in extra_checks:
        problems.extend(check(project))
    if problems:
        raise ConfigError(problems)
    return project


def _add(project: Project, spec: Spec, source: SourceMap) -> list[Problem]:
    if isinstance(spec, ModelsSpec):
        if project.models is not None:
            return [
                Problem(
                    source.locate(("kind",)),
                    f"models are already declared in {project.models.file}",
                    "kind",
                )
            ]
        project.models = Sourced(spec, source)
        return []
    assert isinstance(spec, AgentSpec | CorpusSpec | GraphSpec | PilotSpec)
    table = project.by_kind(spec.kind)
    if spec.name in table:
        return [
            Problem(
                source.locate(("name",)),
                f"{spec.kind} {spec.name!r} is already declared in {table[spec.name].file}",
                "name",
            )
        ]
    table[spec.name] = Sourced(spec, source)
    return []


def find_root(start: Path) -> Path:
    """The config root of a file: the nearest folder upwards holding models.yaml."""
    start = start.resolve()
    for folder in [start, *start.parents] if start.is_dir() else start.parents:
        if (folder / "models.yaml").exists():
            return folder
    return start if start.is_dir() else start.parent


def open_project(target: str | Path | None = None) -> Project:
    """Load the project a CLI argument points into (a file, a folder or nothing: ./configs)."""
    default = settings().configs
    path = Path(target) if target and Path(target).exists() else default
    if not path.exists():
        raise NotFoundError(f"no config folder at {path} (set KILAB_CONFIGS or pass a path)")
    root = find_root(path)
    return load_project([root], root=root)


def open_named(target: str, kind: str) -> tuple[Project, str]:
    """Resolve a CLI argument that is either a config's name or the path of its YAML file."""
    path = Path(target)
    if path.suffix in YAML_SUFFIXES and path.is_file():
        project = open_project(path)
        resolved = path.resolve()
        for name, sourced in project.by_kind(kind).items():
            if sourced.file.resolve() == resolved:
                return project, name
        raise NotFoundError(f"{target} does not declare a {kind}")
    project = open_project()
    project.get(kind, target)
    return project, target
