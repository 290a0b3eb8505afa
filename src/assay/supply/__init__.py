"""Zero-trust supply chain: hold a supplier's claims (SBOM, signatures, provenance) against the
firmware as Assay measures it, and judge the result by a policy.

This package sits above the pipeline stages (it runs a scan to measure); no stage imports it.
``verify()`` returns one JSON-ready evidence document; see docs/supply-chain.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assay import __version__
from assay.supply.compare import Comparison, Mismatch, compare
from assay.supply.declared import SupplierSbom, load_sbom
from assay.supply.inventory import Inventory

__all__ = [
    "Comparison",
    "Inventory",
    "Mismatch",
    "SupplierSbom",
    "VerifyRequest",
    "compare",
    "load_sbom",
    "verify",
]


@dataclass
class VerifyRequest:
    """What to verify, against which trust material."""

    target: Path
    sbom: Path | None = None
    policy: Path | None = None
    attestations: list[Path] = field(default_factory=list)
    trusted_root: Path | None = None
    keys: list[Path] = field(default_factory=list)
    links: Path | None = None
    identity: str = ""
    issuer: str = ""
    run_inspections: bool = False
    package_indexes: list[Path] = field(default_factory=list)
    debs: list[Path] = field(default_factory=list)  # held against verified Debian indexes
    installed_files: bool = False  # files against the image's own package databases
    work_dir: Path | None = None


def verify(request: VerifyRequest) -> dict[str, Any]:
    """Run every verification the request asks for; return the evidence document."""
    from assay.supply.attest import verify_attestations
    from assay.supply.policy import evaluate, load_policy, needs_inventory
    from assay.supply.target import measured, target_only

    policy = load_policy(request.policy) if request.policy else None
    sbom = load_sbom(request.sbom) if request.sbom else None
    comparison = None
    installed = None
    scan = sbom is not None or request.installed_files
    if scan or (policy is not None and needs_inventory(policy)):
        with measured(request.target, request.work_dir) as inventory:
            comparison = compare(sbom, inventory) if sbom else None
            if request.installed_files:
                installed = _installed(inventory, request.keys)
    else:
        inventory = target_only(request.target)
    target = dict(inventory.target)
    document: dict[str, Any] = {
        "tool": {"name": "assay", "version": __version__},
        "target": target,
        "sbom": comparison.to_dict() if comparison else None,
        "attestations": verify_attestations(request, target),
        "installed_files": installed,
        "policy": None,
    }
    if policy is not None:
        document["policy"] = evaluate(policy, document, inventory)
        document["passed"] = document["policy"]["result"] == "PASS"
    else:
        document["passed"] = (
            (comparison is None or comparison.verdict == "FAITHFUL")
            and all(a["result"] == "verified" for a in document["attestations"])
            and (installed is None or installed["result"] == "verified")
        )
    return document


def _installed(inventory: Inventory, keys: list[Path]) -> dict[str, Any]:
    from assay.supply.debimage import check_apt
    from assay.supply.pkgdb import check_installed

    if not inventory.roots:
        return {
            "result": "inconclusive",
            "reason": "no unpacked image (an assessment was given): give the image itself",
        }
    found = check_installed(inventory.roots)
    apt = [a for a in (check_apt(root, keys) for root in inventory.roots) if a is not None]
    if apt:
        found["apt"] = apt
        bad = next((a for a in apt if a["result"] != "verified"), None)
        if bad is not None and found["result"] != "failed":
            found["result"], found["reason"] = "failed", f"apt lists: {bad['reason']}"
    return found
