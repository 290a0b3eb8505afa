"""Secrets checks on crafted trees with real keys and certificates made by ``cryptography``."""

from __future__ import annotations

import datetime as dt
import struct

from checks_helpers import Tree, paths, run
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from assay.checks.context import CheckContext
from assay.checks.secrets import certificate
from assay.model.check import Verdict

PUBLIC_KEY = b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"


def _rsa_pem(bits: int = 1024) -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )


def _cert_pem(days_valid: int, bits: int = 2048, ca: bool = False) -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "device.local")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(days=800))
        .not_valid_after(now + dt.timedelta(days=days_valid))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)


def test_private_key_in_config_and_in_a_binary(tree: Tree) -> None:
    pem = _rsa_pem()
    ec_key = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    r = tree(
        {
            "/etc/uhttpd.key": pem,
            "/usr/bin/cloudd": b"\x7fELF\0\0junk" + ec_key + b"\0more",
            "/etc/ssl/certs/pub.pem": PUBLIC_KEY,
        }
    )
    f = run("secrets.private-key", r)
    assert f.verdict == Verdict.FAIL
    assert paths(f) == {"/etc/uhttpd.key", "/usr/bin/cloudd"}
    notes = {e.path: e.note for e in f.evidence}
    assert notes["/etc/uhttpd.key"].startswith("RSA 1024-bit private key")
    assert notes["/usr/bin/cloudd"].startswith("EC secp256r1 256-bit private key")


def test_placeholders_are_not_keys(tree: Tree) -> None:
    r = tree(
        {
            "/etc/dropbear/dropbear_rsa_host_key": b"",
            "/etc/ssh/ssh_host_ed25519_key": b"",
            "/etc/motd": "hello\n",
        }
    )
    f = run("secrets.private-key", r)
    assert f.verdict == Verdict.PASS
    assert "2 empty placeholder" in f.summary
    assert run("secrets.private-key", tree({"/etc/motd": "hi\n"})).verdict == Verdict.PASS


def test_dropbear_binary_host_key_is_a_key(tree: Tree) -> None:
    modulus = b"\x00" + b"\xc3" * 256  # a 2048-bit modulus, in Dropbear's mpint encoding
    blob = struct.pack(">I", 7) + b"ssh-rsa" + struct.pack(">I", 3) + b"\x01\x00\x01"
    blob += struct.pack(">I", len(modulus)) + modulus + b"\x00" * 300
    f = run("secrets.private-key", tree({"/etc/dropbear/dropbear_rsa_host_key": blob}))
    assert f.verdict == Verdict.FAIL
    assert f.evidence[0].note.startswith("ssh-rsa (Dropbear) 2048-bit")


def test_same_key_in_several_files(tree: Tree) -> None:
    pem = _rsa_pem()
    r = tree(
        {"/etc/uhttpd.key": pem, "/etc/lighttpd/server.pem": pem, "/etc/other.key": _rsa_pem()}
    )
    f = run("secrets.duplicate-key", r)
    assert f.verdict == Verdict.FAIL
    assert paths(f) == {"/etc/uhttpd.key", "/etc/lighttpd/server.pem"}
    single = tree({"/etc/uhttpd.key": pem})
    assert run("secrets.duplicate-key", single).verdict == Verdict.PASS
    # the same key in two root filesystems of one image is shared too
    f = run("secrets.duplicate-key", tree({"/a.key": pem}, "a"), tree({"/b.key": pem}, "b"))
    assert f.verdict == Verdict.FAIL


def test_expired_and_weak_certificates(tree: Tree) -> None:
    r = tree(
        {
            "/etc/uhttpd.crt": _cert_pem(days_valid=-10),
            "/etc/cloud/client.crt": _cert_pem(days_valid=300, bits=1024),
            "/etc/cloud/good.crt": _cert_pem(days_valid=300),
        }
    )
    f = run("secrets.certificate", r)
    assert f.verdict == Verdict.FAIL
    notes = {e.path: e.note for e in f.evidence}
    assert set(notes) == {"/etc/uhttpd.crt", "/etc/cloud/client.crt"}
    assert "expired" in notes["/etc/uhttpd.crt"]
    assert "RSA 1024-bit key" in notes["/etc/cloud/client.crt"]
    good = tree({"/etc/cloud/good.crt": _cert_pem(days_valid=300)})
    assert run("secrets.certificate", good).verdict == Verdict.PASS
    # "expired" is relative to the time of the scan
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=400)
    assert certificate(CheckContext(rootfs=[good]), now=later).verdict == Verdict.FAIL


def test_ca_bundles_are_not_judged(tree: Tree) -> None:
    r = tree({"/etc/ssl/certs/ca-certificates.crt": _cert_pem(days_valid=-1)})
    f = run("secrets.certificate", r)
    assert f.verdict == Verdict.NOT_APPLICABLE
    assert "1 CA-bundle" in f.summary
    # a file holding several CA certificates is a trust store wherever it is
    roots = b"".join(_cert_pem(days_valid=-1, ca=True) for _ in range(3))
    f = run("secrets.certificate", tree({"/usr/share/app/roots.pem": roots}))
    assert f.verdict == Verdict.NOT_APPLICABLE
    assert "3 CA-bundle" in f.summary


def test_malformed_pem_does_not_break_the_scan(tree: Tree) -> None:
    junk = b"-----BEGIN CERTIFICATE-----\n" + b"QUJD" * 40 + b"\n-----END CERTIFICATE-----\n"
    r = tree({"/etc/bad.crt": junk, "/etc/good.crt": _cert_pem(days_valid=300)})
    f = run("secrets.certificate", r)
    assert f.verdict == Verdict.PASS
    assert "1 unreadable certificate blocks skipped" in f.summary
    assert run("secrets.private-key", r).verdict == Verdict.PASS
