"""Shared by the promotion tests: writing records, and the ways a forger without the key
changes a log file (``TAMPERS``)."""

from __future__ import annotations

from pathlib import Path

from kilab.evals.promotion import GENESIS, LogHeads, PromotionLog, PromotionRecord


def append_record(
    log: PromotionLog, stage: str = "pilot", run_id: str = "r1", heads: LogHeads | None = None
) -> str:
    record = log.append(
        heads,
        pilot="husleie",
        stage=stage,
        run_id=run_id,
        variant="baseline",
        scores={"recall@5": {"value": 0.8, "low": 0.7, "high": 0.9, "n": 75}},
        gate=[{"rule": "min_cases", "passed": True, "evidence": "88 ≥ 40"}],
        config_hash="c",
        dataset_hash="d",
        code_version="v",
        by="tester",
    )
    return record.hash


KEY = "a-test-key-that-only-the-promoters-hold"


def _forge(record: PromotionRecord, key: str = "", **changes: object) -> PromotionRecord:
    """The record with ``changes``, its hash recomputed (and signed with ``key``, if any):
    what a forger with write access to the file can make."""
    from kilab.evals.promotion import key_id, signature

    forged = record.model_copy(update=changes)
    forged = forged.model_copy(update={"hash": forged.computed_hash()})
    if key:
        forged = forged.model_copy(
            update={"key_id": key_id(key), "signature": signature(key, forged.hash)}
        )
    return forged


def _rechain(records: list[PromotionRecord], key: str = "") -> list[str]:
    """Renumber and re-link the records from the start, recomputing every hash."""
    out, prev = [], GENESIS
    for seq, record in enumerate(records, start=1):
        forged = _forge(record, key, seq=seq, prev_hash=prev)
        out.append(forged.model_dump_json())
        prev = forged.hash
    return out


def tamper(kind: str, path: Path) -> None:
    """Change the log at ``path`` as a forger without the key would (one of TAMPERS)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    records = [PromotionRecord.model_validate_json(line) for line in lines]
    if kind == "edit":
        lines[1] = lines[1].replace('"value":0.8', '"value":0.99')
    elif kind == "edit-rehash":
        lines[1] = _forge(records[1], run_id="forged").model_dump_json()
    elif kind == "delete-first":
        del lines[0]
    elif kind == "delete-middle":
        del lines[1]
    elif kind == "delete-last":
        del lines[-1]
    elif kind == "reorder":
        lines[1], lines[2] = lines[2], lines[1]
    elif kind == "truncate":  # cut inside the last record, as a half-copied file is
        text = path.read_text(encoding="utf-8")
        path.write_text(text[: len(text) - 40], encoding="utf-8")
        return
    elif kind == "empty":
        lines = []
    elif kind == "append-forged":  # a correctly chained record, unsigned
        lines.append(
            _forge(
                records[-1], seq=4, prev_hash=records[-1].hash, run_id="forged", signature=""
            ).model_dump_json()
        )
    elif kind == "append-other-key":  # correctly chained and signed, with a key of one's own
        forged = _forge(records[-1], "the-forgers-own-key", seq=4, prev_hash=records[-1].hash)
        lines.append(forged.model_dump_json())
    elif kind == "rechain":  # edit an early record, then recompute every hash after it
        edited = [records[0], records[1].model_copy(update={"stage": "production"}), *records[2:]]
        lines = _rechain(edited, "the-forgers-own-key")
    elif kind == "rechain-unsigned":  # the same, dropping the signatures it cannot make
        edited = [records[0], records[1].model_copy(update={"run_id": "forged"}), *records[2:]]
        lines = _rechain([r.model_copy(update={"signature": "", "key_id": ""}) for r in edited])
    elif kind == "strip-signatures":
        lines = [
            r.model_copy(update={"signature": "", "key_id": ""}).model_dump_json() for r in records
        ]
    elif kind == "replay":  # a genuine signed record written a second time
        lines.append(lines[-1])
    elif kind == "remove-file":
        path.unlink()
        return
    else:
        raise AssertionError(kind)
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


TAMPERS = [
    "edit",
    "edit-rehash",
    "delete-first",
    "delete-middle",
    "delete-last",
    "reorder",
    "truncate",
    "empty",
    "append-forged",
    "append-other-key",
    "rechain",
    "rechain-unsigned",
    "strip-signatures",
    "replay",
    "remove-file",
]
