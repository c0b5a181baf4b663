"""JSON Schemas of the config kinds, for editors (``# yaml-language-server: $schema=…``)."""

from __future__ import annotations

import json

from kilab.graphs.specs import KINDS


def schema_files() -> dict[str, str]:
    """File name → JSON Schema text, one per kind."""
    files = {}
    for kind, model in KINDS.items():
        schema = model.model_json_schema(by_alias=True)
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["title"] = f"kilab {kind}"
        files[f"{kind}.schema.json"] = json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
    return files
