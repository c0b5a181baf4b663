"""YAML loading that remembers where every key and value came from.

PyYAML's safe composer gives a node tree with marks; we build plain data from it and keep a
map from each path (("nodes", "draft", "agent") …) to its line and column, so that a
validation error deep inside a model can still point at the right place in the file.

A YAML file may be hostile, so loading has limits (``YamlLimits``): its size, how deep it
nests (checked while composing, before Python's recursion limit is near), how many aliases it
uses, and how many values those aliases may add when expanded, so a few hundred bytes of
"billion laughs" are refused after a few thousand values instead of filling the memory. An
alias inside the value it names (a cycle) is refused too. Every refusal is located.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kilab.core.errors import ConfigError, Location, Problem
from kilab.core.textfiles import read_utf8

PathKey = tuple[str | int, ...]

# Scalar construction is stateless, so one safe constructor serves every document.
_SCALARS = yaml.SafeLoader("")


@dataclass(frozen=True, slots=True)
class YamlLimits:
    """What one YAML document may hold.

    Attributes:
        max_bytes: The file's size (configs are kilobytes; a YAML dataset may be larger).
        max_depth: Nesting of mappings and sequences.
        max_aliases: Uses of ``*alias``.
        max_alias_values: Values the aliases may add when expanded, beyond those written.
    """

    max_bytes: int = 8 * 1024 * 1024
    max_depth: int = 64
    max_aliases: int = 256
    max_alias_values: int = 10_000


DEFAULT_LIMITS = YamlLimits()


class _LimitExceeded(Exception):
    """A limit was broken at a 0-based line and column (None: at a known path, ``key``)."""

    def __init__(self, where: tuple[int, int] | None, message: str, key: PathKey = ()) -> None:
        super().__init__(message)
        self.where, self.message, self.key = where, message, key


def _at(mark: Any) -> tuple[int, int]:
    return mark.line, mark.column


class _LimitedLoader(yaml.SafeLoader):
    """The safe loader, counting depth and aliases while it composes the node tree."""

    def __init__(self, stream: str, limits: YamlLimits) -> None:
        super().__init__(stream)
        self.limits = limits
        self.depth = self.aliases = self.nodes = 0

    def _next_mark(self) -> tuple[int, int]:
        return _at(self.peek_event().start_mark)  # type: ignore[no-untyped-call]

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > self.limits.max_aliases:
                raise _LimitExceeded(
                    self._next_mark(),
                    f"more than {self.limits.max_aliases} aliases",
                )
            return super().compose_node(parent, index)
        self.nodes += 1
        self.depth += 1
        try:
            if self.depth > self.limits.max_depth:
                raise _LimitExceeded(
                    self._next_mark(),
                    f"nested deeper than {self.limits.max_depth} levels",
                )
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


# Brackets of flow collections, skipping quoted scalars and comments. PyYAML's scanner is
# quadratic in unclosed brackets (it keeps every one as a possible simple key), so a deep
# ``[[[[…`` is measured on the text, in one pass, before the parser sees it.
_FLOW_TOKENS = re.compile(
    r"""(?<![^\s\[{,:])"(?:[^"\\]|\\.)*"|(?<![^\s\[{,:])'(?:[^']|'')*'|(?<!\S)#[^\n]*|[\[\]{}]"""
)


def _check_flow_depth(text: str, limit: int) -> None:
    depth = 0
    for match in _FLOW_TOKENS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > limit:
                line = text.count("\n", 0, match.start())
                column = match.start() - (text.rfind("\n", 0, match.start()) + 1)
                raise _LimitExceeded((line, column), f"nested deeper than {limit} levels")
        elif token in "]}":
            depth = max(0, depth - 1)


@dataclass(slots=True)
class _Budget:
    """What construction may still do: values left to build, nodes being built (a cycle)."""

    values_left: int
    max_depth: int
    building: set[int] = field(default_factory=set)


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


def _construct(
    node: yaml.Node, path: PathKey, source: SourceMap, problems: list[Problem], budget: _Budget
) -> Any:
    source.positions.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
    budget.values_left -= 1
    # Where an expanded alias went wrong is best told by the key it sits under: the node's
    # own mark is where its anchor was defined, not where it is used.
    if budget.values_left < 0:
        raise _LimitExceeded(
            None, "its aliases expand to too many values (an alias bomb?)", path[:8]
        )
    if len(path) > budget.max_depth:
        raise _LimitExceeded(
            None, f"aliases nest it deeper than {budget.max_depth} levels", path[:8]
        )
    if id(node) in budget.building:
        raise _LimitExceeded(_at(node.start_mark), "a recursive alias: it refers to itself")
    if not isinstance(node, yaml.MappingNode | yaml.SequenceNode):
        return _SCALARS.construct_object(node)
    budget.building.add(id(node))
    try:
        return _construct_collection(node, path, source, problems, budget)
    finally:
        budget.building.discard(id(node))


def _construct_collection(
    node: yaml.Node, path: PathKey, source: SourceMap, problems: list[Problem], budget: _Budget
) -> Any:
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
            result[key] = _construct(value_node, key_path, source, problems, budget)
        return result
    return [
        _construct(item, (*path, i), source, problems, budget) for i, item in enumerate(node.value)
    ]


def load_yaml(
    file: Path, text: str | None = None, limits: YamlLimits = DEFAULT_LIMITS
) -> YamlDocument:
    """Parse one YAML file safely within ``limits``.

    Raises:
        ConfigError: Located: a file that cannot be read, is not UTF-8, breaks a limit or
            is not valid YAML.
    """
    if text is None:
        text = read_utf8(file, "config file", limits.max_bytes)
    elif len(text) > limits.max_bytes:
        raise ConfigError(
            [Problem(Location(file), f"more than {limits.max_bytes:,} characters of YAML")]
        )
    source = SourceMap(file)
    loader = _LimitedLoader(text, limits)
    try:
        _check_flow_depth(text, limits.max_depth)
        node = loader.get_single_node()
        if node is None:
            return YamlDocument(None, source)
        problems: list[Problem] = []
        budget = _Budget(loader.nodes + limits.max_alias_values, limits.max_depth)
        data = _construct(node, (), source, problems, budget)
    except _LimitExceeded as exc:
        if exc.where is None:
            location = source.locate(exc.key[:1])
        else:
            location = Location(file, exc.where[0] + 1, exc.where[1] + 1)
        raise ConfigError([Problem(location, exc.message, _dotted(exc.key))]) from None
    except yaml.constructor.ConstructorError as exc:
        raise ConfigError(
            [Problem(_mark_location(file, exc.problem_mark), f"invalid YAML value: {exc.problem}")]
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise ConfigError(
            [Problem(_mark_location(file, mark), f"invalid YAML: {exc.problem or exc.context}")]
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError([Problem(Location(file), f"invalid YAML: {exc}")]) from None
    finally:
        loader.dispose()
    if problems:
        raise ConfigError(problems)
    return YamlDocument(data, source)


def _mark_location(file: Path, mark: Any) -> Location:
    return Location(file, mark.line + 1, mark.column + 1) if mark else Location(file)
