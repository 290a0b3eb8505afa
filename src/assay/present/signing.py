"""Scanner keys: sign an ``assessment.json`` at scan time, verify it where it is uploaded.

The signature (Ed25519, ``cryptography``) covers the whole document: its canonical form is the
sorted-keys, compact, UTF-8 JSON of every top-level key but ``signature``. Any change to any
byte of that (a verdict, a vulnerability, the declaration) makes the signature invalid.

A key is named by its id: the first 16 hex digits of the SHA-256 of its raw public key.
Public keys travel as one line, ``ed25519:BASE64`` (the 32 raw bytes).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from assay.config import data_dir
from assay.errors import InputError, UsageError

ALGORITHM = "Ed25519"
PREFIX = "ed25519:"
SIGNATURE = "signature"
SIGNED_FORM = "sorted-keys compact UTF-8 JSON of the document without 'signature'"


def key_dir() -> Path:
    """Where ``assay keys generate`` keeps scanner keys by default (``$ASSAY_HOME/keys``)."""
    return data_dir() / "keys"


def canonical(document: Mapping[str, Any]) -> bytes:
    """The bytes a signature covers: everything but the signature block, in one fixed form."""
    body = {k: v for k, v in document.items() if k != SIGNATURE}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def public_text(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return PREFIX + base64.b64encode(raw).decode("ascii")


def key_id(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def parse_public(text: str) -> Ed25519PublicKey:
    """A public key from ``ed25519:BASE64`` (as ``assay keys`` prints it) or a PEM block."""
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(text.encode())
            if not isinstance(key, Ed25519PublicKey):
                raise ValueError("not an Ed25519 key")
            return key
        raw = base64.b64decode(text.removeprefix(PREFIX), validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except (ValueError, binascii.Error) as err:
        raise InputError(
            "not an Ed25519 public key", "give the line `assay keys list` prints (ed25519:...)"
        ) from err


def generate(path: Path) -> Ed25519PrivateKey:
    """A new private key written to ``path`` (PEM, PKCS#8, mode 0600; never overwritten) and
    its public key beside it (``path`` with ``.pub``)."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as err:
        raise UsageError(f"{path}: a key is already there", "choose another name") from err
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    path.with_suffix(".pub").write_text(public_text(key.public_key()) + "\n", encoding="utf-8")
    return key


def load_private(path: Path) -> Ed25519PrivateKey:
    try:
        data = path.read_bytes()
    except OSError as err:
        raise InputError(
            f"{path}: cannot read the signing key ({err.strerror})",
            "make one with `assay keys generate`",
        ) from err
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as err:
        raise InputError(
            f"{path}: not an unencrypted PEM private key", "make one with `assay keys generate`"
        ) from err
    if not isinstance(key, Ed25519PrivateKey):
        raise InputError(f"{path}: not an Ed25519 key", "make one with `assay keys generate`")
    return key


def sign(document: Mapping[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    """``document`` with a signature block over all of the rest."""
    plain: dict[str, Any] = json.loads(json.dumps(dict(document), default=str))
    public = key.public_key()
    value = key.sign(canonical(plain))
    plain[SIGNATURE] = {
        "algorithm": ALGORITHM,
        "key_id": key_id(public),
        "public_key": public_text(public),
        "signed": SIGNED_FORM,
        "value": base64.b64encode(value).decode("ascii"),
    }
    return plain


def sign_file(path: Path, key_file: Path) -> None:
    """Sign the ``assessment.json`` at ``path`` in place with the key in ``key_file``."""
    key = load_private(key_file)
    document = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps(sign(document, key), indent=2) + "\n", encoding="utf-8")


@dataclass(frozen=True)
class Verdict:
    """What a signature check found: ``trusted`` only for a valid signature by a trusted key."""

    trusted: bool
    key_id: str  # the key the document names ("" when unsigned)
    reason: str


def verify(document: Mapping[str, Any], trusted: Mapping[str, str]) -> Verdict:
    """Check ``document``'s signature against ``trusted`` (key id -> ``ed25519:`` text).

    Only the trusted key's own bytes are used: a public key carried in the document is never
    believed."""
    block = document.get(SIGNATURE)
    if block is None:
        return Verdict(False, "", "not signed")
    if not isinstance(block, dict) or block.get("algorithm") != ALGORITHM:
        return Verdict(False, "", "the signature block is not an Ed25519 signature")
    kid = str(block.get("key_id") or "")[:64]
    known = trusted.get(kid)
    if known is None:
        return Verdict(False, kid, f"signed by key {kid or '?'}, not a key this registry trusts")
    try:
        value = base64.b64decode(str(block.get("value") or ""), validate=True)
        parse_public(known).verify(value, canonical(document))
    except (binascii.Error, ValueError, InputError, InvalidSignature):
        return Verdict(False, kid, f"the signature of key {kid} does not match the document")
    return Verdict(True, kid, f"signed at scan time by trusted key {kid}")
