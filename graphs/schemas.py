"""JSON Schemas of the config kinds, for editors (``# yaml-language-server: $schema=…``).

Beyond the spec models, each schema knows the registered node kinds, so an editor catches
the typos ``kilab validate`` catches: a tool node's ``with:`` follows that tool's parameters
and an agent's ``settings:`` its role's settings, chosen by the ``tool`` or ``role`` named
beside them (``if``/``then`` on that key: a union discriminated by tool or role). Where the
schema cannot know which kind applies (an agent node's ``with:``, a variant's overrides,
whose role or tool is in another file), the value must fit at least one kind, without
required keys, since an override may name one key only.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from kilab.graphs import registry
from kilab.graphs.specs import KINDS

Schema = dict[str, Any]
DRAFT = "https://json-schema.org/draft/2020-12/schema"


def _ref(name: str) -> Schema:
    return {"$ref": f"#/$defs/{name}"}


def _add_params(defs: Schema, key: str, params: type[BaseModel]) -> None:
    """``params``'s schema as ``$defs[key]``, its nested models beside it."""
    schema = params.model_json_schema(by_alias=True, ref_template="#/$defs/{model}")
    for name, nested in schema.pop("$defs", {}).items():
        defs.setdefault(name, nested)
    schema.setdefault("additionalProperties", False)
    defs[key] = schema
    # The same keys without "required": an override need not repeat what the base sets.
    defs[f"{key}.override"] = {k: v for k, v in schema.items() if k != "required"}


def _kinds(defs: Schema, category: registry.Category) -> list[str]:
    names = registry.names(category)
    for name in names:
        kind = registry.lookup(category, name)
        assert kind is not None  # listed by the registry a line above
        _add_params(defs, f"{category}.{name}", kind.params)
    return names


def _any_override(category: str, names: list[str]) -> Schema:
    return {"anyOf": [_ref(f"{category}.{name}.override") for name in names]}


def _by_key(key: str, category: str, names: list[str], field: str) -> list[Schema]:
    """``if key is NAME then field follows NAME's parameters`` for every name."""
    return [
        {
            "if": {"required": [key], "properties": {key: {"const": name}}},
            "then": {"properties": {field: _ref(f"{category}.{name}")}},
        }
        for name in names
    ]


def _graph(schema: Schema, tools: list[str], roles: list[str]) -> None:
    node = schema["$defs"]["NodeSpec"]
    node["properties"]["tool"] = {"enum": tools, "description": "A registered tool node."}
    node["properties"]["agent"] = {"type": "string", "description": "Name of an agent config."}
    node["allOf"] = [
        *_by_key("tool", "tool", tools, "with"),
        {
            "if": {"required": ["agent"]},
            "then": {"properties": {"with": _any_override("role", roles)}},
        },
    ]


def _agent(schema: Schema, roles: list[str]) -> None:
    schema["properties"]["role"] = {"enum": roles, "description": "A registered role."}
    schema["allOf"] = _by_key("role", "role", roles, "settings")


def _pilot(schema: Schema, tools: list[str], roles: list[str]) -> None:
    defs = schema["$defs"]
    defs["VariantSpec"]["properties"]["nodes"]["additionalProperties"] = _any_override(
        "tool", tools
    )
    defs["AgentOverride"]["properties"]["settings"] = _any_override("role", roles)


def kind_schema(kind: str) -> Schema:
    """The JSON Schema of one config kind, with the registered tools' and roles' keys."""
    model = KINDS[kind]
    schema = model.model_json_schema(by_alias=True)
    schema.setdefault("$defs", {})
    if kind in ("graph", "agent", "pilot"):
        defs = schema["$defs"]
        tools = _kinds(defs, "tool")
        roles = _kinds(defs, "role")
        if kind == "graph":
            _graph(schema, tools, roles)
        elif kind == "agent":
            _agent(schema, roles)
        else:
            _pilot(schema, tools, roles)
    if not schema["$defs"]:
        del schema["$defs"]
    schema["$schema"] = DRAFT
    schema["title"] = f"kilab {kind}"
    return schema


def schema_files() -> dict[str, str]:
    """File name → JSON Schema text, one per kind."""
    return {
        f"{kind}.schema.json": json.dumps(kind_schema(kind), indent=2, ensure_ascii=False) + "\n"
        for kind in KINDS
    }
