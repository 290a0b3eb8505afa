"""Signed OpenWrt package indexes: the ``Packages`` file's usign signature, and the packages
next to it against the SHA-256 the index states.

usign (OpenWrt's signify) files are a comment line and one base64 line: for a public key
``"Ed"`` + 8-byte key number + 32-byte Ed25519 key; for a signature ``"Ed"`` + key number +
64-byte signature over the file's bytes. The Ed25519 check itself is ``cryptography``'s.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assay.supply.bundle import Outcome

USIGN_COMMENT = "untrusted comment:"


@dataclass(frozen=True)
class UsignBlob:
    keynum: str  # hex, as usign prints it
    body: bytes


def read_usign(text: str, size: int) -> UsignBlob | None:
    """A usign key (size 32) or signature (size 64) file's content, or None if it is not one."""
    lines = [line.strip() for line in text.strip().splitlines()]
    if len(lines) < 2 or not lines[0].startswith(USIGN_COMMENT):
        return None
    try:
        raw = base64.b64decode(lines[1], validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(raw) != 10 + size or raw[:2] != b"Ed":
        return None
    return UsignBlob(raw[2:10].hex(), raw[10:])


def is_usign_key(path: Path) -> bool:
    try:
        return read_usign(path.read_text(errors="replace"), 32) is not None
    except OSError:
        return False


def verify_usign(message: bytes, signature: str, keys: list[str]) -> tuple[bool, str]:
    """(True, key number) when one of the keys made the signature; else (False, why)."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    sig = read_usign(signature, 64)
    if sig is None:
        return False, "the .sig file is not a usign signature"
    known = [k for k in (read_usign(text, 32) for text in keys) if k is not None]
    key = next((k for k in known if k.keynum == sig.keynum), None)
    if key is None:
        have = ", ".join(k.keynum for k in known) or "none"
        return False, f"signed by key {sig.keynum}, not by a given key ({have})"
    try:
        Ed25519PublicKey.from_public_bytes(key.body).verify(sig.body, message)
    except InvalidSignature:
        return False, f"signature by key {sig.keynum} does not verify: the index was altered"
    return True, key.keynum


def parse_index(text: str) -> list[dict[str, str]]:
    """The stanzas of an opkg ``Packages`` file (continuation lines folded in)."""
    entries: list[dict[str, str]] = []
    current: dict[str, str] = {}
    last = ""
    for line in text.splitlines():
        if not line.strip():
            if current:
                entries.append(current)
            current, last = {}, ""
        elif line[:1] in (" ", "\t") and last:
            current[last] += "\n" + line.strip()
        elif ":" in line:
            last, _, value = line.partition(":")
            current[last] = value.strip()
    if current:
        entries.append(current)
    return entries


def verify_index(index: Path, keys: list[Path], message: bytes | None = None) -> Outcome:
    """Verify ``index`` (its ``.sig`` beside it) and every package file in its folder."""
    data = index.read_bytes() if message is None else message
    sig_path = index.with_name(index.name + ".sig")
    if not sig_path.is_file():
        return Outcome("failed", f"no signature {sig_path.name} next to the index")
    key_texts = [k.read_text(errors="replace") for k in keys if is_usign_key(k)]
    if not key_texts:
        return Outcome("inconclusive", "no usign public key given (--key)")
    ok, who = verify_usign(data, sig_path.read_text(errors="replace"), key_texts)
    entries = parse_index(data.decode("utf-8", errors="replace"))
    details: dict[str, Any] = {"entries": len(entries), "format": "opkg Packages + usign"}
    if not ok:
        return Outcome("failed", who, details)
    details["key"] = who
    return _check_packages(index.parent, entries, details)


def _check_packages(
    folder: Path, entries: list[dict[str, str]], details: dict[str, Any]
) -> Outcome:
    listed = {e.get("Filename", ""): e for e in entries}
    matched, differing = [], []
    for name, entry in listed.items():
        path = folder / name
        if not name or not path.is_file():
            continue
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest == entry.get("SHA256sum", "").lower():
            matched.append(name)
        else:
            differing.append(f"{name} has sha256 {digest}, the index says {entry.get('SHA256sum')}")
    unindexed = sorted(p.name for p in folder.glob("*.ipk") if p.name not in listed)
    details.update(
        {
            "packages_checked": len(matched) + len(differing),
            "packages_matching": matched,
            "packages_differing": differing,
            "unindexed": unindexed,
        }
    )
    if differing:
        return Outcome("failed", f"{len(differing)} package(s) differ: {differing[0]}", details)
    if unindexed:
        reason = f"package file(s) not in the signed index: {', '.join(unindexed)}"
        return Outcome("failed", reason, details)
    reason = (
        f"index signed by key {details['key']}; {len(matched)} package file(s) present match it "
        f"({len(entries) - len(matched)} listed packages are not here to check)"
    )
    return Outcome("verified", reason, details)


def manifest_against_indexes(declared: list[tuple[str, str]], indexes: list[Path]) -> Outcome:
    """Each declared (name, version) that a signed index lists must have the index's version.
    Only indexes whose signature verified should be passed in."""
    versions: dict[str, str] = {}
    for index in indexes:
        for entry in parse_index(index.read_text(errors="replace")):
            versions.setdefault(entry.get("Package", ""), entry.get("Version", ""))
    differ = [
        f"{name} {version} (signed index: {versions[name]})"
        for name, version in declared
        if name in versions and versions[name] != version
    ]
    absent = [name for name, _ in declared if name not in versions]
    details = {
        "declared": len(declared),
        "in_signed_indexes": len(declared) - len(absent),
        "differing": differ,
        "not_in_indexes": absent,
    }
    if differ:
        return Outcome("failed", f"{len(differ)} declared version(s) differ: {differ[0]}", details)
    if not versions or len(absent) == len(declared):
        return Outcome("inconclusive", "no declared component is in the signed indexes", details)
    reason = (
        f"{len(declared) - len(absent)} of {len(declared)} declared components are in the signed "
        f"indexes with the same version; not in them: {', '.join(absent[:10]) or 'none'}"
    )
    return Outcome("verified", reason, details)
