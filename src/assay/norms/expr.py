"""The small language that says what decides a requirement.

A ``decided_by`` (or ``applies_if``) entry in the norms data is a tree::

    all_of: [ ...nodes ]          every child must pass
    any_of: [ ...nodes ]          one child passing is enough
    <leaf kind>: <argument>       one piece of evidence (see LEAF_KINDS)

Parsing is strict: an empty combinator, an unknown key or a node with two keys is a
``NormsDataError`` at load time. Evaluation (``assay.norms.evaluate``) fails closed: a leaf
with no evidence never yields PASS.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from assay.errors import AssayError

# leaf kind -> what its argument names
LEAF_KINDS: dict[str, str] = {
    "check": "a check id; PASS/FAIL/NOT_APPLICABLE/INCONCLUSIVE as the check found",
    "declared": "a declaration field that must be present (an empty list is a valid answer)",
    "declared_any": "a declaration list that must not be empty (empty is a FAIL)",
    "declared_true": "a declaration field that must be true (false is a FAIL)",
    "declared_false": "a declaration field that must be false (true is a FAIL)",
    "declared_future_date": "a declaration date that must not have passed",
    "statement": "the manufacturer's statement on a requirement ('self' = this one)",
    "requirement": "the verdict of another requirement (norm:id)",
    "vulns": "no-known-exploited | no-known-exploitable | matched",
    "sbom": "components: the image inventory is not empty",
    "supplier_sbom": "fidelity >= X: a supplier SBOM was provided and matches the image",
    "security_txt": "valid: an attached security.txt follows RFC 9116 (N/A when none)",
    "lab": "what a lab must test (always NEEDS_LAB)",
    "network": "what a test of the running device must observe (always NEEDS_LAB)",
}

VULN_FACTS = ("no-known-exploited", "no-known-exploitable", "matched")


class NormsDataError(AssayError):
    """The norms catalogue data is malformed (a bug in Assay's data, not in user input)."""


@dataclass(frozen=True)
class Leaf:
    kind: str
    arg: str

    def describe(self) -> str:
        return f"{self.kind}:{self.arg}"


@dataclass(frozen=True)
class AllOf:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class AnyOf:
    children: tuple[Node, ...]


Node = Leaf | AllOf | AnyOf


def parse(raw: Any, where: str) -> Node:
    """Parse one node of the YAML tree; ``where`` names it in errors."""
    if not isinstance(raw, dict) or len(raw) != 1:
        raise NormsDataError(
            f"{where}: a node must be a mapping with exactly one key, got {raw!r}",
            hint="use all_of, any_of or one leaf kind",
        )
    ((key, value),) = raw.items()
    if key in ("all_of", "any_of"):
        if not isinstance(value, list) or not value:
            raise NormsDataError(
                f"{where}: {key} must be a non-empty list (an empty combinator decides nothing)",
                hint="list at least one check, declaration field or lab test",
            )
        children = tuple(parse(c, f"{where}.{key}[{i}]") for i, c in enumerate(value))
        return AllOf(children) if key == "all_of" else AnyOf(children)
    if key not in LEAF_KINDS:
        raise NormsDataError(
            f"{where}: unknown node kind {key!r}",
            hint=f"use all_of, any_of or one of {', '.join(LEAF_KINDS)}",
        )
    if not isinstance(value, str) or not value.strip():
        raise NormsDataError(f"{where}: {key} needs a non-empty string argument")
    if key == "vulns" and value not in VULN_FACTS:
        raise NormsDataError(f"{where}: vulns must be one of {', '.join(VULN_FACTS)}")
    if key == "sbom" and value != "components":
        raise NormsDataError(f"{where}: sbom must be 'components'")
    if key == "supplier_sbom":
        from assay.norms.supplier import min_fidelity

        if min_fidelity(value) is None:
            raise NormsDataError(f"{where}: supplier_sbom must be 'fidelity >= X' (X in 0..1)")
    if key == "security_txt" and value != "valid":
        raise NormsDataError(f"{where}: security_txt must be 'valid'")
    return Leaf(key, value.strip())


def leaves(node: Node) -> Iterator[Leaf]:
    """Every leaf under ``node``, depth first."""
    if isinstance(node, Leaf):
        yield node
    else:
        for child in node.children:
            yield from leaves(child)


def render(node: Node) -> str:
    """A compact one-line form for ``assay norms show``."""
    if isinstance(node, Leaf):
        return node.describe()
    name = "all_of" if isinstance(node, AllOf) else "any_of"
    return f"{name}(" + ", ".join(render(c) for c in node.children) + ")"
