"""Hostile configs and data files: refused with a located error, never a traceback or a hang.

Alias bombs, recursive aliases and deep nesting hit the YAML loader's limits; Latin-1 and
binary files get an error naming the encoding problem; files outside the project folder are
refused unless ``KILAB_ALLOW_OUTSIDE`` allows them; missing corpus files and a list as
``kind`` are located errors. Each is checked through ``load_project`` and through
``kilab validate`` as a subprocess.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from kilab_subprocess import run_kilab

from kilab.core.errors import ConfigError, Problem
from kilab.evals.datasets import load_dataset
from kilab.evals.validate import check_pilot
from kilab.graphs.project import load_project


def alias_bomb() -> str:
    """The "billion laughs": nine levels of nine aliases, 9**9 strings when expanded."""
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for previous, current in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{current}: &{current} [" + ", ".join([f"*{previous}"] * 9) + "]")
    return "kind: graph\nname: bomb\n" + "\n".join(lines) + "\n"


def _write(configs: Path, relative: str, content: str | bytes) -> Path:
    target = configs / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        target.write_bytes(content)
    else:
        target.write_text(content, encoding="utf-8")
    return target


def _edit(configs: Path, relative: str, old: str, new: str) -> Path:
    target = configs / relative
    text = target.read_text(encoding="utf-8")
    assert old in text, f"test setup: {old!r} not in {relative}"
    target.write_text(text.replace(old, new, 1), encoding="utf-8")
    return target


# name → (change the configs copy; return the file and the line the problem must point at,
# and words the problem says)
Change = Callable[[Path], tuple[Path, int]]
HOSTILE: dict[str, tuple[Change, list[str]]] = {
    "alias-bomb": (lambda c: (_write(c, "graphs/bomb.yaml", alias_bomb()), 7), ["alias bomb"]),
    "recursive-alias": (
        lambda c: (
            _write(c, "graphs/loop.yaml", "kind: graph\nname: loop\nnodes: &n {a: *n}\n"),
            3,
        ),
        ["recursive alias"],
    ),
    "deep-nesting": (
        lambda c: (
            _write(
                c, "graphs/deep.yaml", "kind: graph\nname: deep\nnodes: " + "[" * 5000 + "]" * 5000
            ),
            3,
        ),
        ["nested deeper than"],
    ),
    "deep-block-nesting": (
        lambda c: (
            _write(
                c,
                "graphs/deep.yaml",
                "kind: graph\nname: deep\nnodes:\n"
                + "".join(" " * (i + 1) + f"k{i}:\n" for i in range(200)),
            ),
            0,
        ),
        ["nested deeper than"],
    ),
    "latin-1-yaml": (
        lambda c: (
            _write(
                c,
                "graphs/latin.yaml",
                "kind: graph\nname: latin\ndescription: Lærer\n".encode("latin-1"),
            ),
            3,
        ),
        ["not UTF-8", "0xe6", "Latin-1"],
    ),
    "binary-yaml": (
        lambda c: (_write(c, "graphs/binary.yaml", b"kind: graph\n\x00\x01\x02\xff\xfe"), 2),
        ["binary file"],
    ),
    "latin-1-dataset": (
        lambda c: (
            _write(
                c,
                "datasets/husleie-test.jsonl",
                '{"id": "a", "question": "Hva er depositum?"}\n'
                '{"id": "b", "question": "Når må utleier betale?"}\n'.encode("latin-1"),
            ),
            2,
        ),
        ["dataset is not UTF-8"],
    ),
    "binary-dataset": (
        lambda c: (_write(c, "datasets/husleie-test.jsonl", b"\x1f\x8b\x08\x00\x00\x00\x00\x00"), 1),
        ["binary file"],
    ),
    "prompt-outside": (
        lambda c: (
            _edit(
                c, "agents/drafter.yaml", "prompt: ../prompts/drafter.nb.md", "prompt: /etc/passwd"
            ),
            7,
        ),
        ["'/etc/passwd' is outside the project folder", "KILAB_ALLOW_OUTSIDE"],
    ),
    "prompt-escapes-upwards": (
        lambda c: (
            _edit(
                c,
                "agents/drafter.yaml",
                "prompt: ../prompts/drafter.nb.md",
                "prompt: ../../../../../../etc/hostname",
            ),
            7,
        ),
        ["outside the project folder"],
    ),
    "corpus-glob-outside": (
        lambda c: (
            _edit(
                c,
                "corpora/husleie.yaml",
                "files: [../../data/lovdata/realestate-sections.jsonl]",
                "files: [/etc/*]",
            ),
            6,
        ),
        ["'/etc/*' is outside the project folder"],
    ),
    "dataset-outside": (
        lambda c: (
            _edit(
                c,
                "pilots/husleie.yaml",
                "test: ../datasets/husleie-test.jsonl",
                "test: /etc/passwd",
            ),
            12,
        ),
        ["outside the project folder"],
    ),
    "corpus-file-missing": (
        lambda c: (
            _edit(c, "corpora/husleie.yaml", "realestate-sections.jsonl", "no-such-file.jsonl"),
            6,
        ),
        ["corpus file", "not found"],
    ),
    "corpus-glob-matches-nothing": (
        lambda c: (
            _edit(c, "corpora/husleie.yaml", "realestate-sections.jsonl", "nothing-*.jsonl"),
            6,
        ),
        ["no file matches"],
    ),
    "kind-is-a-list": (
        lambda c: (_write(c, "graphs/kinds.yaml", "name: g\nkind: [x, y]\n"), 2),
        ["kind", "must be a name", "allowed: agent"],
    ),
}


def _problems(configs: Path) -> list[Problem]:
    """Every problem, with the evaluation side's checks (datasets) as kilab validate has."""
    with pytest.raises(ConfigError) as caught:
        load_project([configs], root=configs, extra_checks=[check_pilot])
    return caught.value.problems


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_hostile_config_is_refused_with_a_located_error(configs: Path, case: str) -> None:
    change, words = HOSTILE[case]
    target, line = change(configs)
    problems = _problems(configs)
    matching = [p for p in problems if all(w in str(p) for w in words)]
    assert matching, f"no problem mentions {words}; got:\n" + "\n".join(map(str, problems))
    assert matching[0].location.file == target
    if line:
        assert matching[0].location.line == line, str(matching[0])


@pytest.mark.parametrize(
    "case",
    [
        "alias-bomb",
        "recursive-alias",
        "deep-nesting",
        "latin-1-yaml",
        "binary-dataset",
        "prompt-outside",
        "corpus-glob-outside",
        "corpus-file-missing",
        "kind-is-a-list",
    ],
)
def test_kilab_validate_refuses_it_without_a_traceback(configs: Path, case: str) -> None:
    change, words = HOSTILE[case]
    target, _ = change(configs)
    done = run_kilab("validate", str(configs), home=configs.parent / "home", timeout=120)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr + done.stdout
    assert f"{target}:" in done.stderr and all(w in done.stderr for w in words), done.stderr


def test_a_folder_allowed_by_kilab_allow_outside_may_be_named(
    configs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path.parent / f"{tmp_path.name}-shared-prompts"
    elsewhere.mkdir()
    (elsewhere / "drafter.md").write_text("Svar kort.", encoding="utf-8")
    _edit(
        configs,
        "agents/drafter.yaml",
        "prompt: ../prompts/drafter.nb.md",
        f"prompt: {elsewhere}/drafter.md",
    )
    assert any("outside the project folder" in str(p) for p in _problems(configs))
    monkeypatch.setenv("KILAB_ALLOW_OUTSIDE", str(elsewhere))
    project = load_project([configs], root=configs)
    assert project.prompt_path("drafter") == elsewhere / "drafter.md"


def test_the_alias_bomb_is_a_few_hundred_bytes_and_plain_aliases_still_work(
    tmp_path: Path,
) -> None:
    from kilab.graphs.yamlsource import load_yaml

    assert len(alias_bomb().encode()) < 600  # the bomb was 549 bytes
    ordinary = "base: &base {k: 5, mode: bm25}\none: *base\ntwo: {<<: *base, k: 3}\n"
    data = load_yaml(tmp_path / "ok.yaml", ordinary).data
    assert data["one"] == {"k": 5, "mode": "bm25"}


def test_a_dataset_nested_too_deeply_in_json_is_located(tmp_path: Path) -> None:
    file = tmp_path / "deep.jsonl"
    file.write_text(
        json.dumps({"id": "a", "question": "Q?"}) + "\n" + "[" * 100_000 + "]" * 100_000 + "\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_dataset(file)
    (problem,) = caught.value.problems
    assert problem.location.line == 2 and "nested too deeply" in problem.message
