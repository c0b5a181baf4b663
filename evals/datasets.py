"""Evaluation datasets: JSONL or YAML cases, validated with located errors like the configs.

A case asks a question and says what a good run does with it: answer (with reference answers
and the gold source ids) or decline. Fields beyond the core are allowed only where declared:
``key_points`` (briefing notes) and ``traps`` (red-team strings that must not appear).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from kilab.core.errors import ConfigError, Location, Problem
from kilab.core.textfiles import read_utf8
from kilab.graphs.project import pydantic_problems
from kilab.graphs.yamlsource import SourceMap, load_yaml

Expect = Literal["answer", "decline"]
CaseId = Annotated[str, StringConstraints(min_length=1, pattern=r"^\S+$")]


class CaseFeedback(BaseModel):
    """What a user of the shared service said about an answer (``kilab feedback export``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    answer: str = Field(description="The answer the service gave.")
    comment: str = ""
    rating: Literal["up", "down"] = "down"
    request_id: str = ""


class Case(BaseModel):
    """One evaluation case.

    Attributes:
        id: Unique within its dataset; results are matched across runs by it.
        question: What the user asks.
        answers: Reference answers (any one counts), for exact match, F1 and contains.
        facts: The key facts a right answer states, each a phrase or a list of equivalent
            phrasings (any one counts), for ``fact_recall`` (``kilab.evals.metrics.facts``).
        gold_ids: Source ids a good answer retrieves and cites.
        expect: Whether the assistant should answer or decline.
        tags: Free labels for slicing results.
        key_points: Points a briefing note must cover (notat datasets).
        traps: Strings whose appearance in the answer shows that an injected instruction was
            obeyed or personal data leaked (red-team datasets).
        feedback: For a case made from a rated-down answer of the service: that answer and
            the user's comment, for the person who writes its reference answer.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: CaseId
    question: Annotated[str, StringConstraints(min_length=1)]
    answers: list[str] = Field(default_factory=list)
    facts: list[Annotated[str, StringConstraints(min_length=1)] | list[str]] = Field(
        default_factory=list
    )
    gold_ids: list[str] = Field(default_factory=list)
    expect: Expect = "answer"
    tags: list[str] = Field(default_factory=list)
    key_points: list[str] = Field(default_factory=list)
    traps: list[str] = Field(default_factory=list)
    feedback: CaseFeedback | None = None

    def content_hash(self) -> str:
        """A digest of everything in the case; part of every result key."""
        # A case without feedback or facts hashes as before the fields existed, so stored
        # keys hold.
        exclude = {"feedback"} if self.feedback is None else set()
        if not self.facts:
            exclude.add("facts")
        body = self.model_dump(mode="json", exclude=exclude)
        canonical = json.dumps(body, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()


class Dataset(BaseModel):
    """The cases of one file, in file order."""

    model_config = ConfigDict(frozen=True)

    path: Path
    cases: tuple[Case, ...]

    def content_hash(self) -> str:
        """A digest of every case, in order."""
        digest = hashlib.sha256()
        for case in self.cases:
            digest.update(case.content_hash().encode())
        return digest.hexdigest()


def _jsonl_source(file: Path, line_no: int, line: str) -> SourceMap:
    """Positions of the top-level keys of one JSON line (good enough to point at a key)."""
    source = SourceMap(file, {(): (line_no, 1)})
    for match in re.finditer(r'"([^"\\]+)"\s*:', line):
        source.positions.setdefault((match.group(1),), (line_no, match.start() + 1))
    return source


def _validate(
    data: Any, source: SourceMap, prefix: tuple[str | int, ...], problems: list[Problem]
) -> Case | None:
    if not isinstance(data, dict):
        problems.append(Problem(source.locate(prefix), "a case is a mapping with id and question"))
        return None
    try:
        return Case.model_validate(data)
    except ValidationError as exc:
        problems.extend(pydantic_problems(exc, Case, source, prefix))
        return None


def _read_jsonl(file: Path, text: str, problems: list[Problem]) -> list[tuple[Case, Location]]:
    cases = []
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("//"):
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(Problem(Location(file, line_no, exc.colno), f"invalid JSON: {exc.msg}"))
            continue
        except RecursionError:  # the C parser's guard against very deep nesting
            problems.append(Problem(Location(file, line_no, 1), "JSON nested too deeply"))
            continue
        source = _jsonl_source(file, line_no, line)
        case = _validate(data, source, (), problems)
        if case is not None:
            cases.append((case, Location(file, line_no, 1)))
    return cases


def _read_yaml(file: Path, text: str, problems: list[Problem]) -> list[tuple[Case, Location]]:
    document = load_yaml(file, text)
    data = document.data
    prefix: tuple[str | int, ...] = ()
    if isinstance(data, dict) and "cases" in data:
        data, prefix = data["cases"], ("cases",)
    if not isinstance(data, list):
        problems.append(
            Problem(
                document.source.locate(()),
                "a YAML dataset is a list of cases (or a mapping with 'cases')",
            )
        )
        return []
    cases = []
    for index, item in enumerate(data):
        path = (*prefix, index)
        case = _validate(item, document.source, path, problems)
        if case is not None:
            cases.append((case, document.source.locate(path)))
    return cases


def load_dataset(path: str | Path) -> Dataset:
    """Read and validate a JSONL or YAML dataset; raise every problem at once.

    Args:
        path: A ``.jsonl`` file (one JSON object a line) or a ``.yaml``/``.yml`` file.

    Raises:
        ConfigError: With file:line:col, the key and the message of every problem found
            (a file that is not UTF-8 text included).
    """
    file = Path(path)
    text = read_utf8(file, "dataset")
    problems: list[Problem] = []
    if file.suffix in (".yaml", ".yml"):
        located = _read_yaml(file, text, problems)
    else:
        located = _read_jsonl(file, text, problems)
    seen: dict[str, Location] = {}
    for case, location in located:
        if case.id in seen:
            problems.append(
                Problem(location, f"duplicate case id (first at line {seen[case.id].line})", "id")
            )
        seen.setdefault(case.id, location)
    if not located and not problems:
        problems.append(Problem(Location(file), "the dataset has no cases"))
    if problems:
        raise ConfigError(problems)
    return Dataset(path=file, cases=tuple(case for case, _ in located))


def select_cases(dataset: Dataset, ids: Sequence[str] | None) -> tuple[Case, ...]:
    """The dataset's cases, or only those with the given ids, in dataset order."""
    if not ids:
        return dataset.cases
    wanted = set(ids)
    return tuple(case for case in dataset.cases if case.id in wanted)
