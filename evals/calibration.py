"""Calibration: how often does a judge agree with a person? Accuracy and Cohen's κ.

A labels file (``configs/datasets/husleie-labels.jsonl``) holds answers a person labelled
correct / partly / wrong by reading the law, each with a one-line reason (the guideline is
``docs/labelling.md``). ``calibrate`` has a judge score every labelled answer, bands each
score into a label (``kilab.evals.metrics.correctness.label_of``) and reports accuracy,
Cohen's κ with a seeded bootstrap 95 % interval, the confusion matrix and every answer it
got wrong. ``CalibrationLog`` keeps the results, so that a gate can require a calibrated
judge (``judge: {min_kappa: 0.6}``) and reports can mark scores of an uncalibrated one.

The project ships the fact matcher's calibration: ``kilab judge calibrate --ship`` writes
what it computed to ``calibrations.jsonl`` beside the labels (``configs/datasets``), which
counts for runs of a dataset in that folder where ``$KILAB_HOME`` has no calibration of the
judge. A record of a code judge carries the judge's version (``fact_matcher_version``) and
no longer counts once the code changed (``current_calibrations``).
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kilab.core.errors import ConfigError, Location, Problem, UserError
from kilab.evals.datasets import Case
from kilab.evals.metrics.correctness import (
    LABELS,
    CorrectnessJudge,
    FactMatcherJudge,
    Label,
    fact_matcher_version,
    label_of,
)
from kilab.graphs.project import Project
from kilab.tools.retrieval.types import Passage, passage

BOOTSTRAP_RESAMPLES = 2000
SHIPPED_FILE = "calibrations.jsonl"  # beside the labels and datasets, committed


class LabelledAnswer(BaseModel):
    """One answer a person labelled."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    case_id: str = Field(min_length=1)
    origin: str = Field("", description="drafter:VARIANT, written:wrong, paraphrase …")
    answer: str = Field(min_length=1)
    citations: list[str] = Field(default_factory=list)
    label: Label
    reason: str = Field(min_length=1, description="Why, in one line, from the law text.")


def load_labels(path: Path) -> list[LabelledAnswer]:
    """The labels of a JSONL file; every bad line reported at once, located.

    Raises:
        ConfigError: A line is not JSON, lacks a field or has a label other than
            correct / partly / wrong, or an id repeats.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot read labels {path}: {exc.strerror}") from None
    problems: list[Problem] = []
    labels: list[LabelledAnswer] = []
    seen: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            label = LabelledAnswer.model_validate_json(line)
        except ValidationError as exc:
            for error in exc.errors():
                key = ".".join(str(p) for p in error["loc"])
                allowed = list(LABELS) if key == "label" else []
                problems.append(Problem(Location(path, number, 1), error["msg"], key, allowed))
            continue
        if label.id in seen:
            problems.append(Problem(Location(path, number, 1), "duplicate label id", "id"))
        seen.add(label.id)
        labels.append(label)
    if problems:
        raise ConfigError(problems)
    if not labels:
        raise UserError(f"no labels in {path}")
    return labels


def labels_digest(labels: Sequence[LabelledAnswer]) -> str:
    body = json.dumps([x.model_dump(mode="json") for x in labels], sort_keys=True)
    return hashlib.sha256(body.encode()).hexdigest()[:16]


def cohen_kappa(human: Sequence[Label], judge: Sequence[Label]) -> float:
    """Cohen's κ of two labellings of the same items (1: perfect, 0: chance agreement)."""
    n = len(human)
    if n == 0:
        return float("nan")
    observed = sum(1 for a, b in zip(human, judge, strict=True) if a == b) / n
    expected = sum((human.count(c) / n) * (judge.count(c) / n) for c in LABELS)
    if expected == 1.0:
        return 1.0 if observed == 1.0 else 0.0
    return (observed - expected) / (1.0 - expected)


def bootstrap_kappa(
    human: Sequence[Label],
    judge: Sequence[Label],
    *,
    seed: int = 0,
    resamples: int = BOOTSTRAP_RESAMPLES,
) -> tuple[float, float]:
    """A percentile 95 % interval of κ over items resampled with replacement (seeded)."""
    rng = random.Random(seed)
    n = len(human)
    values = []
    for _ in range(resamples):
        picks = [rng.randrange(n) for _ in range(n)]
        values.append(cohen_kappa([human[i] for i in picks], [judge[i] for i in picks]))
    values.sort()
    return values[int(0.025 * (resamples - 1))], values[int(0.975 * (resamples - 1))]


@dataclass(frozen=True, slots=True)
class Disagreement:
    """An answer the judge labelled otherwise than the person."""

    id: str
    case_id: str
    human: Label
    judge: Label
    score: float
    reason: str
    answer: str


@dataclass(frozen=True, slots=True)
class Calibration:
    """A judge against the person's labels."""

    judge: str
    labels_file: str
    labels_digest: str
    n: int
    accuracy: float
    kappa: float
    kappa_low: float
    kappa_high: float
    seed: int
    confusion: dict[Label, dict[Label, int]]  # human label → judge label → count
    disagreements: list[Disagreement]
    skipped: list[str]
    version: str = ""  # a code judge's version ("": the identity says it all)

    def to_json(self) -> dict[str, object]:
        return {
            "judge": self.judge,
            "version": self.version,
            "labels": self.labels_file,
            "labels_digest": self.labels_digest,
            "n": self.n,
            "accuracy": round(self.accuracy, 4),
            "kappa": round(self.kappa, 4),
            "kappa_ci95": [round(self.kappa_low, 4), round(self.kappa_high, 4)],
            "seed": self.seed,
            "confusion": {"order": list(LABELS), "human_by_judge": self.confusion},
            "disagreements": [
                {
                    "id": d.id,
                    "case_id": d.case_id,
                    "human": d.human,
                    "judge": d.judge,
                    "score": round(d.score, 3),
                    "reason": d.reason,
                }
                for d in self.disagreements
            ],
            "skipped": self.skipped,
        }


PassageLookup = Mapping[str, Passage]


async def calibrate(
    judge: CorrectnessJudge,
    labels: Sequence[LabelledAnswer],
    cases: Mapping[str, Case],
    passages: PassageLookup,
    *,
    labels_file: str = "",
    seed: int = 0,
) -> Calibration:
    """Score every labelled answer with the judge and compare with the person's labels.

    Args:
        judge: The judge to calibrate.
        labels: The labelled answers.
        cases: The cases by id (question, reference answers, key facts).
        passages: Law text by source id, for the passages an answer cites.
        labels_file: Where the labels came from (reported).
        seed: Seed of the bootstrap.

    Raises:
        UserError: No labelled answer's case is among ``cases``.
    """
    human: list[Label] = []
    judged: list[Label] = []
    scores: list[float] = []
    used: list[LabelledAnswer] = []
    skipped: list[str] = []
    for item in labels:
        case = cases.get(item.case_id)
        if case is None:
            skipped.append(f"{item.id}: no case {item.case_id}")
            continue
        cited = [passages[c] for c in item.citations if c in passages]
        drawn = await judge.score(case, item.answer, cited)
        if not drawn:
            skipped.append(f"{item.id}: the judge does not apply")
            continue
        score = sum(drawn) / len(drawn)
        used.append(item)
        human.append(item.label)
        judged.append(label_of(score))
        scores.append(score)
    if not used:
        raise UserError("no labelled answer could be judged (are the cases in the dataset?)")
    n = len(used)
    confusion: dict[Label, dict[Label, int]] = {h: dict.fromkeys(LABELS, 0) for h in LABELS}
    for h, j in zip(human, judged, strict=True):
        confusion[h][j] += 1
    low, high = bootstrap_kappa(human, judged, seed=seed)
    return Calibration(
        judge=judge.identity,
        labels_file=labels_file,
        labels_digest=labels_digest(labels),
        n=n,
        accuracy=sum(1 for h, j in zip(human, judged, strict=True) if h == j) / n,
        kappa=cohen_kappa(human, judged),
        kappa_low=low,
        kappa_high=high,
        seed=seed,
        confusion=confusion,
        disagreements=[
            Disagreement(x.id, x.case_id, h, j, s, x.reason, x.answer)
            for x, h, j, s in zip(used, human, judged, scores, strict=True)
            if h != j
        ],
        skipped=skipped,
        version=str(getattr(judge, "version", "")),
    )


def datasets_beside(labels_file: Path) -> list[Path]:
    """The datasets a labels file ``X-labels.jsonl`` belongs to: ``X.jsonl`` and ``X-*.jsonl``
    beside it (dev/test/hold-out splits), the labels file itself left out."""
    stem = labels_file.name.removesuffix(".jsonl").removesuffix("-labels")
    folder = labels_file.parent
    found = [folder / f"{stem}.jsonl", *sorted(folder.glob(f"{stem}-*.jsonl"))]
    return [p for p in dict.fromkeys(found) if p.is_file() and p != labels_file]


def cases_by_id(files: Sequence[Path]) -> dict[str, Case]:
    """Every case of the datasets by id (the first file holding an id wins)."""
    from kilab.evals.datasets import load_dataset

    cases: dict[str, Case] = {}
    for file in files:
        for case in load_dataset(file).cases:
            cases.setdefault(case.id, case)
    return cases


def law_passages(project: Project, ids: set[str]) -> dict[str, Passage]:
    """The text of the cited sources, from the project's corpora (for the model judge)."""
    from kilab.tools.corpus.loaders import load_file
    from kilab.tools.corpus.source import expand_files, resolve_files

    found: dict[str, Passage] = {}
    for sourced in project.corpora.values():
        files = resolve_files(sourced.file.parent, sourced.spec.files)
        for path, name in expand_files(list(files)):
            for document in load_file(path, name):
                if document.id in ids:
                    found[document.id] = passage(document.id, document.text, document.title)
        if len(found) == len(ids):
            break
    return found


class CalibrationRecord(BaseModel):
    """What the log keeps of a calibration: enough for a gate and a report."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    judge: str
    kappa: float
    kappa_low: float
    kappa_high: float
    accuracy: float
    n: int
    labels_digest: str
    version: str = ""
    at: datetime = Field(default_factory=lambda: datetime.now(UTC))

    @classmethod
    def of(cls, calibration: Calibration) -> CalibrationRecord:
        """What the log keeps of a calibration: its fields of these names, stamped now."""
        kept = (name for name in cls.model_fields if name != "at")
        return cls.model_validate({name: getattr(calibration, name) for name in kept})


@dataclass(frozen=True, slots=True)
class CalibrationLog:
    """Calibrations, one JSON line each (``$KILAB_HOME/calibrations.jsonl``); the latest of a
    judge counts."""

    path: Path

    def record(self, calibration: Calibration) -> CalibrationRecord:
        entry = CalibrationRecord.of(calibration)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(entry.model_dump_json() + "\n")
        return entry

    def replace(self, entry: CalibrationRecord) -> None:
        """Keep ``entry`` as its judge's only line (a committed file stays one line a judge)."""
        others = [e for judge, e in self.latest().items() if judge != entry.judge]
        lines = [e.model_dump_json() + "\n" for e in sorted([*others, entry], key=_judge)]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text("".join(lines), encoding="utf-8")

    def latest(self) -> dict[str, CalibrationRecord]:
        """The newest record of every judge (an unreadable line is skipped)."""
        found: dict[str, CalibrationRecord] = {}
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except OSError:
            return found
        for line in lines:
            try:
                entry = CalibrationRecord.model_validate_json(line)
            except ValidationError:
                continue
            found[entry.judge] = entry
        return found


def _judge(entry: CalibrationRecord) -> str:
    return entry.judge


def shipped_log(folder: Path) -> CalibrationLog:
    """The calibrations shipped with the datasets of ``folder``."""
    return CalibrationLog(folder / SHIPPED_FILE)


def judge_version(judge: str) -> str:
    """The current version of the judge of this identity ("" for a model judge, whose
    identity names its model and prompt)."""
    return fact_matcher_version() if judge == FactMatcherJudge().identity else ""


def current_calibrations(home: CalibrationLog, dataset: str | Path) -> dict[str, CalibrationRecord]:
    """Each judge's calibration that counts for a run of ``dataset``: the home log's latest,
    else the one shipped beside the dataset; either only while it is of the judge's current
    version."""
    found: dict[str, CalibrationRecord] = {}
    for log in (shipped_log(Path(dataset).parent), home):  # the home's own calibration first
        found |= {j: e for j, e in log.latest().items() if e.version == judge_version(j)}
    return found
