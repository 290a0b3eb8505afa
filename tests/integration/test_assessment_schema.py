"""``assessment.json`` against the JSON Schema shipped in the package: the real WR703N scan
is valid, and documents broken in the ways a reader would trip over are not."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from assay.model.schema import assessment_schema, schema_errors


def test_the_schema_is_a_valid_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(assessment_schema())


@pytest.fixture(scope="module")
def document(wr703n_scan: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((wr703n_scan / "assessment.json").read_text())
    return loaded


@pytest.mark.slow
def test_the_real_wr703n_scan_is_valid(document: dict[str, Any]) -> None:
    assert schema_errors(document) == []
    # it is a real document, with every part the schema describes
    assert len(document["components"]) > 50 and len(document["vulnerabilities"]) > 100
    assert document["findings"] and document["verdicts"] and document["declaration"]


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = doc
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        node[int(last) if last.isdigit() else last] = value

    return change


def _drop(key: str) -> Callable[[dict[str, Any]], None]:
    return lambda doc: doc.pop(key)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("change", "where"),
    [
        (_drop("findings"), "$: 'findings' is a required property"),
        (_set("vulnerabilities.0.severity", "severe"), "$.vulnerabilities[0].severity"),
        (_set("vulnerabilities.0.epss", 1.5), "$.vulnerabilities[0].epss"),
        (_set("vulnerabilities.0.status", "maybe"), "$.vulnerabilities[0].status"),
        (_set("vulnerabilities.0.kev", "yes"), "$.vulnerabilities[0].kev"),
        (_set("vulnerabilities.0.suppressed", {"by": "ignore", "status": "ignored"}),
         "$.vulnerabilities[0].suppressed: 'reason' is a required property"),
        (_set("vulnerabilities.0.suppressed", {"by": "vex", "status": "ignored"}),
         "$.vulnerabilities[0].suppressed.status"),
        (_set("vulnerabilities.0.suppressed", {"by": "ignore", "status": "ignored", "reason": "x",
                                               "expires": "soon"}),
         "$.vulnerabilities[0].suppressed.expires: 'soon' is not a 'date'"),
        (_set("verdicts.0.verdict", "MAYBE"), "$.verdicts[0].verdict"),
        (_set("findings.0.evidence.0.line", "1"), "$.findings[0].evidence[0].line"),
        (_set("components.0.purl", "zlib"), "$.components[0].purl"),
        (_set("target.sha256", "D4E2"), "$.target.sha256"),
        (_set("created", "yesterday"), "$.created"),
        (_set("tool.name", "grype"), "$.tool.name"),
        (_set("schema_version", "2.0.0"), "$.schema_version"),
    ],
)  # fmt: skip
def test_a_broken_document_is_refused_where_it_breaks(
    document: dict[str, Any], change: Callable[[dict[str, Any]], None], where: str
) -> None:
    broken = copy.deepcopy(document)
    change(broken)
    errors = schema_errors(broken)
    assert errors and all(e.startswith(where.split(":")[0]) for e in errors), errors
    assert any(e.startswith(where) for e in errors), errors
