"""usign-signed opkg indexes: the berlin4apk OpenWrt 22.03.4 feed (read from ../shared, never
copied) and a feed of our own signed here with a fresh key for the negative cases."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from assay.supply.declared import load_sbom
from assay.supply.opkg import manifest_against_indexes, verify_index

FEED = "supply-chain/openwrt-22.03.4-berlin4apk"
BASE = f"{FEED}/22.03.4-rsync/packages/mips_24kc/base/Packages"
TARGET = f"{FEED}/22.03.4-rsync/targets/ath79/generic/packages/Packages"
MANIFEST = (
    f"{FEED}/22.03.4-rsync/targets/ath79/generic/openwrt-ath79-generic-8dev_carambola2.manifest"
)


def test_the_signed_base_feed_verifies(shared_data: Path) -> None:
    outcome = verify_index(shared_data / BASE, [shared_data / FEED / "8b8a078914d5f5dd.pub"])
    assert outcome.result == "verified", outcome.reason
    assert outcome.details["key"] == "8b8a078914d5f5dd"
    assert sorted(outcome.details["packages_matching"]) == [
        "busybox_1.35.0-5_mips_24kc.ipk",
        "dnsmasq_2.86-16_mips_24kc.ipk",
        "firewall4_2022-10-18-7ae5e14b-1_mips_24kc.ipk",
    ]


def test_a_stale_unindexed_package_fails(shared_data: Path) -> None:
    outcome = verify_index(shared_data / TARGET, [shared_data / FEED / "8b8a078914d5f5dd.pub"])
    assert outcome.result == "failed"
    assert outcome.details["unindexed"] == ["base-files_1501-r20127-074db57936_mips_24kc.ipk"]
    assert len(outcome.details["packages_matching"]) == 2  # base-files r20128, dropbear


def test_an_altered_index_fails(shared_data: Path) -> None:
    index = shared_data / BASE
    altered = index.read_bytes().replace(b"Version: 1.35.0-5", b"Version: 1.35.0-6")
    outcome = verify_index(index, [shared_data / FEED / "8b8a078914d5f5dd.pub"], altered)
    assert outcome.result == "failed" and "does not verify" in outcome.reason


def _usign(keynum: bytes, body: bytes, what: str) -> str:
    return f"untrusted comment: {what}\n{base64.b64encode(b'Ed' + keynum + body).decode()}\n"


def _key(private: Ed25519PrivateKey, keynum: bytes) -> str:
    raw = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return _usign(keynum, raw, "test key")


def test_wrong_keys_fail(shared_data: Path, tmp_path: Path) -> None:
    same_number = tmp_path / "same.pub"  # a different key claiming the feed's key number
    same_number.write_text(_key(Ed25519PrivateKey.generate(), bytes.fromhex("8b8a078914d5f5dd")))
    other = tmp_path / "other.pub"
    other.write_text(_key(Ed25519PrivateKey.generate(), b"\x01" * 8))
    outcome = verify_index(shared_data / BASE, [same_number])
    assert outcome.result == "failed" and "does not verify" in outcome.reason
    outcome = verify_index(shared_data / BASE, [other])
    assert outcome.result == "failed" and "not by a given key (0101010101010101)" in outcome.reason


def test_a_package_that_differs_from_its_index_entry_fails(tmp_path: Path) -> None:
    private, keynum = Ed25519PrivateKey.generate(), b"\x02" * 8
    (tmp_path / "tool_1.0-1_all.ipk").write_bytes(b"the package the index was made from")
    listed = hashlib.sha256(b"the package the index was made from").hexdigest()
    (tmp_path / "lib_2.0-1_all.ipk").write_bytes(b"a rebuilt package")
    index = tmp_path / "Packages"
    index.write_text(
        f"Package: tool\nVersion: 1.0-1\nFilename: tool_1.0-1_all.ipk\nSHA256sum: {listed}\n\n"
        f"Package: lib\nVersion: 2.0-1\nFilename: lib_2.0-1_all.ipk\nSHA256sum: {'ab' * 32}\n"
    )
    sig = private.sign(index.read_bytes())
    (tmp_path / "Packages.sig").write_text(_usign(keynum, sig, "signed"))
    key = tmp_path / "key.pub"
    key.write_text(_key(private, keynum))
    outcome = verify_index(index, [key])
    assert outcome.result == "failed" and outcome.reason.startswith("1 package(s) differ: lib_")
    assert outcome.details["packages_matching"] == ["tool_1.0-1_all.ipk"]


def test_the_image_manifest_against_the_signed_indexes(shared_data: Path) -> None:
    declared = [(c.name, c.version) for c in load_sbom(shared_data / MANIFEST).components]
    outcome = manifest_against_indexes(declared, [shared_data / BASE, shared_data / TARGET])
    assert outcome.result == "verified"
    assert outcome.details["not_in_indexes"] == ["kernel", "libc"]
    assert outcome.details["in_signed_indexes"] == 109
    changed = [(n, "9.9-9" if n == "busybox" else v) for n, v in declared]
    outcome = manifest_against_indexes(changed, [shared_data / BASE, shared_data / TARGET])
    assert outcome.result == "failed" and "busybox 9.9-9 (signed index: 1.35.0-5)" in outcome.reason


@pytest.mark.parametrize("index", [BASE])
def test_cli_reports_the_index(
    index: str, shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from assay.cli import main

    target = tmp_path / "image.bin"
    target.write_bytes(b"stand-in target: only its hash is read")
    key = shared_data / FEED / "8b8a078914d5f5dd.pub"
    args = ["verify", "--package-index", str(shared_data / index), "--key", str(key)]
    code = main([*args, "-o", "json", str(target)])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0 and doc["attestations"][0]["kind"] == "opkg-index"
