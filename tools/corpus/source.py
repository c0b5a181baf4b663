"""What a corpus config resolves to: files, a record filter and the settings."""

from __future__ import annotations

import glob
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kilab.tools.settings import ChunkingSettings, IndexSettings

# Suffixes the loaders read; anything else in a folder is skipped.
SUFFIXES = (".jsonl", ".jsonl.gz", ".md", ".markdown", ".html", ".htm", ".txt", ".pdf")


@dataclass(frozen=True, slots=True)
class CorpusSource:
    """A corpus to retrieve from: resolved files, a record filter and its settings.

    Attributes:
        name: The corpus name (used in cache folder names and messages).
        files: Absolute files or folders (JSONL, JSONL.gz, Markdown, HTML, text, PDF).
        include: Keep only records whose metadata field has one of these values.
        chunking: How documents are cut into passages.
        index: How passages are indexed.
    """

    name: str
    files: tuple[Path, ...]
    include: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    chunking: ChunkingSettings = field(default_factory=ChunkingSettings)
    index: IndexSettings = field(default_factory=IndexSettings)

    def key(self) -> str:
        """A stable text key of everything but the files' contents (for in-process caches)."""
        return json.dumps(
            {
                "name": self.name,
                "files": [str(f) for f in self.files],
                "include": {k: list(v) for k, v in sorted(self.include.items())},
                "chunking": self.chunking.model_dump(mode="json"),
                "index": self.index.model_dump(mode="json"),
            },
            sort_keys=True,
        )


def resolve_files(base: Path, patterns: Sequence[str]) -> tuple[Path, ...]:
    """Resolve file names and globs relative to a folder (a corpus YAML's folder).

    Args:
        base: The folder relative paths start from.
        patterns: File names, folder names or glob patterns.

    Returns:
        Absolute paths, in the order given, globs sorted; a pattern matching nothing is kept
        as is so that loading reports it as missing.
    """
    resolved: list[Path] = []
    for pattern in patterns:
        full = (base / pattern).resolve() if not Path(pattern).is_absolute() else Path(pattern)
        if glob.has_magic(pattern):
            matches = sorted(Path(p).resolve() for p in glob.glob(str(full), recursive=True))
            resolved.extend(matches or [full])
        else:
            resolved.append(full)
    return tuple(dict.fromkeys(resolved))


def expand_files(paths: Sequence[Path]) -> list[tuple[Path, str]]:
    """Files of the given paths with their names, folders walked for known suffixes.

    A file's name is its path relative to the folder given, or its file name when given
    directly; whole-file documents use it as their stable id.

    Raises:
        FileNotFoundError: A path does not exist.
    """
    files: list[tuple[Path, str]] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                (p, p.relative_to(path).as_posix())
                for p in sorted(path.rglob("*"))
                if p.is_file()
                and p.name.lower().endswith(SUFFIXES)
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        elif path.is_file():
            files.append((path, path.name))
        else:
            raise FileNotFoundError(f"no such corpus file or folder: {path}")
    return files


# (path, size, mtime) → content digest, so an unchanged file is hashed once per process.
_DIGESTS: dict[tuple[str, int, int], str] = {}


def file_digest(file: Path) -> str:
    """SHA-256 of a file's contents (remembered while its size and mtime stay the same)."""
    stat = file.stat()
    memo = (str(file), stat.st_size, stat.st_mtime_ns)
    if memo not in _DIGESTS:
        digest = hashlib.sha256()
        with file.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        _DIGESTS[memo] = digest.hexdigest()
    return _DIGESTS[memo]


def fingerprint(files: Sequence[Path]) -> str:
    """SHA-256 over the names and contents of files: changes when any of them changes."""
    digest = hashlib.sha256()
    for file in files:
        digest.update(f"{file}\0{file_digest(file)}\0".encode())
    return digest.hexdigest()


def source_from_config(
    name: str,
    base: Path,
    files: Sequence[str],
    include: Mapping[str, Sequence[str]] | None = None,
    chunking: ChunkingSettings | None = None,
    index: IndexSettings | None = None,
) -> CorpusSource:
    """The corpus a ``corpus`` config describes, its file names resolved from its folder.

    Args:
        name: The corpus name.
        base: The folder of the YAML file (relative file names start there).
        files: File names, folders or globs, as written in the config.
        include: Field → allowed values.
        chunking: Chunking settings (default settings when None).
        index: Index settings (default settings when None).
    """
    return CorpusSource(
        name=name,
        files=resolve_files(base, files),
        include={key: tuple(values) for key, values in (include or {}).items()},
        chunking=chunking or ChunkingSettings(),
        index=index or IndexSettings(),
    )
