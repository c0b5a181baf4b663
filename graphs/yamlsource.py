"""YAML loading that remembers where every key and value came from.

PyYAML's safe composer gives a node tree with marks; we build plain data from it and keep a
map from each path (("nodes", "draft", "agent") …) to its line and column, so that a
validation error deep inside a model can still point at the right place in the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kilab.core.errors import ConfigError, Location, Problem

PathKey = tuple[str | int, ...]

# Scalar construction is stateless, so one safe constructor serves every document.
_SCALARS = yaml.SafeLoader("")


def _location(file: Path, node: yaml.Node) -> Location:
    return Location(file, node.start_mark.line + 1, node.start_mark.column + 1)


def _dotted(path: PathKey) -> str:
    return ".".join(str(part) for part in path)


@dataclass(slots=True)
class SourceMap:
    """Positions of the keys and values of one YAML document."""

    file: Path
    positions: dict[PathKey, tuple[int, int]] = field(default_factory=dict)

    def locate(self, path: PathKey) -> Location:
        """Location of the deepest known prefix of ``path``."""
        for end in range(len(path), -1, -1):
            position = self.positions.get(tuple(path[:end]))
            if position:
                return Location(self.file, *position)
        return Location(self.file, 1, 1)


@dataclass(slots=True)
class YamlDocument:
    """Plain data of one YAML file with its source map."""

    data: Any
    source: SourceMap


def _construct(node: yaml.Node, path: PathKey, source: SourceMap, problems: list[Problem]) -> Any:
    source.positions.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                problems.append(Problem(_location(source.file, key_node), "keys must be plain"))
                continue
            key = key_node.value
            key_path = (*path, str(key))
            if key in result:
                problems.append(
                    Problem(
                        _location(source.file, key_node), "duplicate key", key=_dotted(key_path)
                    )
                )
            # the key's own position wins over its value's, as that is where a reader looks
            source.positions[key_path] = (
                key_node.start_mark.line + 1,
                key_node.start_mark.column + 1,
            )
            result[key] = _construct(value_node, key_path, source, problems)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_construct(item, (*path, i), source, problems) for i, item in enumerate(node.value)]
    return _SCALARS.construct_object(node)


def load_yaml(file: Path, text: str | None = None) -> YamlDocument:
    """Parse one YAML file safely; raise ConfigError with the position of a syntax error."""
    if text is None:
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(
                [Problem(Location(file), f"cannot read file: {exc.strerror}")]
            ) from None
    source = SourceMap(file)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        location = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file)
        raise ConfigError(
            [Problem(location, f"invalid YAML: {exc.problem or exc.context}")]
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError([Problem(Location(file), f"invalid YAML: {exc}")]) from None
    if node is None:
        return YamlDocument(None, source)
    problems: list[Problem] = []
    try:
        data = _construct(node, (), source, problems)
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        location = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file)
        raise ConfigError([Problem(location, f"invalid YAML value: {exc.problem}")]) from None
    if problems:
        raise ConfigError(problems)
    return YamlDocument(data, source)
