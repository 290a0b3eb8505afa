"""The JSON Schema of ``assessment.json`` (``assessment.schema.json``, shipped in the package)
and a check of a document against it."""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import Any

SCHEMA_FILE = "assessment.schema.json"


@cache
def assessment_schema() -> dict[str, Any]:
    """The schema as a dict (JSON Schema 2020-12)."""
    text = files("assay.model").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def schema_errors(document: Any) -> list[str]:
    """Every place ``document`` departs from the schema, as ``$.path: message`` lines (formats
    such as date-time are checked too); [] for a valid document."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(
        assessment_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    return [f"{e.json_path}: {e.message}" for e in errors]
