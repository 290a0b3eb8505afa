"""OpenVEX: export an assessment's statements (v0.2.0) and import v0.2.0 or v0.0.1 documents."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import jsonschema

from assay import __version__
from assay.errors import InputError
from assay.present.vex.justifications import from_format, to_format
from assay.present.vex.model import ProductRef, Status, VexStatement
from assay.present.vex.product import component_for, components_of, firmware_of
from assay.present.vex.schemas import check_openvex
from assay.present.vex.statements import assessment_statements

CONTEXT = "https://openvex.dev/ns/v0.2.0"
STATUSES = {s.value for s in Status}


def export_openvex(
    assessment: dict[str, Any],
    *,
    statements: Iterable[VexStatement] = (),
    author: str = "",
    now: datetime | None = None,
    validate: bool = True,
) -> dict[str, Any]:
    """An OpenVEX 0.2.0 document: product = the firmware, subcomponent = the component."""
    moment = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    firmware = firmware_of(assessment)
    known = components_of(assessment)
    out = []
    for stmt in assessment_statements(assessment, statements):
        comp = component_for(stmt.product.key, known)
        entry: dict[str, Any] = {
            "vulnerability": {"name": stmt.vulnerability},
            "products": [{"@id": firmware.purl, "subcomponents": [{"@id": comp.iri}]}],
            "status": str(stmt.status),
        }
        if stmt.aliases:
            entry["vulnerability"]["aliases"] = list(stmt.aliases)
        if stmt.status is Status.NOT_AFFECTED:
            justification = to_format(stmt.justification, "openvex")
            if justification:
                entry["justification"] = justification
            if stmt.impact or not justification:
                entry["impact_statement"] = stmt.impact or "Not affected (no reason given)."
        if stmt.status is Status.AFFECTED:
            entry["action_statement"] = stmt.action or "No action is known yet."
        elif stmt.action:
            entry["action_statement"] = stmt.action
        out.append(entry)
    seed = f"{firmware.purl}|{moment}|{len(out)}"
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "@id": f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, seed)}",
        "author": author or firmware.vendor or "Assay",
        "timestamp": moment,
        "version": 1,
        "tooling": f"Assay {__version__}",
        "statements": out,
    }
    if validate:
        check_openvex(doc, "the exported OpenVEX document")
    return doc


def _product_key(product: Any) -> tuple[str, str, str]:
    """(key, purl, cpe) of a v0.2.0 product/subcomponent object or a v0.0.1 string."""
    if isinstance(product, str):
        purl = product if product.startswith("pkg:") else ""
        return product, purl, product if product.startswith("cpe:") else ""
    ids = product.get("identifiers") or {}
    purl = str(ids.get("purl") or "")
    cpe = str(ids.get("cpe23") or ids.get("cpe22") or "")
    key = str(product.get("@id") or purl or cpe)
    if not purl and key.startswith("pkg:"):
        purl = key
    return key, purl, cpe


def _check_legacy(doc: dict[str, Any]) -> None:
    """Structural checks for OpenVEX v0.0.1 (no published schema): paths in errors."""
    statements = doc.get("statements")
    if not isinstance(statements, list):
        raise InputError("OpenVEX document is not valid: $.statements: must be a list")
    for i, st in enumerate(statements):
        where = f"$.statements[{i}]"
        if not isinstance(st, dict):
            raise InputError(f"OpenVEX document is not valid: {where}: must be an object")
        if not isinstance(st.get("vulnerability"), str | dict):
            raise InputError(f"OpenVEX document is not valid: {where}.vulnerability: missing")
        if st.get("status") not in STATUSES:
            raise InputError(
                f"OpenVEX document is not valid: {where}.status: {st.get('status')!r} is not "
                f"one of {sorted(STATUSES)}"
            )
        if not isinstance(st.get("products", []), list):
            raise InputError(f"OpenVEX document is not valid: {where}.products: must be a list")


def _tolerated(doc: dict[str, Any]) -> Callable[[jsonschema.ValidationError], bool]:
    """What a reader accepts beyond the schema: unknown fields (later spec versions and tools
    add some), a missing document ``version`` (read as 1), and a missing document timestamp
    when every statement carries its own (vexctl writes such documents)."""
    statements = doc.get("statements") if isinstance(doc.get("statements"), list) else []
    timed = bool(statements) and all(
        isinstance(s, dict) and "timestamp" in s for s in statements or []
    )

    def tolerate(err: jsonschema.ValidationError) -> bool:
        if err.validator == "additionalProperties":
            return True
        if err.validator != "required" or err.path:
            return False
        return "'version'" in err.message or (timed and "'timestamp'" in err.message)

    return tolerate


def import_openvex(doc: Any) -> list[VexStatement]:
    """Statements of an OpenVEX document (v0.2.0 checked against its schema; v0.0.1 read too)."""
    if not isinstance(doc, dict):
        raise InputError("OpenVEX document is not valid: $: must be a JSON object")
    context = str(doc.get("@context", ""))
    if context.startswith("https://openvex.dev/ns/v0.0.1") or context.endswith("/ns"):
        _check_legacy(doc)
    else:
        check_openvex(doc, "OpenVEX document", _tolerated(doc))
    source = f"openvex:{doc.get('@id', '')}"
    out = []
    for st in doc.get("statements") or []:
        vuln = st["vulnerability"]
        name = vuln if isinstance(vuln, str) else str(vuln.get("name", ""))
        aliases = () if isinstance(vuln, str) else tuple(vuln.get("aliases") or ())
        word = str(st.get("justification", ""))
        base = VexStatement(
            vulnerability=name,
            aliases=aliases,
            product=ProductRef(""),
            status=Status(st["status"]),
            justification=from_format(word, "openvex"),
            original_justification=word,
            impact=str(st.get("impact_statement", "")),
            action=str(st.get("action_statement", "")),
            source=source,
        )
        for product in st.get("products") or []:
            key, purl, cpe = _product_key(product)
            subs = [] if isinstance(product, str) else product.get("subcomponents") or []
            subs += [s for s in st.get("subcomponents") or [] if isinstance(s, str)]
            if not subs:
                out.append(replace(base, product=ProductRef(key, key, purl, cpe)))
            for sub in subs:
                skey, spurl, scpe = _product_key(sub)
                ref = ProductRef(skey, skey, spurl, scpe, parent=key)
                out.append(replace(base, product=ref))
    return out
