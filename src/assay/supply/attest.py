"""Signatures and provenance that come with a firmware: find each file's kind, verify it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from assay.errors import UsageError

if TYPE_CHECKING:
    from assay.supply import VerifyRequest


def verify_attestations(request: VerifyRequest, target: dict[str, Any]) -> list[dict[str, Any]]:
    """One result per attestation file: verified / failed (with why) / skipped."""
    if request.attestations:
        raise UsageError("--attestation is not available yet", "use --sbom and --policy")
    return []
