"""SLSA provenance (v0.2 and v1): signature, subject and builder, checked offline.

The provenance must come as a Sigstore bundle (verified against the supplied trusted root) or
as a DSSE envelope signed with a key given by ``--key``. Three things must hold for
``verified``: the signature verifies; the signer is the builder the provenance names (for
keyless signing the certificate identity is the builder's workflow); and a subject's SHA-256
is the target's. Which builders and sources are acceptable is the policy's business (rules
``builder`` and ``source``); the builder and source are in the details for it.
"""

from __future__ import annotations

import base64
import json
import logging
from pathlib import Path
from typing import Any

from assay.supply.bundle import Outcome, is_bundle, verify_bundle

# GitHub artifact attestations name the runner as builder; the certificate names the workflow
HOSTED_RUNNER = "https://github.com/actions/runner/"
PREDICATES = {
    "https://slsa.dev/provenance/v0.2": "v0.2",
    "https://slsa.dev/provenance/v1": "v1",
}


def read_json_line(path: Path) -> Any:
    """The first JSON document of a file (``.intoto.jsonl`` holds one per line)."""
    text = path.read_text(errors="replace").strip()
    try:
        return json.loads(text)
    except ValueError:
        first = text.splitlines()[0] if text else ""
        return json.loads(first)


def is_provenance(data: Any) -> bool:
    """A bundle or DSSE envelope whose statement is SLSA provenance."""
    statement = _statement_of(data)
    return statement.get("predicateType") in PREDICATES


def _statement_of(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        return {}
    envelope = data.get("dsseEnvelope") if is_bundle(data) else data
    if not isinstance(envelope, dict) or "payload" not in envelope:
        return {}
    try:
        statement = json.loads(base64.b64decode(envelope["payload"]))
    except (ValueError, TypeError):
        return {}
    return statement if isinstance(statement, dict) else {}


def verify_provenance(
    path: Path,
    target_sha256: str,
    trusted_root: Path | None,
    keys: list[Path],
    identity: str = "",
) -> Outcome:
    """Verify one provenance file against the target's SHA-256."""
    data = read_json_line(path)
    statement = _statement_of(data)
    details = describe(statement)
    if is_bundle(data):
        logging.getLogger("sigstore.verify.policy").setLevel(logging.ERROR)  # no-op notice
        signed = verify_bundle(path, None, trusted_root)
        details.update({k: v for k, v in signed.details.items() if k != "statement"})
        if not signed.details.get("signature_verified"):
            return Outcome(signed.result, signed.reason, details)
        signer = str(details.get("identity", ""))
        if details["builder"].startswith(HOSTED_RUNNER) and signer != identity:
            reason = (
                f"the builder is GitHub's hosted runner, so the signing workflow {signer} is "
                "the identity to trust: name it with --identity"
            )
            return Outcome("inconclusive", reason, details)
        if not details["builder"].startswith(HOSTED_RUNNER) and signer != details["builder"]:
            reason = (
                f"signed by {signer or '?'}, not by the builder it names ({details['builder']})"
            )
            return Outcome("failed", reason, details)
    elif keys:
        from assay.supply.intoto import verify_dsse_with_keys

        problem = verify_dsse_with_keys(data, keys)
        if problem:
            return Outcome("failed", problem, details)
        details["signature_verified"] = True
    else:
        reason = (
            "needs network: the envelope carries a certificate but no transparency-log entry "
            "(slsa-verifier fetches it from Rekor); give it as a Sigstore bundle or with --key"
        )
        return Outcome("skipped", reason, details)
    if not target_sha256:
        return Outcome("inconclusive", "the target has no SHA-256 (a directory?)", details)
    if target_sha256 not in details["subjects"]:
        shown = ", ".join(details["subjects"][:3]) or "none"
        reason = f"wrong subject: the image's sha256 {target_sha256} is not a subject ({shown})"
        return Outcome("failed", reason, details)
    return Outcome("verified", f"built by {details['builder']} from {details['source']}", details)


def describe(statement: dict[str, Any]) -> dict[str, Any]:
    """Predicate version, builder, source and subject digests of a provenance statement."""
    predicate = statement.get("predicate") or {}
    version = PREDICATES.get(str(statement.get("predicateType")), "")
    if version == "v0.2":
        builder = (predicate.get("builder") or {}).get("id", "")
        config = (predicate.get("invocation") or {}).get("configSource") or {}
        source = config.get("uri") or next(
            (m.get("uri", "") for m in predicate.get("materials") or []), ""
        )
    else:
        run = predicate.get("runDetails") or {}
        builder = (run.get("builder") or {}).get("id", "")
        definition = predicate.get("buildDefinition") or {}
        source = next((d.get("uri", "") for d in definition.get("resolvedDependencies") or []), "")
    subjects = [
        str((s.get("digest") or {}).get("sha256", ""))
        for s in statement.get("subject") or []
        if isinstance(s, dict)
    ]
    return {
        "predicate": version,
        "builder": str(builder),
        "source": str(source),
        "subjects": [s for s in subjects if s],
    }
