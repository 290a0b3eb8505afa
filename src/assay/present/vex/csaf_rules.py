"""CSAF 2.0 mandatory tests (section 6.1) that can be checked on the document alone.

Each test is a function ``(doc) -> list[RuleFailure]``; ``TESTS`` maps the test number to
it. Implemented here: the product and group id tests and product status tests; the
tracking/version tests live in ``csaf_rules_tracking``, the profile tests in
``csaf_rules_profiles``, the CVSS tests in ``csaf_rules_cvss`` and the tests that need
outside registries, 6.1.11 (CWE catalogue) and 6.1.12 (language tags), in
``csaf_rules_registries``. 6.1.8 is the CVSS schema, checked by the JSON schema validation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from packageurl import PackageURL

Doc = dict[str, Any]


@dataclass(frozen=True)
class RuleFailure:
    """One failed mandatory test: which test, where, what."""

    test: str  # e.g. "6.1.1"
    path: str  # JSON path, e.g. "$.vulnerabilities[0].product_status.fixed[1]"
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message} (CSAF test {self.test})"


AFFECTED = ("first_affected", "known_affected", "last_affected")
NOT_AFFECTED = ("known_not_affected",)
FIXED = ("first_fixed", "fixed")
INVESTIGATING = ("under_investigation",)
STATUS_GROUPS = {
    "affected": AFFECTED,
    "not affected": NOT_AFFECTED,
    "fixed": FIXED,
    "under investigation": INVESTIGATING,
}
ALL_STATUSES = (*AFFECTED, *NOT_AFFECTED, *FIXED, *INVESTIGATING, "recommended")


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def vulnerabilities(doc: Doc) -> Iterator[tuple[str, dict[str, Any]]]:
    for i, vuln in enumerate(_list(doc.get("vulnerabilities"))):
        if isinstance(vuln, dict):
            yield f"$.vulnerabilities[{i}]", vuln


def full_product_names(doc: Doc) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every full_product_name defined in the product tree, with its path."""
    tree = _dict(doc.get("product_tree"))

    def walk(branches: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
        for i, branch in enumerate(_list(branches)):
            if not isinstance(branch, dict):
                continue
            here = f"{path}[{i}]"
            if isinstance(branch.get("product"), dict):
                yield f"{here}.product", branch["product"]
            yield from walk(branch.get("branches"), f"{here}.branches")

    yield from walk(tree.get("branches"), "$.product_tree.branches")
    for i, fpn in enumerate(_list(tree.get("full_product_names"))):
        if isinstance(fpn, dict):
            yield f"$.product_tree.full_product_names[{i}]", fpn
    for i, rel in enumerate(_list(tree.get("relationships"))):
        if isinstance(rel, dict) and isinstance(rel.get("full_product_name"), dict):
            yield f"$.product_tree.relationships[{i}].full_product_name", rel["full_product_name"]


def product_references(doc: Doc) -> Iterator[tuple[str, str]]:
    """Every place a product id is used (not defined), with its path."""
    tree = _dict(doc.get("product_tree"))
    for i, group in enumerate(_list(tree.get("product_groups"))):
        for j, pid in enumerate(_list(_dict(group).get("product_ids"))):
            yield f"$.product_tree.product_groups[{i}].product_ids[{j}]", pid
    for i, rel in enumerate(_list(tree.get("relationships"))):
        for key in ("product_reference", "relates_to_product_reference"):
            if isinstance(_dict(rel).get(key), str):
                yield f"$.product_tree.relationships[{i}].{key}", rel[key]
    for vpath, vuln in vulnerabilities(doc):
        status = _dict(vuln.get("product_status"))
        for key in ALL_STATUSES:
            for j, pid in enumerate(_list(status.get(key))):
                yield f"{vpath}.product_status.{key}[{j}]", pid
        for key, field in (
            ("remediations", "product_ids"),
            ("threats", "product_ids"),
            ("flags", "product_ids"),
            ("scores", "products"),
        ):
            for i, item in enumerate(_list(vuln.get(key))):
                for j, pid in enumerate(_list(_dict(item).get(field))):
                    yield f"{vpath}.{key}[{i}].{field}[{j}]", pid


def group_references(doc: Doc) -> Iterator[tuple[str, str]]:
    for vpath, vuln in vulnerabilities(doc):
        for key in ("remediations", "threats", "flags"):
            for i, item in enumerate(_list(vuln.get(key))):
                for j, gid in enumerate(_list(_dict(item).get("group_ids"))):
                    yield f"{vpath}.{key}[{i}].group_ids[{j}]", gid


def group_members(doc: Doc) -> dict[str, set[str]]:
    tree = _dict(doc.get("product_tree"))
    out: dict[str, set[str]] = {}
    for group in _list(tree.get("product_groups")):
        group = _dict(group)
        if isinstance(group.get("group_id"), str):
            out.setdefault(group["group_id"], set()).update(
                p for p in _list(group.get("product_ids")) if isinstance(p, str)
            )
    return out


def products_of(item: dict[str, Any], groups: dict[str, set[str]]) -> set[str]:
    """Product ids an item (remediation, threat, flag) names, directly or via groups."""
    ids = {p for p in _list(item.get("product_ids")) if isinstance(p, str)}
    for gid in _list(item.get("group_ids")):
        ids |= groups.get(gid, set())
    return ids


# --- 6.1.1 - 6.1.6 ---------------------------------------------------------------------------
def t_6_1_1(doc: Doc) -> list[RuleFailure]:
    defined = {fpn.get("product_id") for _, fpn in full_product_names(doc)}
    return [
        RuleFailure("6.1.1", path, f"product id {pid!r} is not defined in the product tree")
        for path, pid in product_references(doc)
        if pid not in defined
    ]


def t_6_1_2(doc: Doc) -> list[RuleFailure]:
    seen: dict[Any, str] = {}
    out = []
    for path, fpn in full_product_names(doc):
        pid = fpn.get("product_id")
        if pid in seen:
            out.append(
                RuleFailure(
                    "6.1.2", f"{path}.product_id", f"{pid!r} already defined at {seen[pid]}"
                )
            )
        else:
            seen[pid] = path
    return out


def t_6_1_3(doc: Doc) -> list[RuleFailure]:
    tree = _dict(doc.get("product_tree"))
    edges: dict[str, set[str]] = {}
    where: dict[str, str] = {}
    for i, rel in enumerate(_list(tree.get("relationships"))):
        rel = _dict(rel)
        pid = _dict(rel.get("full_product_name")).get("product_id")
        if isinstance(pid, str):
            refs = {rel.get("product_reference"), rel.get("relates_to_product_reference")}
            edges.setdefault(pid, set()).update(r for r in refs if isinstance(r, str))
            where[pid] = f"$.product_tree.relationships[{i}]"
    out = []
    for start in edges:
        stack, seen = list(edges[start]), set()
        while stack:
            node = stack.pop()
            if node == start:
                out.append(
                    RuleFailure("6.1.3", where[start], f"product id {start!r} refers to itself")
                )
                break
            if node not in seen:
                seen.add(node)
                stack.extend(edges.get(node, ()))
    return out


def t_6_1_4(doc: Doc) -> list[RuleFailure]:
    defined = set(group_members(doc))
    return [
        RuleFailure("6.1.4", path, f"product group id {gid!r} is not defined")
        for path, gid in group_references(doc)
        if gid not in defined
    ]


def t_6_1_5(doc: Doc) -> list[RuleFailure]:
    tree = _dict(doc.get("product_tree"))
    seen: set[Any] = set()
    out = []
    for i, group in enumerate(_list(tree.get("product_groups"))):
        gid = _dict(group).get("group_id")
        if gid in seen:
            path = f"$.product_tree.product_groups[{i}].group_id"
            out.append(RuleFailure("6.1.5", path, f"product group id {gid!r} defined twice"))
        seen.add(gid)
    return out


def t_6_1_6(doc: Doc) -> list[RuleFailure]:
    out = []
    for vpath, vuln in vulnerabilities(doc):
        status = _dict(vuln.get("product_status"))
        group_of: dict[str, str] = {}
        for group, keys in STATUS_GROUPS.items():
            for key in keys:
                for j, pid in enumerate(_list(status.get(key))):
                    if pid in group_of and group_of[pid] != group:
                        out.append(
                            RuleFailure(
                                "6.1.6",
                                f"{vpath}.product_status.{key}[{j}]",
                                f"product {pid!r} is both {group_of[pid]} and {group}",
                            )
                        )
                    group_of.setdefault(pid, group)
    return out


def t_6_1_13(doc: Doc) -> list[RuleFailure]:
    out = []
    for path, fpn in full_product_names(doc):
        purl = _dict(fpn.get("product_identification_helper")).get("purl")
        if isinstance(purl, str):
            try:
                PackageURL.from_string(purl)
            except ValueError as err:
                where = f"{path}.product_identification_helper.purl"
                out.append(RuleFailure("6.1.13", where, f"invalid package URL: {err}"))
    return out


def t_6_1_25(doc: Doc) -> list[RuleFailure]:
    out = []
    for path, fpn in full_product_names(doc):
        hashes = _list(_dict(fpn.get("product_identification_helper")).get("hashes"))
        for i, item in enumerate(hashes):
            seen: set[Any] = set()
            for j, fh in enumerate(_list(_dict(item).get("file_hashes"))):
                algo = _dict(fh).get("algorithm")
                if algo in seen:
                    where = f"{path}.product_identification_helper.hashes[{i}].file_hashes[{j}]"
                    out.append(RuleFailure("6.1.25", where, f"hash algorithm {algo!r} used twice"))
                seen.add(algo)
    return out


def t_6_1_29_32(doc: Doc) -> list[RuleFailure]:
    out = []
    for vpath, vuln in vulnerabilities(doc):
        for key, test in (("remediations", "6.1.29"), ("flags", "6.1.32")):
            for i, item in enumerate(_list(vuln.get(key))):
                item = _dict(item)
                if not item.get("product_ids") and not item.get("group_ids"):
                    msg = f"{key[:-1]} names no product_ids or group_ids"
                    out.append(RuleFailure(test, f"{vpath}.{key}[{i}]", msg))
    return out


def t_6_1_33(doc: Doc) -> list[RuleFailure]:
    groups = group_members(doc)
    out = []
    for vpath, vuln in vulnerabilities(doc):
        flagged: dict[str, int] = {}
        for i, flag in enumerate(_list(vuln.get("flags"))):
            for pid in sorted(products_of(_dict(flag), groups)):
                if pid in flagged:
                    msg = (
                        f"product {pid!r} already has a VEX justification in flags[{flagged[pid]}]"
                    )
                    out.append(RuleFailure("6.1.33", f"{vpath}.flags[{i}]", msg))
                flagged.setdefault(pid, i)
    return out


def t_6_1_23(doc: Doc) -> list[RuleFailure]:
    seen: dict[str, str] = {}
    out = []
    for vpath, vuln in vulnerabilities(doc):
        cve = vuln.get("cve")
        if isinstance(cve, str):
            if cve in seen:
                msg = f"{cve} is already the subject of {seen[cve]}"
                out.append(RuleFailure("6.1.23", f"{vpath}.cve", msg))
            seen.setdefault(cve, vpath)
    return out


def t_6_1_24(doc: Doc) -> list[RuleFailure]:
    out = []
    for vpath, vuln in vulnerabilities(doc):
        seen: set[tuple[Any, Any]] = set()
        for i, inv in enumerate(_list(vuln.get("involvements"))):
            key = (_dict(inv).get("party"), _dict(inv).get("date"))
            if key in seen:
                msg = f"involvement of {key[0]!r} on {key[1]!r} listed twice"
                out.append(RuleFailure("6.1.24", f"{vpath}.involvements[{i}]", msg))
            seen.add(key)
    return out


Test = Callable[[Doc], list[RuleFailure]]

PRODUCT_TESTS: dict[str, Test] = {
    "6.1.1": t_6_1_1,
    "6.1.2": t_6_1_2,
    "6.1.3": t_6_1_3,
    "6.1.4": t_6_1_4,
    "6.1.5": t_6_1_5,
    "6.1.6": t_6_1_6,
    "6.1.13": t_6_1_13,
    "6.1.23": t_6_1_23,
    "6.1.24": t_6_1_24,
    "6.1.25": t_6_1_25,
    "6.1.29/6.1.32": t_6_1_29_32,
    "6.1.33": t_6_1_33,
}
