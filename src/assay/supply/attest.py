"""Signatures and provenance that come with a firmware: find each file's kind, verify it.

Kinds: Sigstore bundles (message signature over the image, or DSSE statements naming it),
SLSA provenance (v0.2/v1, as a bundle or a key-signed DSSE envelope) and in-toto layouts
(classic or DSSE, with their links). Each result is evidence: verified, failed (with why),
inconclusive (verifies, but something the verdict needs is missing) or skipped (cannot be
checked offline or by the libraries here, with the reason).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from assay.supply.bundle import Outcome, is_bundle, verify_bundle
from assay.supply.debian import is_openpgp_keyring
from assay.supply.intoto import is_layout, verify_layout
from assay.supply.opkg import is_usign_key
from assay.supply.slsa import is_provenance, read_json_line, verify_provenance
from assay.supply.target import is_assessment

if TYPE_CHECKING:
    from assay.supply import VerifyRequest


def verify_attestations(request: VerifyRequest, target: dict[str, Any]) -> list[dict[str, Any]]:
    """One result per attestation file given."""
    sha = str(target.get("sha256", ""))
    artifact = (
        request.target if request.target.is_file() and not is_assessment(request.target) else None
    )
    jobs = [(path, *_verify_one(path, request, sha, artifact)) for path in request.attestations]
    jobs += _package_indexes(request)
    out = []
    for path, kind, outcome in jobs:
        out.append(
            {
                "path": str(path),
                "kind": kind,
                "result": outcome.result,
                "reason": outcome.reason,
                "binds": bool(outcome.details.get("binds")) and outcome.result == "verified",
                "details": {k: v for k, v in outcome.details.items() if k != "statement"},
            }
        )
    return out


def _package_indexes(request: VerifyRequest) -> list[tuple[Path, str, Outcome]]:
    """Each signed package index; then the SBOM's components against the verified ones."""
    from assay.supply.debian import is_release, verify_release
    from assay.supply.declared import load_sbom
    from assay.supply.opkg import manifest_against_indexes, verify_index

    results = [
        (p, "debian-release", verify_release(p, request.keys, debs=request.debs))
        if is_release(p)
        else (p, "opkg-index", verify_index(p, request.keys))
        for p in request.package_indexes
    ]
    good = [p for p, kind, o in results if kind == "opkg-index" and o.details.get("key")]
    if request.sbom is not None and good:
        declared = [(c.name, c.version) for c in load_sbom(request.sbom).components]
        results.append((request.sbom, "sbom-vs-index", manifest_against_indexes(declared, good)))
    return results


def _verify_one(
    path: Path, request: VerifyRequest, sha: str, artifact: Path | None
) -> tuple[str, Outcome]:
    try:
        data = read_json_line(path)
    except (OSError, ValueError) as err:
        return "unknown", Outcome("failed", f"cannot read {path.name} as JSON: {err}")
    pem_keys = [k for k in request.keys if not is_usign_key(k) and not is_openpgp_keyring(k)]
    if is_provenance(data):
        outcome = verify_provenance(path, sha, request.trusted_root, pem_keys, request.identity)
        if outcome.result == "verified":
            outcome.details["binds"] = True
        return "slsa-provenance", outcome
    if is_bundle(data):
        return "sigstore-bundle", verify_bundle(
            path, artifact, request.trusted_root, request.identity, request.issuer, sha
        )
    if is_layout(data):
        outcome = verify_layout(path, pem_keys, request.links, artifact, request.run_inspections)
        return "in-toto-layout", outcome
    return "unknown", Outcome("failed", "not a Sigstore bundle, SLSA provenance or in-toto layout")
