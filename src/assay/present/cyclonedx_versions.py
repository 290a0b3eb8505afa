"""CycloneDX 1.6, 1.5 and 1.4 as JSON or XML, from the one 1.6 document of
``present.cyclonedx``.

An older version leaves out what it cannot hold: 1.5 has no manufacturer or authors on a
component and no ``metadata.manufacturer`` (the maker goes to ``metadata.manufacture``, as
1.5 names it), and takes one identity evidence; 1.4 has no component evidence, no lifecycles,
tools as a list, and no CVSS v4 method (such a rating says ``other``). XML is the same
document through ``present.cyclonedx_xml``.
"""

from __future__ import annotations

from typing import Any

import orjson

from assay.errors import UsageError
from assay.model.assessment import Assessment

VERSIONS = ("1.6", "1.5", "1.4")
_LAST: dict[str, Any] = {}
# the order of the XML schema's metadata sequence
METADATA = ("timestamp", "lifecycles", "tools", "authors", "component", "manufacture", "supplier")


def _document(assessment: Assessment) -> dict[str, Any]:
    """The 1.6 document, built once per assessment for all the versions asked for."""
    from assay.present.cyclonedx import document
    from assay.present.native import presentable

    shown = presentable(assessment)
    if _LAST.get("source") is not shown:
        _LAST.update(source=shown, doc=document(shown))
    doc: dict[str, Any] = _LAST["doc"]
    return doc


def downgrade(doc: dict[str, Any], version: str) -> dict[str, Any]:
    """The 1.6 ``doc`` as ``version``: a new document that shares what it does not change
    (1.6 is returned as it is)."""
    if version == "1.6":
        return doc
    meta = dict(doc["metadata"])
    maker = meta.pop("manufacturer", None)
    meta["component"] = {k: v for k, v in meta["component"].items() if k != "manufacturer"}
    if maker:
        meta["manufacture"] = maker
    if version == "1.4":
        meta.pop("lifecycles", None)
        meta["tools"] = [
            {"vendor": t.get("publisher", ""), "name": t["name"], "version": t.get("version", "")}
            for t in meta["tools"]["components"]
        ]
    out = {
        **doc,
        "$schema": f"http://cyclonedx.org/schema/bom-{version}.schema.json",
        "specVersion": version,
        "metadata": {k: meta[k] for k in METADATA if k in meta},
        "components": [_component(c, version) for c in doc.get("components", [])],
    }
    if version == "1.4" and "vulnerabilities" in doc:
        out["vulnerabilities"] = [_vulnerability_1_4(v) for v in doc["vulnerabilities"]]
    return out


def _component(comp: dict[str, Any], version: str) -> dict[str, Any]:
    """A component of 1.5 (one identity evidence) or 1.4 (no evidence); nested ones too."""
    out = dict(comp)
    if "components" in comp:
        out["components"] = [_component(c, version) for c in comp["components"]]
    if version == "1.4":
        out.pop("evidence", None)
    elif comp.get("evidence", {}).get("identity"):
        out["evidence"] = {**comp["evidence"], "identity": comp["evidence"]["identity"][0]}
    return out


def _vulnerability_1_4(vuln: dict[str, Any]) -> dict[str, Any]:
    """1.4 has no CVSS v4 method: such a rating says ``other``."""
    ratings = vuln.get("ratings", [])
    if not any(r.get("method") == "CVSSv4" for r in ratings):
        return vuln
    fixed = [{**r, "method": "other"} if r.get("method") == "CVSSv4" else r for r in ratings]
    return {**vuln, "ratings": fixed}


def render_version(assessment: Assessment, kind: str, version: str) -> str:
    """The SBOM as CycloneDX ``kind`` (json | xml) of ``version``."""
    if kind == "json":
        return json_version(assessment, version).decode("utf-8")
    from assay.present.cyclonedx_xml import render_xml

    return render_xml(_version(assessment, version))


def json_version(assessment: Assessment, version: str) -> bytes:
    """The SBOM as CycloneDX JSON of ``version``, in UTF-8."""
    return orjson.dumps(_version(assessment, version), option=orjson.OPT_INDENT_2) + b"\n"


def _version(assessment: Assessment, version: str) -> dict[str, Any]:
    if version not in VERSIONS:
        raise UsageError(f"CycloneDX {version} is not offered", f"use one of {', '.join(VERSIONS)}")
    return downgrade(_document(assessment), version)
