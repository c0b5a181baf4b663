"""Tool-using agents: the ``researcher`` role, and the ``fetch``/``changes`` tools as nodes.

A researcher runs a bounded tool-calling loop (``kilab.agents.loop``) over the tools its spec
lists; the passages its tools returned become the graph's passages (one per document, so
citations and gold ids name documents), and every tool call is recorded in the state.

On the ``offline`` profile a deterministic planner stands in for the model: it searches for
the question, then fetches the best documents. With ``mode: router`` a model that cannot call
tools reliably is asked for a structured choice of the next tool instead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.runnables import RunnableConfig

from kilab.agents.loop import (
    ChatLike,
    LoopLimits,
    LoopOutcome,
    build_loop,
    outcome,
    recursion_limit,
)
from kilab.agents.tools import Found, ToolEnv, found
from kilab.graphs.agent_tools import build_agent_tools
from kilab.graphs.context import AgentBinding, BuildContext
from kilab.graphs.nodes.params import ChangesParams, FetchParams, ResearcherSettings
from kilab.graphs.state import GraphState, Passage, ToolCall, Usage
from kilab.tools.compose import DECLINE_MESSAGE, coverage
from kilab.tools.notes import topic_of
from kilab.tools.retrieval.derived import documents
from kilab.tools.retrieval.types import Retriever, passage
from kilab.tools.text import terms

RESULT_CHARS = 300  # of a tool's reply kept in the recorded trace


class OfflinePlanner:
    """The offline profile's 'model': search for the question, fetch the best, then stop."""

    def __init__(self, tools: Sequence[str], k: int, fetch_top: int) -> None:
        self.tools, self.k, self.fetch_top = set(tools), k, fetch_top

    def invoke(self, input: list[BaseMessage]) -> BaseMessage:
        turns = sum(isinstance(m, AIMessage) for m in input)
        question = next((str(m.content) for m in input if isinstance(m, HumanMessage)), "")
        if turns == 0 and "search" in self.tools:
            query = topic_of(_first_line(question))
            return _calls([("search", {"query": query, "k": self.k})], turns)
        if turns == 1 and "fetch" in self.tools and self.fetch_top:
            ids = _ids_shown([m for m in input if isinstance(m, ToolMessage)])
            if ids:
                return _calls([("fetch", {"id": i}) for i in ids[: self.fetch_top]], turns)
        return AIMessage(content="")

    async def ainvoke(self, input: list[BaseMessage]) -> BaseMessage:
        return self.invoke(input)


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text


def _calls(calls: list[tuple[str, dict[str, Any]]], turn: int) -> AIMessage:
    return AIMessage(
        content="",
        tool_calls=[
            {"name": name, "args": args, "id": f"call_{turn}_{i}", "type": "tool_call"}
            for i, (name, args) in enumerate(calls)
        ],
    )


_SHOWN_ID = re.compile(r"^\[([^\]\s]+)\]", re.MULTILINE)


def _ids_shown(replies: Sequence[ToolMessage]) -> list[str]:
    return list(dict.fromkeys(m for r in replies for m in _SHOWN_ID.findall(str(r.content))))


def _documents(
    found_items: Sequence[Found], question: str, settings: ResearcherSettings, retriever: Retriever
) -> list[Passage]:
    """One passage per document, in order of first sight; a fetched one holds its full text."""
    order: dict[str, list[Found]] = {}
    for item in found_items:
        order.setdefault(item["doc_id"], []).append(item)
    wanted = terms(question)
    table = documents(retriever)
    passages = []
    for doc_id, items in list(order.items())[: settings.max_documents]:
        if any(i["fetched"] for i in items):
            texts = [c.text for c in table.get(doc_id, [])]
        else:
            texts = list(dict.fromkeys(i["text"] for i in items))
        text = "\n".join(texts)[: settings.document_chars]
        first = items[0]
        passages.append(
            passage(
                doc_id,
                text,
                title=first["title"],
                url=first["url"],
                source=first["source"],
                score=max(i["score"] for i in items),
                coverage=coverage(wanted, f"{first['title']} {text}"),
            )
        )
    return passages


def _trace(agent: str, result: LoopOutcome) -> list[ToolCall]:
    calls = []
    for step, (call, reply) in enumerate(result.tool_results(), start=1):
        ok = reply is not None and reply.status != "error"
        shown = "" if reply is None else str(reply.content)[:RESULT_CHARS]
        calls.append(
            ToolCall(
                node=agent,
                step=step,
                tool=call["name"],
                args=dict(call["args"]),
                ok=ok,
                result=shown,
            )
        )
    return calls


class ResearcherNode:
    """Graph node around a tool-calling loop."""

    def __init__(
        self,
        name: str,
        system_prompt: str,
        model: ChatLike,
        tools: list[Any],
        settings: ResearcherSettings,
        retriever: Retriever,
        profile: Any = None,
    ) -> None:
        self.name, self.system_prompt, self.settings = name, system_prompt, settings
        self.retriever = retriever
        self.limits = LoopLimits(settings.max_steps, settings.token_budget)
        self.loop = build_loop(model, tools, self.limits, profile, name=name)
        self.config: RunnableConfig = {"recursion_limit": recursion_limit(self.limits)}

    def set_up(self) -> None:
        """Load the retriever's models before the first task."""
        warm_up = getattr(self.retriever, "warm_up", None)
        if warm_up is not None:
            warm_up()

    def _input(self, state: GraphState) -> dict[str, Any]:
        question = state["question"]
        comments = [f["message"] for f in state.get("feedback", []) if f["message"]]
        if comments:
            question += "\n\nMerknader fra forrige runde:\n" + "\n".join(f"- {c}" for c in comments)
        messages: list[BaseMessage] = [HumanMessage(question)]
        if self.system_prompt:
            messages.insert(0, SystemMessage(self.system_prompt))
        return {"messages": messages}

    def _update(self, state: GraphState, final: dict[str, Any]) -> GraphState:
        result = outcome(final)
        items = [
            item
            for _, reply in result.tool_results()
            if reply is not None
            for item in (reply.artifact or [])
        ]
        passages = _documents(items, state["question"], self.settings, self.retriever)
        update: GraphState = {
            "passages": passages,
            "tool_calls": _trace(self.name, result),
            "steps": {self.name: result.steps},
            "stop_reason": result.stop_reason,
            # A graph may hand over to a writer on "found" and end on "nothing".
            "outcome": "found" if passages else "nothing",
        }
        if not passages:  # nothing to write from: the assistant declines rather than invents
            update |= GraphState(declined=True, draft=DECLINE_MESSAGE, citations=[])
        if result.stop_reason != "answered":
            update["errors"] = [f"{self.name}: stopped by {result.stop_reason.replace('_', ' ')}"]
        if result.steps:  # the offline planner's turns count as calls too, at no cost
            update["usage"] = {
                "node": Usage(
                    calls=result.steps,
                    input_tokens=result.input_tokens,
                    output_tokens=result.output_tokens,
                    cost=result.cost,
                )
            }
        return update

    def invoke(self, state: GraphState) -> GraphState:
        return self._update(state, self.loop.invoke(self._input(state), self.config))

    async def ainvoke(self, state: GraphState) -> GraphState:
        return self._update(state, await self.loop.ainvoke(self._input(state), self.config))


def _model(
    context: BuildContext, agent: AgentBinding, settings: ResearcherSettings, tools: list[Any]
) -> ChatLike:
    if agent.profile.provider == "offline":
        return OfflinePlanner(agent.spec.tools, settings.k, settings.fetch_top)
    from kilab.agents.models import chat_model

    chat = chat_model(agent.profile)
    if settings.mode == "router":
        from kilab.agents.router import RouterModel

        return RouterModel(chat, tools, agent.profile.structured_method or "json_schema")
    bound: ChatLike = chat.bind_tools(tools)
    return bound


def build_researcher(
    context: BuildContext, agent: AgentBinding, settings: ResearcherSettings
) -> ResearcherNode:
    """Find the documents a task needs by calling tools (search, fetch …) in a bounded loop."""
    from kilab.tools.retrieval import open_retriever

    retriever = open_retriever(
        context.corpus_source(settings.corpus), settings.search_mode, context.cache_dir
    )
    env = ToolEnv(retriever, k=settings.k, document_chars=min(4000, settings.document_chars))
    folder = context.project.agents[agent.name].file.parent
    tools = build_agent_tools(agent.spec, env, folder, agent.name)
    return ResearcherNode(
        agent.name,
        agent.prompt,
        _model(context, agent, settings, tools),
        tools,
        settings,
        retriever,
        agent.profile,
    )


def build_fetch(context: BuildContext, params: FetchParams) -> Any:
    """Add whole documents, by id, to the passages."""
    from kilab.tools.retrieval import open_retriever

    retriever = open_retriever(context.corpus_source(params.corpus), "bm25", context.cache_dir)
    settings = ResearcherSettings.model_validate({"corpus": params.corpus})

    def fetch(state: GraphState) -> GraphState:
        table = documents(retriever)
        items = [found(c, 0.0, True) for i in params.ids for c in table.get(i, [])]
        return {"passages": _documents(items, state["question"], settings, retriever)}

    return fetch


def build_changes(context: BuildContext, params: ChangesParams) -> Any:
    """List documents published between two dates as passages, newest first."""
    from kilab.tools.retrieval import open_retriever

    retriever = open_retriever(context.corpus_source(params.corpus), "bm25", context.cache_dir)
    settings = ResearcherSettings.model_validate(
        {"corpus": params.corpus, "max_documents": params.k}
    )

    def changes(state: GraphState) -> GraphState:
        rows = []
        for chunks in documents(retriever).values():
            first = chunks[0]
            day = first.metadata.get("date_published", "")[:10]
            if params.since <= day <= params.until and all(
                first.metadata.get(k) == v for k, v in params.filters.items()
            ):
                rows.append((day, first))
        rows.sort(key=lambda row: row[0], reverse=True)
        items = [found(c, 0.0, False) for _, c in rows[: params.k]]
        return {"passages": _documents(items, state["question"], settings, retriever)}

    return changes
