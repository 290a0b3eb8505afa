"""Read the VEX statements of a CSAF 2.0 document (any profile that has product statuses)."""

from __future__ import annotations

from typing import Any

from assay.present.vex.csaf_rules import full_product_names, group_members, products_of
from assay.present.vex.csaf_validate import check_csaf
from assay.present.vex.justifications import from_format
from assay.present.vex.model import ProductRef, Status, VexStatement
from assay.present.vex.schemas import check_schema, csaf_validator

STATUS_OF = {
    "first_affected": Status.AFFECTED,
    "known_affected": Status.AFFECTED,
    "last_affected": Status.AFFECTED,
    "known_not_affected": Status.NOT_AFFECTED,
    "first_fixed": Status.FIXED,
    "fixed": Status.FIXED,
    "under_investigation": Status.UNDER_INVESTIGATION,
}  # "recommended" is advice, not a status: it is not imported


def _products(doc: dict[str, Any]) -> dict[str, ProductRef]:
    """Every product id of the tree as a ``ProductRef`` (relationships get a parent)."""
    plain: dict[str, ProductRef] = {}
    for _, fpn in full_product_names(doc):
        helper = fpn.get("product_identification_helper") or {}
        purl, cpe = str(helper.get("purl") or ""), str(helper.get("cpe") or "")
        name = str(fpn.get("name") or "")
        plain[str(fpn.get("product_id"))] = ProductRef(purl or cpe or name, name, purl, cpe)
    out = dict(plain)
    for rel in (doc.get("product_tree") or {}).get("relationships") or []:
        fpn = rel.get("full_product_name") or {}
        pid = str(fpn.get("product_id"))
        inner = plain.get(str(rel.get("product_reference")))
        outer = plain.get(str(rel.get("relates_to_product_reference")))
        if inner is None or outer is None:
            continue
        parent = outer.key if rel.get("category") != "installed_with" else ""
        out[pid] = ProductRef(
            inner.key, str(fpn.get("name") or inner.name), inner.purl, inner.cpe, parent
        )
    return out


def import_csaf(doc: Any, *, strict: bool = True) -> list[VexStatement]:
    """Statements per (vulnerability, product) with justification, impact and action kept.

    The document must pass the CSAF 2.0 schema, and with ``strict`` also Assay's mandatory
    tests; otherwise ``InputError`` names the offending field's JSON path.
    """
    if strict:
        check_csaf(doc)
    else:
        check_schema(csaf_validator(), doc, "CSAF document")
    products = _products(doc)
    groups = group_members(doc)
    source = f"csaf:{doc['document']['tracking']['id']}"
    out = []
    for vuln in doc.get("vulnerabilities") or []:
        ids = ([vuln["cve"]] if vuln.get("cve") else []) + [
            str(i["text"]) for i in vuln.get("ids") or []
        ]
        if not ids:
            continue  # nothing to match a statement on
        per_product: dict[str, dict[str, list[str]]] = {}

        def note(pid: str, key: str, value: str, per: dict[str, dict[str, list[str]]]) -> None:
            if value:
                per.setdefault(pid, {}).setdefault(key, []).append(value)

        for flag in vuln.get("flags") or []:
            for pid in products_of(flag, groups):
                note(pid, "justification", str(flag.get("label", "")), per_product)
        for threat in vuln.get("threats") or []:
            if threat.get("category") == "impact":
                for pid in products_of(threat, groups):
                    note(pid, "impact", str(threat.get("details", "")), per_product)
        for rem in vuln.get("remediations") or []:
            for pid in products_of(rem, groups):
                note(pid, "action", str(rem.get("details", "")), per_product)
                note(pid, "category", str(rem.get("category", "")), per_product)
        for field, status in STATUS_OF.items():
            for pid in (vuln.get("product_status") or {}).get(field) or []:
                product = products.get(pid, ProductRef(pid, pid))
                facts = per_product.get(pid, {})
                label = (facts.get("justification") or [""])[0]
                out.append(
                    VexStatement(
                        vulnerability=ids[0],
                        aliases=tuple(ids[1:]),
                        product=product,
                        status=status,
                        justification=from_format(label, "csaf_flag"),
                        original_justification=label,
                        impact=" ".join(facts.get("impact", [])),
                        action=" ".join(facts.get("action", [])),
                        action_category=(facts.get("category") or [""])[0],
                        source=source,
                    )
                )
    return out
