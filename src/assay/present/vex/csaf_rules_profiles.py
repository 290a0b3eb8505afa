"""CSAF 2.0 mandatory tests on the document category and its profile (6.1.26, 6.1.27.x, 6.1.31)."""

from __future__ import annotations

import re
from typing import Any

from assay.present.vex.csaf_rules import (
    Doc,
    RuleFailure,
    Test,
    group_members,
    products_of,
    vulnerabilities,
)

PROFILES = (
    "csaf_base",
    "csaf_security_incident_response",
    "csaf_informational_advisory",
    "csaf_security_advisory",
    "csaf_vex",
)
NOTE_CATEGORIES = ("description", "details", "general", "summary")
VEX_STATUSES = ("fixed", "known_affected", "known_not_affected", "under_investigation")
# words that make a product_version name a range rather than one version
VERSION_RANGE = re.compile(
    r"(<|>|(^|\s)(after|all|before|earlier|later|prior|versions)(\s|$))",
    re.IGNORECASE,
)


def _norm(text: str) -> str:
    return re.sub(r"[\s_\-]", "", text).lower()


PROHIBITED = {_norm(p) for p in PROFILES} | {_norm(p[5:]) for p in PROFILES[1:]}


def _document(doc: Doc) -> dict[str, Any]:
    document = doc.get("document")
    return document if isinstance(document, dict) else {}


def category(doc: Doc) -> str:
    value = _document(doc).get("category")
    return value if isinstance(value, str) else ""


def t_6_1_26(doc: Doc) -> list[RuleFailure]:
    cat = category(doc)
    if cat not in PROFILES and _norm(cat) in PROHIBITED:
        msg = f"category {cat!r} imitates a profile name; use the profile's exact value"
        return [RuleFailure("6.1.26", "$.document.category", msg)]
    return []


def t_6_1_27_1_3(doc: Doc) -> list[RuleFailure]:
    if category(doc) not in ("csaf_informational_advisory", "csaf_security_incident_response"):
        return []
    document = _document(doc)
    out = []
    notes = _items(document.get("notes"))
    if not any(isinstance(n, dict) and n.get("category") in NOTE_CATEGORIES for n in notes):
        msg = "needs a note of category description, details, general or summary"
        out.append(RuleFailure("6.1.27.1", "$.document.notes", msg))
    refs = _items(document.get("references"))
    if not any(isinstance(r, dict) and r.get("category") == "external" for r in refs):
        msg = "needs a reference of category external"
        out.append(RuleFailure("6.1.27.2", "$.document.references", msg))
    if category(doc) == "csaf_informational_advisory" and "vulnerabilities" in doc:
        msg = "an informational advisory must not list vulnerabilities"
        out.append(RuleFailure("6.1.27.3", "$.vulnerabilities", msg))
    return out


def t_6_1_27_4_11(doc: Doc) -> list[RuleFailure]:
    cat = category(doc)
    if cat not in ("csaf_security_advisory", "csaf_vex"):
        return []
    out = []
    if "product_tree" not in doc:
        out.append(RuleFailure("6.1.27.4", "$.product_tree", f"a {cat} needs a product tree"))
    if "vulnerabilities" not in doc:
        msg = f"a {cat} needs vulnerabilities"
        out.append(RuleFailure("6.1.27.11", "$.vulnerabilities", msg))
    for vpath, vuln in vulnerabilities(doc):
        if "notes" not in vuln:
            out.append(RuleFailure("6.1.27.5", f"{vpath}.notes", "the vulnerability needs notes"))
        if cat == "csaf_security_advisory" and "product_status" not in vuln:
            msg = "the vulnerability needs a product_status"
            out.append(RuleFailure("6.1.27.6", f"{vpath}.product_status", msg))
    if cat == "csaf_vex":
        out.extend(_vex_only(doc))
    return out


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _vex_only(doc: Doc) -> list[RuleFailure]:
    groups = group_members(doc)
    out = []
    for vpath, vuln in vulnerabilities(doc):
        status = vuln.get("product_status") if isinstance(vuln.get("product_status"), dict) else {}
        assert isinstance(status, dict)
        if not any(status.get(key) for key in VEX_STATUSES):
            msg = "needs fixed, known_affected, known_not_affected or under_investigation"
            out.append(RuleFailure("6.1.27.7", f"{vpath}.product_status", msg))
        if "cve" not in vuln and "ids" not in vuln:
            msg = "a VEX vulnerability needs a cve or ids"
            out.append(RuleFailure("6.1.27.8", vpath, msg))
        impact: set[str] = set()
        for flag in _items(vuln.get("flags")):
            impact |= products_of(flag if isinstance(flag, dict) else {}, groups)
        action: set[str] = set()
        for threat in _items(vuln.get("threats")):
            if isinstance(threat, dict) and threat.get("category") == "impact":
                impact |= products_of(threat, groups)
        for rem in _items(vuln.get("remediations")):
            action |= products_of(rem if isinstance(rem, dict) else {}, groups)
        for j, pid in enumerate(status.get("known_not_affected") or []):
            if pid not in impact:
                msg = f"product {pid!r} is not affected but has no impact statement"
                where = f"{vpath}.product_status.known_not_affected[{j}]"
                out.append(RuleFailure("6.1.27.9", where, msg))
        for j, pid in enumerate(status.get("known_affected") or []):
            if pid not in action:
                msg = f"product {pid!r} is affected but has no remediation"
                where = f"{vpath}.product_status.known_affected[{j}]"
                out.append(RuleFailure("6.1.27.10", where, msg))
    return out


def t_6_1_31(doc: Doc) -> list[RuleFailure]:
    tree = doc.get("product_tree") if isinstance(doc.get("product_tree"), dict) else {}
    assert isinstance(tree, dict)
    out = []

    def walk(branches: Any, path: str) -> None:
        for i, branch in enumerate(branches if isinstance(branches, list) else []):
            if not isinstance(branch, dict):
                continue
            name = branch.get("name")
            if (
                branch.get("category") == "product_version"
                and isinstance(name, str)
                and VERSION_RANGE.search(name)
            ):
                msg = f"product_version {name!r} is a range; use product_version_range"
                out.append(RuleFailure("6.1.31", f"{path}[{i}].name", msg))
            walk(branch.get("branches"), f"{path}[{i}].branches")

    walk(tree.get("branches"), "$.product_tree.branches")
    return out


PROFILE_TESTS: dict[str, Test] = {
    "6.1.26": t_6_1_26,
    "6.1.27.1-3": t_6_1_27_1_3,
    "6.1.27.4-11": t_6_1_27_4_11,
    "6.1.31": t_6_1_31,
}
