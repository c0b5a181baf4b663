"""The compiler: routes follow outcomes, loop limits hold, variants override, state persists."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from langgraph.checkpoint.sqlite import SqliteSaver
from pydantic import BaseModel, ConfigDict

from kilab.graphs import registry
from kilab.graphs.compiler import compile_graph, compile_pilot
from kilab.graphs.context import AgentBinding, BuildContext
from kilab.graphs.project import load_project
from kilab.graphs.runner import NOT_APPROVED_MESSAGE, run_question
from kilab.graphs.state import GraphState


class ScriptSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    verdicts: list[str] = []


@registry.role("test-scripted-reviewer", ScriptSettings, outcomes=("approved", "revise", "reject"))
def _scripted(context: BuildContext, agent: AgentBinding, settings: ScriptSettings) -> Any:
    def review(state: GraphState) -> dict[str, Any]:
        turn = state.get("visits", {}).get("review", 0)
        verdict = settings.verdicts[min(turn, len(settings.verdicts) - 1)]
        return {"verdict": verdict, "outcome": verdict}

    return review


def _project(configs: Path, verdicts: list[str], limit: int) -> Any:
    (configs / "agents" / "scripted.yaml").write_text(
        f"kind: agent\nname: scripted\nrole: test-scripted-reviewer\n"
        f"settings: {{verdicts: {verdicts}}}\n",
        encoding="utf-8",
    )
    (configs / "graphs" / "loop.yaml").write_text(
        "kind: graph\nname: loop\nnodes:\n"
        "  retrieve: {tool: search, with: {corpus: eiendomslover, k: 3, mode: bm25}}\n"
        "  draft: {agent: drafter}\n  review: {agent: scripted}\n"
        "edges: [[START, retrieve], [retrieve, draft], [draft, review]]\n"
        "routes: {review: {approved: END, revise: draft, reject: END}}\n"
        f"limits: {{draft: {limit}}}\n",
        encoding="utf-8",
    )
    return load_project([configs], root=configs)


QUESTION = "Hvor stort depositum kan utleier kreve av leieren?"


def test_revise_routes_back_to_the_drafter_until_approved(configs: Path, tmp_path: Path) -> None:
    project = _project(configs, ["revise", "revise", "approved"], limit=3)
    compiled = compile_graph(BuildContext(project, cache_dir=tmp_path), "loop")
    result = run_question(compiled, QUESTION)
    assert result.path == ["retrieve", "draft", "review", "draft", "review", "draft", "review"]
    assert result.verdict == "approved"
    assert not result.errors
    assert result.answer == result.draft and result.citations


def test_loop_limit_stops_the_loop_and_withholds_the_draft(configs: Path, tmp_path: Path) -> None:
    project = _project(configs, ["revise"], limit=2)
    compiled = compile_graph(BuildContext(project, cache_dir=tmp_path), "loop")
    result = run_question(compiled, QUESTION)
    assert result.path == ["retrieve", "draft", "review", "draft", "review", "loop_limit"]
    assert result.errors == ["loop limit reached: draft"]
    assert result.answer == NOT_APPROVED_MESSAGE and result.declined


def test_reject_ends_without_an_answer(configs: Path, tmp_path: Path) -> None:
    project = _project(configs, ["reject"], limit=3)
    result = run_question(
        compile_graph(BuildContext(project, cache_dir=tmp_path), "loop"), QUESTION
    )
    assert result.path[-1] == "review" and result.declined and not result.citations


def test_variant_overrides_node_parameters(configs: Path, tmp_path: Path) -> None:
    project = load_project([configs], root=configs)
    five = run_question(compile_pilot(project, "husleie", "bm25", cache_dir=tmp_path), QUESTION)
    assert len(five.passages) == 5
    pilot = configs / "pilots" / "husleie.yaml"
    pilot.write_text(
        pilot.read_text(encoding="utf-8").replace(
            "nodes: {retrieve: {mode: bm25}}", "nodes: {retrieve: {mode: bm25, k: 2}}"
        ),
        encoding="utf-8",
    )
    project = load_project([configs], root=configs)
    two = run_question(compile_pilot(project, "husleie", "bm25", cache_dir=tmp_path), QUESTION)
    assert [p["id"] for p in two.passages] == [p["id"] for p in five.passages[:2]]


def test_unknown_variant_is_a_clear_error(configs: Path) -> None:
    from kilab.core.errors import NotFoundError

    project = load_project([configs], root=configs)
    with pytest.raises(NotFoundError, match="did you mean 'bm25'"):
        compile_pilot(project, "husleie", "bm2")


def test_state_is_checkpointed_by_thread(configs: Path, tmp_path: Path) -> None:
    project = load_project([configs], root=configs)
    database = tmp_path / "checkpoints.sqlite"
    with SqliteSaver.from_conn_string(str(database)) as saver:
        compiled = compile_pilot(project, "husleie", "bm25", cache_dir=tmp_path, checkpointer=saver)
        result = run_question(compiled, QUESTION, thread_id="thread-1")
    with SqliteSaver.from_conn_string(str(database)) as saver:
        saved = saver.get_tuple({"configurable": {"thread_id": "thread-1"}})
    assert saved is not None
    values = saved.checkpoint["channel_values"]
    assert values["question"] == QUESTION
    assert values["draft"] == result.draft
    assert [p["id"] for p in values["passages"]] == [p["id"] for p in result.passages]
