"""A device's inventory from what Assay already wrote: an assessment or a CycloneDX SBOM."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assay.environment.model import Finding
from assay.errors import InputError

MAX_BYTES = 64 * 1024 * 1024

Inventory = tuple[tuple[tuple[str, str], ...], tuple[Finding, ...]]


def counts(match: dict[str, Any]) -> bool:
    """Whether a vulnerability match counts for the environment: not when the assessment says
    the product is not affected, nor when it rests on a platform condition nobody checked."""
    status = str(match.get("status") or match.get("applicability") or "")
    return status != "not_affected" and not match.get("conditional", False)


def from_assessment(
    path: Path,
) -> tuple[tuple[tuple[str, str], ...], tuple[Finding, ...], dict[str, str]]:
    """Components, counted vulnerabilities, and vendor/product/support end of an assessment."""
    doc = _read_json(path)
    if not isinstance(doc, dict) or "components" not in doc:
        raise InputError(f"{path.name}: not an Assay assessment", "give an assessment.json")
    return from_document(doc)


def from_document(
    doc: dict[str, Any],
) -> tuple[tuple[tuple[str, str], ...], tuple[Finding, ...], dict[str, str]]:
    """``from_assessment`` of an assessment already read (e.g. from the registry)."""
    components = tuple(
        (str(c.get("name", "")), str(c.get("version", ""))) for c in doc.get("components", [])
    )
    names = {
        str(c.get("purl") or ""): f"{c.get('name')}@{c.get('version')}"
        for c in doc.get("components", [])
    }
    findings = tuple(
        Finding(
            str(v["id"]),
            names.get(str(v.get("component", "")), str(v.get("component", ""))),
            bool(v.get("kev")),
            str(v.get("severity", "unknown")),
        )
        for v in doc.get("vulnerabilities", [])
        if isinstance(v, dict) and "id" in v and counts(v)
    )
    identity = doc.get("identity") or {}
    declaration = doc.get("declaration") or {}
    meta = {
        "vendor": str(identity.get("vendor") or _get(declaration, "manufacturer", "name")),
        "product": " ".join(
            x for x in (identity.get("model"), identity.get("hardware_version")) if x
        ),
        "support_end": str(_get(declaration, "support", "end_date") or ""),
    }
    return components, findings, meta


def from_sbom(path: Path) -> Inventory:
    """Components and vulnerabilities of a CycloneDX JSON SBOM."""
    doc = _read_json(path)
    if not isinstance(doc, dict) or doc.get("bomFormat") != "CycloneDX":
        raise InputError(f"{path.name}: not a CycloneDX JSON SBOM", "give a CycloneDX JSON file")
    refs: dict[str, str] = {}
    components: list[tuple[str, str]] = []
    stack = list(doc.get("components", []))
    while stack:
        c = stack.pop()
        if not isinstance(c, dict):
            continue
        components.append((str(c.get("name", "")), str(c.get("version", ""))))
        refs[str(c.get("bom-ref", ""))] = f"{c.get('name')}@{c.get('version', '')}"
        stack.extend(c.get("components", []))
    findings = [
        Finding(str(v.get("id", "")), refs.get(str(target.get("ref")), ""), False, _severity(v))
        for v in doc.get("vulnerabilities", [])
        if (v.get("analysis") or {}).get("state", "")
        not in ("not_affected", "false_positive", "resolved")
        for target in v.get("affects", []) or [{}]
    ]
    return tuple(components), tuple(findings)


def _severity(v: dict[str, Any]) -> str:
    ratings = v.get("ratings") or [{}]
    return str(ratings[0].get("severity", "unknown"))


def _get(doc: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(doc, dict):
            return ""
        doc = doc.get(key)
    return doc or ""


def _read_json(path: Path) -> Any:
    from assay.safeload import load_json, read_file

    return load_json(
        read_file(path, path.name, max_bytes=MAX_BYTES),
        path.name,
        hint="give the file Assay wrote",
        max_bytes=MAX_BYTES,
    )
