"""Sigstore bundles, verified offline against a supplied trusted root with sigstore-python.

A bundle either signs the artifact's bytes (message signature) or carries a DSSE envelope
(usually an in-toto statement whose subject names the artifact by digest). Keyless bundles
need the signer identity and issuer the verifier expects: without them the signature proves
only that *someone* signed, so the result is ``inconclusive``, never ``verified``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MEDIA_TYPE_PREFIX = "application/vnd.dev.sigstore.bundle"
# transparency-log entry kinds sigstore-python 4.x verifies (it refuses "intoto" entries)
SUPPORTED_ENTRIES = {("hashedrekord", "0.0.1"), ("hashedrekord", "0.0.2"), ("dsse", "0.0.1")}


@dataclass
class Outcome:
    """verified / failed / inconclusive / skipped, with the reason and what was learnt."""

    result: str
    reason: str
    details: dict[str, Any] = field(default_factory=dict)


def is_bundle(data: Any) -> bool:
    return isinstance(data, dict) and str(data.get("mediaType", "")).startswith(MEDIA_TYPE_PREFIX)


def verify_bundle(
    bundle_path: Path,
    artifact: Path | None,
    trusted_root: Path | None,
    identity: str = "",
    issuer: str = "",
    artifact_sha256: str = "",
) -> Outcome:
    """Verify one bundle. ``artifact`` is the file it should sign; for DSSE statements the
    subject digest is compared with ``artifact_sha256`` (or the artifact's own SHA-256)."""
    from sigstore.errors import Error as SigstoreError
    from sigstore.models import Bundle, TrustedRoot
    from sigstore.verify import Verifier, policy

    if trusted_root is None:
        return Outcome("inconclusive", "no trusted root given (--trusted-root): offline only")
    try:
        root = TrustedRoot.from_file(str(trusted_root))
    except Exception as err:  # the library raises pydantic, ValueError and its own errors
        return Outcome("failed", f"trusted root rejected: {_one_line(err)}")
    raw = bundle_path.read_bytes()
    if b'"publicKey"' in raw:
        return Outcome(
            "skipped", "key-signed bundle: sigstore-python verifies certificate-based bundles only"
        )
    try:
        bundle = Bundle.from_json(raw)
    except Exception as err:
        return Outcome("failed", f"invalid bundle: {_one_line(err)}")
    kind = bundle.log_entry._inner.kind_version
    if (kind.kind, kind.version) not in SUPPORTED_ENTRIES:
        return Outcome(
            "skipped",
            f"Rekor {kind.kind}/{kind.version} log entries: not verifiable by sigstore-python",
        )
    details = _signer(bundle)
    expected: Any = (
        policy.Identity(identity=identity, issuer=issuer or None)
        if identity
        else policy.UnsafeNoOp()
    )
    verifier = Verifier(trusted_root=root)
    try:
        if bundle._dsse_envelope is not None:
            payload_type, payload = verifier.verify_dsse(bundle, expected)
            details["signature_verified"] = True
            details["payload_type"] = payload_type
            statement = _statement(payload)
            details["statement"] = statement
            digest = artifact_sha256 or (_sha256(artifact) if artifact else "")
            if digest and not _names_digest(statement, digest):
                return Outcome("failed", f"wrong subject: no subject has sha256 {digest}", details)
            if not digest:
                return Outcome("inconclusive", "no artifact to hold the subjects against", details)
            details["binds"] = True
        else:
            signed: Any = artifact.read_bytes() if artifact is not None else None
            if signed is None and artifact_sha256:
                from sigstore.hashes import Hashed
                from sigstore_models.common.v1 import HashAlgorithm

                signed = Hashed(
                    algorithm=HashAlgorithm.SHA2_256, digest=bytes.fromhex(artifact_sha256)
                )
            if signed is None:
                return Outcome("inconclusive", "the bundle signs an artifact; none given", details)
            verifier.verify_artifact(signed, bundle, expected)
            details["binds"] = True
    except SigstoreError as err:
        return Outcome("failed", _one_line(err), details)
    except Exception as err:  # malformed material deep inside the bundle
        return Outcome("failed", f"{type(err).__name__}: {_one_line(err)}", details)
    details["signature_verified"] = True
    if not identity:
        return Outcome(
            "inconclusive",
            "signature and log entry verify, but no expected signer was given (--identity)",
            details,
        )
    return Outcome("verified", f"signed by {details.get('identity', '?')}", details)


def _signer(bundle: Any) -> dict[str, Any]:
    """The certificate's identity (SAN) and issuer, for the evidence."""
    from cryptography import x509

    try:
        cert = bundle.signing_certificate
    except Exception:
        return {}
    out: dict[str, Any] = {}
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = [str(v) for v in san.get_values_for_type(x509.UniformResourceIdentifier)]
        names += [str(v) for v in san.get_values_for_type(x509.RFC822Name)]
        out["identity"] = names[0] if names else ""
    except x509.ExtensionNotFound:
        pass
    for ext in cert.extensions:
        if ext.oid.dotted_string in ("1.3.6.1.4.1.57264.1.1", "1.3.6.1.4.1.57264.1.8"):
            raw = ext.value.value
            out["issuer"] = raw[2:].decode() if raw[:1] == b"\x0c" else raw.decode()
    return out


def _statement(payload: bytes) -> dict[str, Any]:
    try:
        data = json.loads(payload)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _names_digest(statement: dict[str, Any], sha256: str) -> bool:
    subjects = statement.get("subject") or []
    return any(
        isinstance(s, dict) and (s.get("digest") or {}).get("sha256") == sha256 for s in subjects
    )


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _one_line(err: BaseException) -> str:
    return " ".join(str(err).split())[:300] or type(err).__name__
