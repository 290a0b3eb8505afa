"""Hold a supplier's SBOM against the measured inventory: what is missing, extra or wrong.

Fidelity = correct / measured, where *measured* is every component of the inventory except
the operating-system identity, and a measured component is *correct* when the SBOM declares
it (by name, PURL name, alias, or as the package that owns it) and none of its declared
version, hashes or licence disagrees with the image. docs/supply-chain.md has the details.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from assay.supply.declared import Declared, SupplierSbom
from assay.supply.inventory import Inventory, Measured

KINDS = ("declared-absent", "undeclared", "version", "hash", "license")


@dataclass(frozen=True)
class Mismatch:
    """One disagreement between the SBOM and the image."""

    kind: str  # one of KINDS
    name: str
    declared: str  # what the SBOM says ("" = says nothing)
    measured: str  # what the image shows ("" = nothing)
    evidence: str  # from the image
    where: str = ""  # where in the SBOM

    def to_dict(self) -> dict[str, str]:
        return {
            "kind": self.kind,
            "name": self.name,
            "declared": self.declared,
            "measured": self.measured,
            "evidence": self.evidence,
            "sbom_location": self.where,
        }


@dataclass
class Comparison:
    """The whole result: mismatches, the fidelity figure and the verdict."""

    sbom: SupplierSbom
    target: dict[str, Any]
    measured: int = 0
    correct: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)  # claims that could not be checked

    @property
    def fidelity(self) -> float | None:
        return self.correct / self.measured if self.measured else None

    @property
    def verdict(self) -> str:
        if self.mismatches:
            return "UNFAITHFUL"
        if not self.measured or any(u.startswith("hash") for u in self.unchecked):
            return "INCONCLUSIVE"
        return "FAITHFUL"

    def count(self, kind: str) -> int:
        return sum(m.kind == kind for m in self.mismatches)

    def to_dict(self) -> dict[str, Any]:
        fidelity = self.fidelity
        return {
            "sbom": self.sbom.to_dict(),
            "target": self.target,
            "verdict": self.verdict,
            "fidelity": None if fidelity is None else round(fidelity, 4),
            "measured": self.measured,
            "correct": self.correct,
            "counts": {kind: self.count(kind) for kind in KINDS},
            "mismatches": [m.to_dict() for m in self.mismatches],
            "unchecked": self.unchecked,
        }

    def summary(self, most: int = 100) -> dict[str, Any]:
        """The compact form kept in an assessment's ``facts["supplier_sbom"]`` and in the
        registry (the norms' ``supplier_sbom`` leaf reads it): counts, the first ``most``
        mismatches, and how many declared hashes could not be checked."""
        full = self.to_dict()
        return {
            "path": Path(self.sbom.path).name,
            "format": self.sbom.format,
            "subject": self.sbom.subject,
            "declared": len(self.sbom.components),
            **{k: full[k] for k in ("verdict", "fidelity", "measured", "correct", "counts")},
            "mismatches": full["mismatches"][:most],
            "unchecked_hashes": sum(u.startswith("hash") for u in self.unchecked),
        }


@functools.cache
def _aliases() -> dict[str, tuple[str, ...]]:
    data = yaml.safe_load((Path(__file__).parent / "data" / "aliases.yaml").read_text())
    return {k: tuple(v) for k, v in data.items()}


@functools.lru_cache(maxsize=4096)
def _purl_name(purl: str) -> str:
    if not purl.startswith("pkg:"):
        return ""
    from packageurl import PackageURL

    try:
        return str(PackageURL.from_string(purl).name).lower()
    except ValueError:
        return ""


def _keys(declared: Declared) -> set[str]:
    keys = {declared.name.strip().lower()} | {_purl_name(declared.purl)}
    for key in list(keys):
        keys.update(_aliases().get(key, ()))
    return keys - {""}


def _names(measured: Measured) -> set[str]:
    return {measured.name.lower(), _purl_name(measured.purl)} - {""}


def compare(sbom: SupplierSbom, inventory: Inventory) -> Comparison:
    """Compare every declared component and file with the inventory."""
    result = Comparison(sbom, inventory.target)
    direct: dict[int, list[Declared]] = {}  # id(measured) -> declared naming it
    owned: set[int] = set()  # measured binaries whose owning package is declared
    names = [(m, _names(m)) for m in inventory.components]
    for declared in sbom.components:
        keys = _keys(declared)
        hits = [m for m, known in names if known & keys]
        for m in hits:
            direct.setdefault(id(m), []).append(declared)
        owners = [m for m in inventory.components if m.package.lower() in keys]
        owned.update(id(m) for m in owners)
        if not hits and not owners:
            result.mismatches.append(_absent(declared, inventory))
    for m in inventory.components:
        if m.type == "operating-system":
            continue  # the distribution's identity, not a shipped package
        result.measured += 1
        claims = direct.get(id(m), [])
        if not claims and id(m) not in owned:
            result.mismatches.append(
                Mismatch("undeclared", m.name, "", m.version, m.evidence(), "")
            )
            continue
        found = _check(m, claims, inventory, result.unchecked) if claims else []
        result.mismatches.extend(found)
        result.correct += not found
    _check_files(sbom, inventory, result)
    return result


def _absent(declared: Declared, inventory: Inventory) -> Mismatch:
    sources = sorted({f for m in inventory.components for f in m.found_by})
    evidence = (
        f"no component named {declared.name!r} among the {len(inventory.components)} "
        f"measured (sources: {', '.join(sources) or 'none'})"
    )
    alike = inventory.paths_named_like(declared.name)
    if alike:
        evidence += f"; files named like it, not identified as it: {', '.join(alike)}"
    return Mismatch(
        "declared-absent", declared.name, declared.version, "", evidence, declared.where
    )


def _check(
    m: Measured, claims: list[Declared], inventory: Inventory, unchecked: list[str]
) -> list[Mismatch]:
    """Version, hash and licence of one measured component against its declarations."""
    out: list[Mismatch] = []
    if not any(version_agrees(d.version, m) for d in claims):
        d = claims[0]
        out.append(Mismatch("version", m.name, d.version, m.version, m.evidence(), d.where))
    for d in claims:
        if d.hashes:
            out.extend(_check_hashes(m, d, inventory, unchecked))
        if d.license and m.license:
            agree = licences_agree(d.license, m.license)
            if agree is False:
                evidence = f"{m.license} as Assay read it for {m.evidence()}"
                out.append(Mismatch("license", m.name, d.license, m.license, evidence, d.where))
            elif agree is None:
                unchecked.append(f"license of {m.name}: {d.license!r} vs {m.license!r}")
    return out


def version_agrees(declared: str, m: Measured) -> bool:
    """Equal, or equal to the upstream version, or the measured one less its package revision."""
    want = _norm_version(declared)
    if not want:
        return False
    have = _norm_version(m.version)
    return (
        want == have
        or want == _norm_version(m.upstream_version)
        or (have.startswith(want + "-") and any(c.isdigit() for c in want))
    )


def _norm_version(version: str) -> str:
    text = version.strip().lower()
    return text[1:] if text[:1] == "v" and text[1:2].isdigit() else text


def _check_hashes(
    m: Measured, d: Declared, inventory: Inventory, unchecked: list[str]
) -> list[Mismatch]:
    if not inventory.can_hash:
        unchecked.append(f"hash of {m.name}: no unpacked image to hash (an assessment was given)")
        return []
    files = m.payload
    seen: dict[str, str] = {}
    for alg, value in d.hashes:
        for path in files:
            digest = inventory.file_hash(path, alg)
            if digest is None:
                continue
            if digest == value:
                return []
            seen.setdefault(path, f"{alg}:{digest}")
    if not seen:
        unchecked.append(f"hash of {m.name}: no file of the component could be read")
        return []
    declared = ", ".join(f"{alg}:{value}" for alg, value in d.hashes)
    first, digest = next(iter(seen.items()))
    shown = "; ".join(f"{p} {h}" for p, h in list(seen.items())[:5])
    evidence = f"equals none of the {len(seen)} files {m.name} owns in the image: {shown}"
    return [Mismatch("hash", m.name, declared, f"{first} {digest}", evidence, d.where)]


def _check_files(sbom: SupplierSbom, inventory: Inventory, result: Comparison) -> None:
    for f in sbom.files:
        if not f.hashes:
            continue
        if not inventory.can_hash:
            result.unchecked.append(f"hash of file {f.path}: no unpacked image to hash")
            continue
        alg, value = f.hashes[0]
        digest = inventory.file_hash(f.path, alg)
        if digest is None:
            result.mismatches.append(
                Mismatch("declared-absent", f.path, value, "", "no such file in the image", f.where)
            )
        elif digest != value:
            evidence = f"{f.path} in the image has {alg}:{digest}"
            result.mismatches.append(
                Mismatch("hash", f.path, f"{alg}:{value}", f"{alg}:{digest}", evidence, f.where)
            )


def licences_agree(declared: str, measured: str) -> bool | None:
    """True/False when both are SPDX expressions; None when either cannot be read as one."""
    from license_expression import ExpressionError  # type: ignore[import-untyped]

    licensing = _licensing()
    try:
        a = licensing.parse(declared, validate=True)
        b = licensing.parse(measured, validate=True)
    except (ExpressionError, AttributeError):
        if " ".join(declared.split()).lower() == " ".join(measured.split()).lower():
            return True
        return None
    return bool(licensing.is_equivalent(a, b))


@functools.cache
def _licensing() -> Any:
    """The SPDX licence index (50 ms to build: once per process)."""
    from license_expression import get_spdx_licensing

    return get_spdx_licensing()
