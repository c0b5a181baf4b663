"""Which pilots the service serves: exactly what was promoted, checked against the record.

A pilot is served when its latest promotion record is at the asked stage or later. Before it
is served, its current config hash, dataset hash and code version are computed the way the
harness computed them for the promoted run; any difference refuses the pilot (the answers
would not be the ones the evidence was about), unless the operator says ``--allow-changed``,
in which case every answer's metadata says that it was served changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kilab.core.errors import UserError
from kilab.evals import keys
from kilab.evals.datasets import load_dataset
from kilab.evals.promotion import PromotionLog, PromotionRecord
from kilab.graphs.project import Project
from kilab.graphs.specs import STAGES, Stage


@dataclass(frozen=True, slots=True)
class ServedPilot:
    """A pilot the service answers for, with the record that allows it."""

    name: str
    stage: Stage
    variant: str
    record: PromotionRecord
    config_hash: str
    changed: tuple[str, ...] = ()  # what differs from the record (only with --allow-changed)

    def metadata(self) -> dict[str, Any]:
        """What every answer says about where it came from."""
        return {
            "pilot": self.name,
            "stage": self.stage,
            "variant": self.variant,
            "record": {
                "seq": self.record.seq,
                "hash": self.record.hash,
                "run_id": self.record.run_id,
                "at": self.record.at.isoformat(),
                "by": self.record.by,
            },
            "config_hash": self.config_hash,
            "changed_since_promotion": list(self.changed),
        }


def differences(project: Project, record: PromotionRecord) -> list[str]:
    """What differs between a pilot as it is now and its promotion record."""
    project.pilot(record.pilot)  # an unknown pilot is an error with a suggestion
    found = []
    config = keys.config_hash(project, project.pilot(record.pilot))
    if config != record.config_hash:
        found.append(f"config hash {config[:12]} ≠ promoted {record.config_hash[:12]}")
    dataset = load_dataset(project.dataset_path(record.pilot)).content_hash()
    if dataset != record.dataset_hash:
        found.append(f"dataset hash {dataset[:12]} ≠ promoted {record.dataset_hash[:12]}")
    code = keys.code_version()
    if code != record.code_version:
        found.append(f"code version {code} ≠ promoted {record.code_version}")
    return found


def served_pilots(
    project: Project,
    log: PromotionLog,
    stage: Stage,
    *,
    only: Sequence[str] = (),
    allow_changed: bool = False,
) -> list[ServedPilot]:
    """The pilots to serve at a stage (or a later one), each checked against its record.

    Raises:
        UserError: A pilot asked for is not promoted that far, one differs from its record
            (and changes are not allowed), or nothing at all is promoted that far.
    """
    if stage not in STAGES:
        raise UserError(f"unknown stage {stage!r} (stages: {', '.join(STAGES)})")
    wanted = list(only) or sorted(project.pilots)
    served, problems = [], []
    for name in wanted:
        project.get("pilot", name)
        record = log.latest(name)
        if record is None or STAGES.index(record.stage) < STAGES.index(stage):
            if only:
                current = record.stage if record else "experiment (never promoted)"
                problems.append(f"{name}: promoted to {current}, not {stage}")
            continue
        changed = differences(project, record)
        if changed and not allow_changed:
            problems.append(
                f"{name}: changed since its promotion record {record.seq} "
                f"({'; '.join(changed)}); evaluate and promote it again, "
                "or serve it anyway with --allow-changed"
            )
            continue
        served.append(
            ServedPilot(
                name=name,
                stage=record.stage,
                variant=record.variant,
                record=record,
                config_hash=keys.config_hash(project, project.pilot(name)),
                changed=tuple(changed),
            )
        )
    if problems:
        raise UserError("refusing to serve:\n  " + "\n  ".join(problems))
    if not served:
        raise UserError(
            f"no pilot is promoted to {stage} or later in {log.path} "
            f"(promote one with 'kilab promote PILOT --to {stage}', or serve --stage experiment)"
        )
    return served
