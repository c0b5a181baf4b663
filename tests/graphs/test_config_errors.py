"""Malformed configs: every problem is reported with its file, line and an actionable message."""

from __future__ import annotations

from pathlib import Path

import pytest

from kilab.core.errors import ConfigError, Problem
from kilab.graphs.project import load_project

CONFIGS = Path(__file__).resolve().parents[2] / "configs"

GRAPH = """\
kind: graph
name: g2
nodes:
  retrieve: {tool: search, with: {corpus: eiendomslover, k: 5}}
  draft: {agent: drafter}
  review: {agent: reviewer}
edges: [[START, retrieve], [retrieve, draft], [draft, review]]
routes:
  review: {approved: END, revise: draft, reject: END}
limits: {draft: 2}
"""


def replace(text: str, old: str, new: str) -> str:
    assert old in text, f"test setup: {old!r} not in text"
    return text.replace(old, new, 1)


# (file, new content given the old (or None for a new graph file), line, words in the message)
CASES: list[tuple[str, str, object, int | str, list[str]]] = [
    ("yaml-syntax", "graphs/g2.yaml", GRAPH.replace("k: 5}}", "k: 5}"), 5, ["invalid YAML"]),
    ("tab-indent", "graphs/g2.yaml", GRAPH.replace("  draft:", "\tdraft:"), 5, ["invalid YAML"]),
    ("duplicate-key", "graphs/g2.yaml", GRAPH + "name: again\n", 11, ["duplicate key", "name"]),
    ("not-a-mapping", "graphs/g2.yaml", "- just\n- a list\n", 1, ["mapping"]),
    ("missing-kind", "graphs/g2.yaml", GRAPH.replace("kind: graph\n", ""), 1, ["kind", "missing"]),
    (
        "unknown-kind",
        "graphs/g2.yaml",
        GRAPH.replace("kind: graph", "kind: grahp"),
        1,
        ["unknown kind", "did you mean 'graph'"],
    ),
    (
        "unknown-top-key",
        "graphs/g2.yaml",
        GRAPH.replace("limits:", "limts:"),
        10,
        ["limts", "unknown key", "did you mean 'limits'"],
    ),
    ("missing-nodes", "graphs/g2.yaml", "kind: graph\nname: g2\n", 1, ["nodes", "missing"]),
    (
        "bad-name",
        "graphs/g2.yaml",
        GRAPH.replace("name: g2", "name: 'my graph!'"),
        2,
        ["name", "pattern"],
    ),
    (
        "node-both-kinds",
        "graphs/g2.yaml",
        GRAPH.replace("draft: {agent: drafter}", "draft: {agent: drafter, tool: search}"),
        5,
        ["exactly one"],
    ),
    (
        "unknown-tool",
        "graphs/g2.yaml",
        GRAPH.replace("tool: search", "tool: serch"),
        4,
        ["no tool named 'serch'", "did you mean 'search'"],
    ),
    (
        "unknown-tool-param",
        "graphs/g2.yaml",
        GRAPH.replace("k: 5", "kk: 5"),
        4,
        ["nodes.retrieve.with.kk", "unknown key", "did you mean 'k'"],
    ),
    (
        "wrong-param-type",
        "graphs/g2.yaml",
        GRAPH.replace("k: 5", "k: many"),
        4,
        ["nodes.retrieve.with.k", "integer"],
    ),
    (
        "param-out-of-range",
        "graphs/g2.yaml",
        GRAPH.replace("k: 5", "k: 0"),
        4,
        ["greater than or equal to 1"],
    ),
    (
        "bad-mode",
        "graphs/g2.yaml",
        GRAPH.replace("k: 5", "k: 5, mode: fuzzy"),
        4,
        ["'fuzzy' is not allowed", "hybrid"],
    ),
    (
        "dangling-corpus",
        "graphs/g2.yaml",
        GRAPH.replace("eiendomslover", "eiendomslov"),
        4,
        ["no corpus named 'eiendomslov'", "did you mean 'eiendomslover'"],
    ),
    (
        "dangling-agent",
        "graphs/g2.yaml",
        GRAPH.replace("agent: drafter", "agent: draftr"),
        5,
        ["no agent named 'draftr'", "did you mean 'drafter'"],
    ),
    (
        "edge-unknown-node",
        "graphs/g2.yaml",
        GRAPH.replace("[draft, review]", "[draft, reveiw]"),
        7,
        ["unknown node 'reveiw'", "did you mean 'review'"],
    ),
    (
        "route-unknown-target",
        "graphs/g2.yaml",
        GRAPH.replace("revise: draft", "revise: drift"),
        9,
        ["unknown node 'drift'"],
    ),
    (
        "route-unknown-outcome",
        "graphs/g2.yaml",
        GRAPH.replace("reject: END", "rejected: END"),
        9,
        ["unknown outcome 'rejected'", "did you mean 'reject'"],
    ),
    (
        "route-missing-outcome",
        "graphs/g2.yaml",
        GRAPH.replace(", reject: END", ""),
        9,
        ["no route for outcome(s) reject"],
    ),
    (
        "route-on-tool-without-outcomes",
        "graphs/g2.yaml",
        GRAPH.replace("[START, retrieve], [retrieve, draft], ", "[START, retrieve], ").replace(
            "routes:\n", "routes:\n  retrieve: {found: draft}\n"
        ),
        9,
        ["no outcomes to route on"],
    ),
    (
        "unreachable-node",
        "graphs/g2.yaml",
        GRAPH.replace(
            "  review: {agent: reviewer}\n",
            "  review: {agent: reviewer}\n  orphan: {agent: drafter}\n",
        ).replace("[draft, review]]", "[draft, review], [orphan, review]]"),
        7,
        ["'orphan' cannot be reached from START"],
    ),
    (
        "no-path-to-end",
        "graphs/g2.yaml",
        GRAPH.replace(
            "routes:\n  review: {approved: END, revise: draft, reject: END}\n", ""
        ).replace("[draft, review]]", "[draft, review], [review, draft]]"),
        4,
        ["no path to END"],
    ),
    (
        "unbounded-loop",
        "graphs/g2.yaml",
        GRAPH.replace("limits: {draft: 2}\n", ""),
        5,
        ["loop", "no bound"],
    ),
    (
        "limit-unknown-node",
        "graphs/g2.yaml",
        GRAPH.replace("{draft: 2}", "{draft: 2, drfat: 1}"),
        10,
        ["unknown node 'drfat'"],
    ),
    (
        "limit-not-positive",
        "graphs/g2.yaml",
        GRAPH.replace("{draft: 2}", "{draft: 0}"),
        10,
        ["greater than 0"],
    ),
    (
        "agent-unknown-role",
        "agents/drafter.yaml",
        lambda t: replace(t, "role: drafter", "role: writer"),
        5,
        ["no role named 'writer'"],
    ),
    (
        "agent-unknown-profile",
        "agents/drafter.yaml",
        lambda t: replace(t, "model: offline", "model: ofline"),
        6,
        ["no profile named 'ofline'", "did you mean 'offline'"],
    ),
    (
        "agent-missing-prompt",
        "agents/drafter.yaml",
        lambda t: replace(t, "drafter.nb.md", "nowhere.md"),
        7,
        ["prompt file", "not found"],
    ),
    (
        "agent-bad-setting",
        "agents/drafter.yaml",
        lambda t: replace(t, "max_sentences: 3", "max_sentence: 3"),
        9,
        ["settings.max_sentence", "did you mean 'max_sentences'"],
    ),
    (
        "agent-tool-not-callable",
        "agents/drafter.yaml",
        lambda t: t + "tools: [human-approval]\n",
        "tools: [human-approval]",
        ["no tool named 'human-approval' that an agent can call", "fetch"],
    ),
    (
        "agent-tool-misspelt",
        "agents/drafter.yaml",
        lambda t: t + "tools: [serch]\n",
        "tools: [serch]",
        ["no tool named 'serch'", "did you mean 'search'"],
    ),
    (
        "secret-in-profile",
        "models.yaml",
        lambda t: replace(t, "api_key_env: OPENAI_API_KEY", "api_key_env: sk-abc123def456"),
        11,
        ["NAME of an environment variable"],
    ),
    (
        "unknown-provider",
        "models.yaml",
        lambda t: replace(t, "provider: openai\n", "provider: opneai\n"),
        9,
        ["'opneai' is not allowed", "did you mean 'openai'"],
    ),
    (
        "pilot-unknown-graph",
        "pilots/husleie.yaml",
        lambda t: replace(t, "graph: rag-review", "graph: rag-reveiw"),
        "graph: rag-reveiw",
        ["no graph named 'rag-reveiw'", "did you mean 'rag-review'"],
    ),
    (
        "pilot-missing-dataset",
        "pilots/husleie.yaml",
        lambda t: replace(t, "husleie-test.jsonl", "missing.jsonl"),
        "test: ../datasets/missing.jsonl",
        ["dataset file", "not found"],
    ),
    (
        "variant-unknown-node",
        "pilots/husleie.yaml",
        lambda t: replace(t, "nodes: {retrieve: {k: 10}}", "nodes: {retreive: {k: 10}}"),
        "retreive",
        ["no node 'retreive'", "did you mean 'retrieve'"],
    ),
    (
        "variant-bad-param",
        "pilots/husleie.yaml",
        lambda t: replace(t, "nodes: {retrieve: {k: 10}}", "nodes: {retrieve: {k: -1}}"),
        "k: -1",
        ["variants.k10.nodes.retrieve.k", "greater than or equal to 1"],
    ),
    (
        "gate-unknown-stage",
        "pilots/husleie.yaml",
        lambda t: replace(t, "  production:", "  prod:"),
        "  prod:",
        ["'prod' is not allowed", "production"],
    ),
    (
        "duplicate-name",
        "graphs/zz.yaml",
        GRAPH.replace("name: g2", "name: rag-review"),
        2,
        ["already declared"],
    ),
]


def _problems(configs: Path) -> list[Problem]:
    with pytest.raises(ConfigError) as caught:
        load_project([configs], root=configs)
    return caught.value.problems


@pytest.mark.parametrize(
    ("case", "file", "change", "line", "words"), CASES, ids=[c[0] for c in CASES]
)
def test_malformed_config_is_located(
    configs: Path, case: str, file: str, change: object, line: int | str, words: list[str]
) -> None:
    """``line`` is a number, or a text whose first line in the changed file is the one."""
    target = configs / file
    if callable(change):
        target.write_text(change(target.read_text(encoding="utf-8")), encoding="utf-8")
    else:
        target.write_text(str(change), encoding="utf-8")
    if isinstance(line, str):
        lines = target.read_text(encoding="utf-8").splitlines()
        line = next(i for i, text in enumerate(lines, 1) if line in text)
    problems = _problems(configs)
    matching = [p for p in problems if all(w in str(p) for w in words)]
    assert matching, f"no problem mentions {words}; got:\n" + "\n".join(map(str, problems))
    assert matching[0].location.file == target
    assert matching[0].location.line == line, str(matching[0])


def test_all_problems_are_reported_together(configs: Path) -> None:
    (configs / "graphs" / "g2.yaml").write_text(
        GRAPH.replace("tool: search", "tool: serch")
        .replace("agent: drafter", "agent: draftr")
        .replace("limits:", "limts:"),
        encoding="utf-8",
    )
    (configs / "pilots" / "broken.yaml").write_text("kind: pilot\nname: b\n", encoding="utf-8")
    messages = [str(p) for p in _problems(configs)]
    assert any("serch" in m for m in messages)
    assert any("draftr" in m for m in messages)
    assert any("limts" in m for m in messages)
    assert any("broken.yaml:1:1" in m and "graph" in m and "missing" in m for m in messages)


def test_shipped_configs_are_valid() -> None:
    project = load_project([CONFIGS], root=CONFIGS)
    assert "husleie" in project.pilots
    assert project.pilots["husleie"].spec.graph in project.graphs
