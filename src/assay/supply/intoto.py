"""in-toto layouts and links (classic Metablock and DSSE), verified with the in-toto library.

The steps are the library's own verification in its own order (layout signatures, expiry,
links and their signature thresholds, sub-layouts, artifact rules); inspections run only
when asked, because they execute commands the layout names. Without them the layout's
inspection rules are unchecked, so the result is ``inconclusive`` rather than ``verified``.

Key ids: in-toto-python and in-toto-golang derive a key's id differently from the same PEM;
a given key is offered under both ids (the signature is what is verified, never the id).
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from assay.supply.bundle import Outcome

_SCHEMES = {"rsa": "rsassa-pss-sha256", "ecdsa": "ecdsa-sha2-nistp256", "ed25519": "ed25519"}


def is_layout(data: Any) -> bool:
    """A classic or DSSE-enveloped in-toto layout."""
    if not isinstance(data, dict):
        return False
    if "signed" in data:
        return bool((data.get("signed") or {}).get("_type") == "layout")
    return bool(data.get("payloadType") == "application/vnd.in-toto+json" and _dsse_type(data))


def _dsse_type(envelope: dict[str, Any]) -> bool:
    import base64

    try:
        payload = json.loads(base64.b64decode(envelope.get("payload", "")))
    except (ValueError, TypeError):
        return False
    return isinstance(payload, dict) and payload.get("_type") == "layout"


def key_dicts(path: Path) -> list[dict[str, Any]]:
    """The in-toto key dictionaries of a PEM public key, one per key-id convention."""
    from in_toto.models._signer import (  # type: ignore[import-untyped]
        load_public_key_from_file,
    )
    from securesystemslib.formats import encode_canonical

    python_style = load_public_key_from_file(str(path))
    golang = {
        "keyid_hash_algorithms": ["sha256", "sha512"],
        "keytype": python_style["keytype"],
        "keyval": {"public": path.read_text().strip()},
        "scheme": python_style["scheme"],
    }
    golang["keyid"] = hashlib.sha256(str(encode_canonical(golang)).encode()).hexdigest()
    return [python_style, golang]


def verify_layout(
    layout: Path,
    keys: list[Path],
    links: Path | None,
    product: Path | None = None,
    run_inspections: bool = False,
    now: dt.datetime | None = None,
) -> Outcome:
    """Verify a root layout with the owner's key(s) and the links in ``links``."""
    from in_toto import exceptions, verifylib  # type: ignore[import-untyped]
    from in_toto.models.metadata import Metadata  # type: ignore[import-untyped]

    try:
        metadata = Metadata.load(str(layout))
        payload = metadata.get_payload()
    except Exception as err:
        return Outcome("failed", f"not an in-toto layout: {_one_line(err)}")
    details: dict[str, Any] = {
        "format": type(metadata).__name__,
        "expires": str(payload.expires),
        "steps": [s.name for s in payload.steps],
        "inspections": [i.name for i in payload.inspect],
    }
    if not keys:
        return Outcome("inconclusive", "no layout key given (--key)", details)
    signed_by = _signer_ids(metadata)
    chosen: dict[str, Any] = {}
    for path in keys:
        try:
            candidates = key_dicts(path)
        except (OSError, ValueError, TypeError) as err:
            return Outcome("failed", f"key {path.name} is not a PEM public key: {_one_line(err)}")
        match = next((k for k in candidates if k["keyid"] in signed_by), candidates[0])
        chosen[match["keyid"]] = match
    problems = []
    try:
        verifylib.verify_metadata_signatures(metadata, chosen)
    except Exception as err:
        if _as_received(layout, chosen):
            details["note"] = (
                "signature verified over the layout as received: in-toto-python re-serialises "
                "it without in-toto-golang's X.509 fields (rootcas, cert_constraints), which "
                "are therefore not used"
            )
        else:
            problems.append(f"layout signature: {_one_line(err)} (signed by {sorted(signed_by)})")
    expires = dt.datetime.fromisoformat(str(payload.expires).replace("Z", "+00:00"))
    if expires <= (now or dt.datetime.now(dt.UTC)):
        problems.append(f"layout expired {payload.expires}")
    if problems:
        return Outcome("failed", "; ".join(problems), details)
    if links is None:
        return Outcome("inconclusive", "layout signature verifies; no links given (--links)")
    try:
        with _workspace(product) as work:
            chain = verifylib.load_links_for_layout(payload, str(links))
            verifylib.verify_link_signature_thresholds(payload, chain)
            chain = verifylib.verify_sublayouts(payload, chain, str(links), False)
            verifylib.verify_all_steps_command_alignment(payload, chain)
            verifylib.verify_threshold_constraints(payload, chain)
            reduced = verifylib.reduce_chain_links(chain)
            verifylib.verify_all_item_rules(payload.steps, reduced)
            if run_inspections and payload.inspect:
                os.chdir(work)
                reduced.update(verifylib.run_all_inspections(payload, False))
                verifylib.verify_all_item_rules(payload.inspect, reduced)
    except exceptions.LinkNotFoundError as err:
        return Outcome("failed", f"links: {_one_line(err)}", details)
    except Exception as err:  # in-toto raises RuleVerificationError, ThresholdVerificationError…
        return Outcome("failed", f"{type(err).__name__}: {_one_line(err)}", details)
    details["links"] = sorted(chain)
    if payload.inspect and not run_inspections:
        reason = (
            f"signatures, links and step rules verify; {len(payload.inspect)} inspection(s) "
            "not run (they execute the layout's commands: --run-inspections)"
        )
        return Outcome("inconclusive", reason, details)
    return Outcome("verified", f"layout and {len(chain)} step link(s) verify", details)


def _as_received(layout: Path, keys: dict[str, Any]) -> bool:
    """Every given key has a valid signature over the canonical JSON of the layout's
    ``signed`` object exactly as the file holds it (classic Metablock only)."""
    from securesystemslib.formats import encode_canonical
    from securesystemslib.signer import Key, Signature  # type: ignore[attr-defined]

    raw = json.loads(layout.read_text())
    if "signed" not in raw:
        return False
    data = str(encode_canonical(raw["signed"])).encode()
    for keyid, kd in keys.items():
        sig = next((s for s in raw.get("signatures") or [] if s.get("keyid") == keyid), None)
        if sig is None:
            return False
        try:
            key = Key.from_dict(keyid, copy.deepcopy({k: v for k, v in kd.items() if k != "keyid"}))
            key.verify_signature(Signature(keyid, sig["sig"]), data)
        except Exception:
            return False
    return bool(keys)


def _signer_ids(metadata: Any) -> set[str]:
    """Key ids of a Metablock's signature list or an Envelope's signature mapping."""
    signatures = metadata.signatures
    if isinstance(signatures, dict):
        return set(signatures)
    return {s["keyid"] if isinstance(s, dict) else s.keyid for s in signatures}


@contextmanager
def _workspace(product: Path | None) -> Iterator[Path]:
    """A scratch directory holding the final product, where inspections run; the working
    directory is restored afterwards."""
    cwd = Path.cwd()
    work = Path(tempfile.mkdtemp(prefix="assay-intoto-"))
    try:
        if product is not None:
            shutil.copy2(product, work / product.name)
        yield work
    finally:
        os.chdir(cwd)
        shutil.rmtree(work, ignore_errors=True)


def verify_dsse_with_keys(envelope: dict[str, Any], keys: list[Path]) -> str:
    """Check a DSSE envelope's signature with the given keys; '' when one verifies."""
    from in_toto.models.metadata import Envelope
    from securesystemslib.signer import SSlibKey  # type: ignore[attr-defined]

    try:
        parsed = Envelope.from_dict(copy.deepcopy(envelope))  # from_dict empties what it reads
    except Exception as err:
        return f"not a DSSE envelope: {_one_line(err)}"
    for path in keys:
        try:
            dicts = key_dicts(path)
        except (OSError, ValueError, TypeError):
            continue
        for kd in dicts:
            try:
                key = SSlibKey.from_dict(
                    kd["keyid"], copy.deepcopy({k: v for k, v in kd.items() if k != "keyid"})
                )
                parsed.verify([key], 1)
            except Exception:
                continue
            return ""
    return "the DSSE signature does not verify with the given key(s)"


def _one_line(err: BaseException) -> str:
    return " ".join(str(err).split())[:300] or type(err).__name__
