"""Private keys and certificates in an image, parsed with ``cryptography``.

Finds PEM blocks in any file (configuration, scripts, and binaries that embed them), Dropbear's
own binary host-key format, and empty placeholder files where a key is expected: OpenWrt ships
zero-length ``/etc/dropbear/dropbear_rsa_host_key`` files that the device fills at first boot.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import struct
import warnings
from dataclasses import dataclass

from assay.extract.rootfs import FileEntry, RootFS

MAX_SIZE = 16 * 1024 * 1024
PEM = re.compile(rb"-----BEGIN ([A-Z0-9 ]{1,40})-----\r?\n(.{0,65536}?)-----END \1-----", re.S)
CERT_LABELS = ("CERTIFICATE", "TRUSTED CERTIFICATE", "X509 CERTIFICATE")
KEY_NAMES = re.compile(r"(host_key|_key$|\.key$|\.pem$|key\.pem$|privkey|private)", re.I)
DROPBEAR_TYPES = (b"ssh-rsa", b"ssh-dss", b"ssh-ed25519", b"ecdsa-sha2-nistp256",
                  b"ecdsa-sha2-nistp384", b"ecdsa-sha2-nistp521")  # fmt: skip


@dataclass(frozen=True)
class KeyItem:
    """A private key, a certificate, or a placeholder where a key is expected."""

    kind: str  # private-key | certificate | placeholder
    path: str
    line: int | None
    algorithm: str = ""  # RSA, EC, Ed25519, DSA, unknown
    bits: int = 0
    fingerprint: str = ""  # sha256 of the public key (or of the encoded key when unparsed)
    encrypted: bool = False
    subject: str = ""
    not_after: dt.datetime | None = None
    signature_hash: str = ""
    is_ca: bool = False
    self_signed: bool = False
    note: str = ""


def scan_keys(rootfs: RootFS, entries: tuple[FileEntry, ...]) -> list[KeyItem]:
    items: list[KeyItem] = []
    for entry in entries:
        if not entry.is_file or entry.size > MAX_SIZE:
            continue
        name = entry.path.rsplit("/", 1)[-1]
        if entry.size == 0:
            if KEY_NAMES.search(name):
                items.append(KeyItem("placeholder", entry.path, None, note="empty file"))
            continue
        try:
            data = rootfs.read_bytes(entry.path)
        except OSError:
            continue
        if data is None:
            continue
        if b"-----BEGIN " in data:
            items.extend(_pem_items(entry.path, data))
        elif _is_dropbear_key(name, data):
            items.append(_dropbear_item(entry.path, data))
    return items


def _pem_items(path: str, data: bytes) -> list[KeyItem]:
    out = []
    line, counted = 1, 0  # line numbers counted on from the previous block, not from the top
    for m in PEM.finditer(data):
        label = m.group(1).decode()
        line += data.count(b"\n", counted, m.start())
        counted = m.start()
        block = m.group(0)
        kind = "private-key" if label.endswith("PRIVATE KEY") else "certificate"
        if kind == "certificate" and label not in CERT_LABELS:
            continue
        try:
            with warnings.catch_warnings():  # odd but readable encodings warn; we judge them
                warnings.simplefilter("ignore")
                item = (_private_item if kind == "private-key" else _cert_item)(path, line, block)
        except Exception as err:  # a malformed object is reported, never a crash
            note = f"unreadable: {type(err).__name__}: {str(err)[:80]}"
            item = KeyItem(
                kind, path, line, "unknown", 0, hashlib.sha256(block).hexdigest(), note=note
            )
        out.append(item)
    return out


def _private_item(path: str, line: int, block: bytes) -> KeyItem:
    label = block.split(b"-----", 2)[1].decode().removeprefix("BEGIN ")
    digest = hashlib.sha256(block).hexdigest()
    if b"ENCRYPTED" in block[:200] or label == "ENCRYPTED PRIVATE KEY":
        return KeyItem("private-key", path, line, "unknown", 0, digest, encrypted=True)
    # cryptography (~25 ms to import) only when an image holds a key or certificate
    from cryptography.hazmat.primitives import serialization

    key: object
    try:
        if label == "OPENSSH PRIVATE KEY":
            key = serialization.load_ssh_private_key(block, password=None)
        else:
            # the key is only described (type, size), never used: skipping RSA's consistency
            # check saves ~0.1 s per key (33 keys in one vendor image)
            key = serialization.load_pem_private_key(
                block, password=None, unsafe_skip_rsa_key_validation=True
            )
    except (ValueError, TypeError, NotImplementedError) as err:
        note = "placeholder or damaged key: " + str(err).split("\n")[0][:80]
        if len(block) < 120:
            return KeyItem("placeholder", path, line, note="PEM armour without a key")
        return KeyItem("private-key", path, line, "unknown", 0, digest, note=note)
    pub = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    algorithm, bits = _describe(key)
    return KeyItem("private-key", path, line, algorithm, bits, hashlib.sha256(pub).hexdigest())


def _describe(key: object) -> tuple[str, int]:
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa, x448, x25519

    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        return "RSA", key.key_size
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        return f"EC {key.curve.name}", key.curve.key_size
    if isinstance(key, dsa.DSAPrivateKey | dsa.DSAPublicKey):
        return "DSA", key.key_size
    if isinstance(key, ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey):
        return "Ed25519", 256
    if isinstance(key, ed448.Ed448PrivateKey | ed448.Ed448PublicKey):
        return "Ed448", 456
    if isinstance(key, x25519.X25519PrivateKey | x448.X448PrivateKey):
        return "X25519/X448", 256
    return "unknown", 0


def _cert_item(path: str, line: int, block: bytes) -> KeyItem:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    try:
        cert = x509.load_pem_x509_certificate(block)
    except ValueError as err:
        return KeyItem("certificate", path, line, note=f"unreadable: {str(err)[:80]}")
    algorithm, bits = _describe(cert.public_key())
    try:
        sig = cert.signature_hash_algorithm
        sig_name = sig.name if sig else ""
    except Exception:  # unsupported algorithm: not a reason to stop
        sig_name = "unknown"
    try:
        ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except (x509.ExtensionNotFound, ValueError):
        ca = cert.issuer == cert.subject
    return KeyItem(
        "certificate",
        path,
        line,
        algorithm,
        bits,
        fingerprint=cert.fingerprint(hashes.SHA256()).hex(),
        subject=cert.subject.rfc4514_string()[:120],
        not_after=cert.not_valid_after_utc,
        signature_hash=sig_name,
        is_ca=ca,
        self_signed=cert.issuer == cert.subject,
    )


def _is_dropbear_key(name: str, data: bytes) -> bool:
    if len(data) < 32 or KEY_NAMES.search(name) is None:
        return False
    (n,) = struct.unpack(">I", data[:4])
    return data[4 : 4 + n] in DROPBEAR_TYPES


def _dropbear_item(path: str, data: bytes) -> KeyItem:
    (n,) = struct.unpack(">I", data[:4])
    kind = data[4 : 4 + n].decode("ascii", "replace")
    bits = 0
    if kind == "ssh-rsa":
        try:
            off = 4 + n
            (elen,) = struct.unpack(">I", data[off : off + 4])
            off += 4 + elen
            (nlen,) = struct.unpack(">I", data[off : off + 4])
            modulus = data[off + 4 : off + 4 + nlen].lstrip(b"\0")
            bits = len(modulus) * 8
        except struct.error:
            bits = 0
    fingerprint = hashlib.sha256(data).hexdigest()
    return KeyItem("private-key", path, None, f"{kind} (Dropbear)", bits, fingerprint)


def is_expired(item: KeyItem, now: dt.datetime | None = None) -> bool:
    now = now or dt.datetime.now(dt.UTC)
    return item.not_after is not None and item.not_after < now
