"""The files a config names (prompts, datasets, corpus files) lie inside the project folder.

A config is data that may come from someone else; ``prompt: /etc/passwd`` or
``files: [/etc/*]`` would send a machine's files to a model. So every such path, as written
and normalised (``..`` collapsed, symlinks not followed: a symlink inside the project was put
there by its owner), must lie in ``Project.folder`` or in a folder of ``KILAB_ALLOW_OUTSIDE``.
Corpus files must also exist, so ``kilab validate`` catches a missing data file.
"""

from __future__ import annotations

import glob
import os
from pathlib import Path
from typing import Any

from kilab.core.errors import Problem
from kilab.core.settings import settings
from kilab.graphs.project import Project, Sourced


def named_path(where: Sourced[Any], written: str) -> Path:
    """A path as a config file wrote it: relative to that file's folder, normalised."""
    base = os.path.abspath(where.file.parent)
    return Path(os.path.normpath(os.path.join(base, os.path.expanduser(written))))


def allowed_folders(project: Project) -> tuple[Path, ...]:
    """The project folder and the folders the settings allow besides."""
    return (project.folder, *settings().allow_outside)


def _outside(
    project: Project, where: Sourced[Any], key: tuple[str | int, ...], written: str
) -> Problem | None:
    path = named_path(where, written)
    folders = allowed_folders(project)
    if any(path.is_relative_to(folder) for folder in folders):
        return None
    return Problem(
        where.locate(*key),
        f"{written!r} is outside the project folder {project.folder}; "
        "allow a folder with KILAB_ALLOW_OUTSIDE if this is meant",
        ".".join(map(str, key)),
    )


def check_paths(project: Project) -> list[Problem]:
    """Every named file outside the allowed folders, and every corpus file that is missing."""
    problems: list[Problem] = []
    for agent in project.agents.values():
        if agent.spec.prompt:
            found = _outside(project, agent, ("prompt",), agent.spec.prompt)
            problems.extend([found] if found else [])
    for pilot in project.pilots.values():
        for role, file in pilot.spec.dataset_files().items():
            where = ("dataset",) if role == "dataset" else ("dataset", role)
            found = _outside(project, pilot, where, file)
            problems.extend([found] if found else [])
    for corpus in project.corpora.values():
        for index, pattern in enumerate(corpus.spec.files):
            key = ("files", index)
            found = _outside(project, corpus, key, pattern)
            if found:
                problems.append(found)
                continue
            path = named_path(corpus, pattern)
            if glob.has_magic(pattern):
                missing = not glob.glob(str(path), recursive=True)
                message = f"no file matches {pattern!r}"
            else:
                missing = not path.exists()
                message = f"corpus file {pattern!r} not found"
            if missing:
                problems.append(Problem(corpus.locate(*key), message, f"files.{index}"))
    return problems


def is_outside(project: Project, where: Sourced[Any], written: str) -> bool:
    """Whether a path a config names lies outside every allowed folder."""
    return _outside(project, where, (), written) is not None
