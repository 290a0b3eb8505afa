"""Load and validate the norms catalogue (``data/*.yaml``) into frozen requirements.

Every file holds one norm. Loading checks the whole catalogue at once: required fields,
known statuses and verification methods, parseable ``decided_by`` trees (an empty
combinator is an error), crosswalk references that resolve, and no cycles between
requirements that refer to each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from assay.norms.expr import Leaf, Node, NormsDataError, leaves, parse
from assay.safeload import packaged_yaml

STATUSES = ("mandatory", "recommended", "conditional")
METHODS = ("firmware", "sbom", "declaration", "network", "lab")
_REQUIRED = ("id", "title", "summary", "status", "verify", "decided_by", "guidance")
ORDER = ("en303645", "cra", "psti", "nistir8425")  # how norms are listed; others follow by name
_OPTIONAL = ("applies_if", "maps_to", "v2_status", "v3_status", "v3_ids", "note", "strength")


@dataclass(frozen=True)
class Requirement:
    """One requirement of one norm, with what decides it and what to do about it."""

    norm: str  # norm key, e.g. "en303645"
    id: str  # the norm's own id, e.g. "5.1-1"
    title: str
    summary: str  # our paraphrase, never the norm's text
    status: str  # mandatory | recommended | conditional
    verify: tuple[str, ...]  # firmware / sbom / declaration / network / lab, main first
    decided_by: Node
    guidance: str
    applies_if: Node | None = None
    maps_to: tuple[str, ...] = ()  # uids of related requirements in other norms
    v2_status: str = ""
    v3_status: str = ""
    v3_ids: tuple[str, ...] = ()
    strength: str = ""  # for conditional ones: mandatory or recommended when it applies
    note: str = ""

    @property
    def uid(self) -> str:
        return f"{self.norm}:{self.id}"


@dataclass(frozen=True)
class Norm:
    key: str
    name: str
    version: str
    url: str
    description: str
    requirements: tuple[Requirement, ...]
    conditions: tuple[tuple[str, str], ...] = ()
    short_name: str = ""

    @property
    def short(self) -> str:
        return self.short_name or self.name


@dataclass(frozen=True)
class Catalog:
    norms: tuple[Norm, ...]

    def requirements(self, norm: str | None = None) -> list[Requirement]:
        return [r for n in self.norms if norm in (None, n.key) for r in n.requirements]

    def get(self, uid: str) -> Requirement:
        for req in self.requirements():
            if req.uid == uid:
                return req
        raise KeyError(uid)

    def norm(self, key: str) -> Norm:
        for n in self.norms:
            if n.key == key:
                return n
        raise KeyError(key)

    def related(self, uid: str) -> list[str]:
        """Crosswalk edges in both directions, sorted."""
        out = set(self.get(uid).maps_to)
        out.update(r.uid for r in self.requirements() if uid in r.maps_to)
        return sorted(out)


@cache
def load_catalog() -> Catalog:
    """The bundled catalogue, validated (cached: the data is read once per process)."""
    folder = resources.files("assay.norms") / "data"
    raws = [
        (entry.name, packaged_yaml(entry.read_text(encoding="utf-8")))
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".yaml")
    ]
    return build_catalog(raws)


def build_catalog(raws: list[tuple[str, Any]]) -> Catalog:
    """Validate raw YAML documents (name, content) and build the catalogue."""
    rank = {key: i for i, key in enumerate(ORDER)}
    built = [_norm(name, raw) for name, raw in raws]
    norms = tuple(sorted(built, key=lambda n: (rank.get(n.key, len(ORDER)), n.key)))
    catalog = Catalog(norms)
    _check_references(catalog)
    return catalog


def _norm(name: str, raw: Any) -> Norm:
    if not isinstance(raw, dict):
        raise NormsDataError(f"{name}: the file must hold a mapping")
    for key in ("norm", "name", "version", "url", "requirements"):
        if key not in raw:
            raise NormsDataError(f"{name}: missing top-level field {key!r}")
    if not isinstance(raw["requirements"], list) or not raw["requirements"]:
        raise NormsDataError(f"{name}: requirements must be a non-empty list")
    key = str(raw["norm"])
    reqs = tuple(_requirement(key, f"{name}[{i}]", r) for i, r in enumerate(raw["requirements"]))
    ids = [r.id for r in reqs]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise NormsDataError(f"{name}: duplicate requirement ids {', '.join(dupes)}")
    conditions = tuple((str(k), str(v)) for k, v in (raw.get("conditions") or {}).items())
    return Norm(
        key=key,
        name=str(raw["name"]),
        version=str(raw["version"]),
        url=str(raw["url"]),
        description=str(raw.get("description", "")).strip(),
        requirements=reqs,
        conditions=conditions,
        short_name=str(raw.get("short_name", "")),
    )


def _requirement(norm: str, where: str, raw: Any) -> Requirement:
    if not isinstance(raw, dict):
        raise NormsDataError(f"{where}: a requirement must be a mapping")
    where = f"{where} ({raw.get('id', '?')})"
    missing = [k for k in _REQUIRED if k not in raw]
    unknown = [k for k in raw if k not in _REQUIRED + _OPTIONAL]
    if missing or unknown:
        raise NormsDataError(f"{where}: missing fields {missing}, unknown fields {unknown}")
    for text_field in ("id", "title", "summary", "guidance"):
        if not isinstance(raw[text_field], str) or not raw[text_field].strip():
            raise NormsDataError(f"{where}: {text_field} must be a non-empty string")
    if raw["status"] not in STATUSES:
        raise NormsDataError(f"{where}: status must be one of {', '.join(STATUSES)}")
    verify = raw["verify"]
    if not isinstance(verify, list) or not verify or any(v not in METHODS for v in verify):
        raise NormsDataError(f"{where}: verify must be a non-empty list of {', '.join(METHODS)}")
    applies_if = raw.get("applies_if")
    return Requirement(
        norm=norm,
        id=raw["id"].strip(),
        title=raw["title"].strip(),
        summary=" ".join(raw["summary"].split()),
        status=raw["status"],
        verify=tuple(verify),
        decided_by=parse(raw["decided_by"], f"{where}.decided_by"),
        guidance=" ".join(raw["guidance"].split()),
        applies_if=parse(applies_if, f"{where}.applies_if") if applies_if is not None else None,
        maps_to=tuple(str(m) for m in raw.get("maps_to") or ()),
        v2_status=str(raw.get("v2_status", "")),
        v3_status=str(raw.get("v3_status", "")),
        v3_ids=tuple(str(v) for v in raw.get("v3_ids") or ()),
        strength=str(raw.get("strength", "")),
        note=" ".join(str(raw.get("note", "")).split()),
    )


def _check_references(catalog: Catalog) -> None:
    uids = {r.uid for r in catalog.requirements()}
    keys = [n.key for n in catalog.norms]
    if len(set(keys)) != len(keys):
        raise NormsDataError(f"duplicate norm keys in the catalogue: {keys}")
    graph: dict[str, set[str]] = {}
    for req in catalog.requirements():
        for target in req.maps_to:
            if target not in uids:
                raise NormsDataError(f"{req.uid}: maps_to names unknown requirement {target!r}")
        refs: set[str] = set()
        trees = [req.decided_by] + ([req.applies_if] if req.applies_if else [])
        for leaf in (lf for tree in trees for lf in leaves(tree)):
            if leaf.kind == "requirement" or (leaf.kind == "statement" and leaf.arg != "self"):
                if leaf.arg not in uids:
                    raise NormsDataError(f"{req.uid}: {leaf.describe()} names no requirement")
                if leaf.kind == "requirement":
                    refs.add(leaf.arg)
        graph[req.uid] = refs
    _no_cycles(graph)


def _no_cycles(graph: dict[str, set[str]]) -> None:
    done: set[str] = set()

    def visit(uid: str, path: tuple[str, ...]) -> None:
        if uid in path:
            raise NormsDataError(
                "requirements refer to each other in a cycle: " + " -> ".join(path)
            )
        if uid in done:
            return
        for nxt in sorted(graph.get(uid, ())):
            visit(nxt, (*path, uid))
        done.add(uid)

    for uid in sorted(graph):
        visit(uid, ())


def referenced(catalog: Catalog, kind: str) -> set[str]:
    """Every leaf argument of one kind in the catalogue (e.g. all check ids it relies on)."""
    out: set[str] = set()
    for req in catalog.requirements():
        trees: list[Node] = [req.decided_by] + ([req.applies_if] if req.applies_if else [])
        out.update(
            lf.arg for t in trees for lf in leaves(t) if isinstance(lf, Leaf) and lf.kind == kind
        )
    return out
