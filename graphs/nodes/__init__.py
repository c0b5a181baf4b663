"""Built-in node kinds, declared on the first registry lookup.

Each kind is declared with its parameters (``kilab.graphs.nodes.params``) and its builder named
as ``module:function``: validating configs imports the parameter models only, and a builder's
module (LangGraph, LangChain, the retrievers) is imported when a graph that uses it compiles.
"""

from kilab.agents.role_settings import DrafterSettings, ReviewerSettings
from kilab.graphs.nodes.params import (
    ChangesParams,
    ComposerSettings,
    FetchParams,
    HumanParams,
    ResearcherSettings,
    SearchParams,
)
from kilab.graphs.registry import NoParams, declare

_VERDICTS = ("approved", "revise", "reject")

declare(
    "tool",
    "search",
    SearchParams,
    "kilab.graphs.nodes.search:build_search",
    description="Retrieve the best passages for the question from a corpus.",
)
declare(
    "tool",
    "fetch",
    FetchParams,
    "kilab.graphs.nodes.agentic:build_fetch",
    description="Add whole documents, by id, to the passages.",
)
declare(
    "tool",
    "changes",
    ChangesParams,
    "kilab.graphs.nodes.agentic:build_changes",
    description="List documents published between two dates as passages, newest first.",
)
declare(
    "tool",
    "human-approval",
    HumanParams,
    "kilab.graphs.nodes.human:build_human",
    outcomes=_VERDICTS,
    description="Pause for a person to approve, revise or reject the draft "
    "(a policy answers in evals).",
)
declare(
    "role",
    "drafter",
    DrafterSettings,
    "kilab.graphs.nodes.roles:build_drafter",
    description="Write a cited answer from the retrieved passages, or decline.",
)
declare(
    "role",
    "reviewer",
    ReviewerSettings,
    "kilab.graphs.nodes.roles:build_reviewer",
    outcomes=_VERDICTS,
    description="Check the draft: every citation resolves, every sentence is supported, "
    "no personal data.",
)
declare(
    "role",
    "composer",
    ComposerSettings,
    "kilab.graphs.nodes.notes:build_composer",
    description="Write a briefing note (Bakgrunn, Hovedpunkter, Konsekvenser, Kilder), "
    "every claim cited.",
)
declare(
    "role",
    "researcher",
    ResearcherSettings,
    "kilab.graphs.nodes.agentic:build_researcher",
    outcomes=("found", "nothing"),
    description="Find the documents a task needs by calling tools (search, fetch …) "
    "in a bounded loop.",
)

# The tools an agent may call (``kilab.agents.tools.BUILTIN_TOOLS``; a test keeps the two equal).
declare(
    "agent-tool",
    "search",
    NoParams,
    "kilab.agents.tools:search_tool",
    description="``search(query, k, filters)``: the best passages, one line each, "
    "with document ids.",
)
declare(
    "agent-tool",
    "fetch",
    NoParams,
    "kilab.agents.tools:fetch_tool",
    description="``fetch(id)``: the text of one document, shortened to the agent's limit.",
)
declare(
    "agent-tool",
    "changes",
    NoParams,
    "kilab.agents.tools:changes_tool",
    description="``changes(since, until, filters)``: ids and titles of what was published then.",
)
