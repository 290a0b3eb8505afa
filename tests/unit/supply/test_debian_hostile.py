"""Debian index readers on hostile input: garbage Release text, cut or bomb-like compressed
indexes, odd names. Each gives a reason, never an exception or an unbounded read."""

from __future__ import annotations

import gzip
import hashlib
import lzma
from pathlib import Path

from assay.supply.debian import is_openpgp_keyring, is_release, parse_release, verify_release
from assay.supply.debimage import installed_packages
from assay.supply.debindex import check_index, deb_identity


def _release(listed: dict[str, bytes]) -> str:
    lines = ["Origin: Test", "Suite: test", "SHA256:"]
    lines += [f" {hashlib.sha256(d).hexdigest()} {len(d)} {p}" for p, d in listed.items()]
    return "\n".join(lines) + "\n"


def test_garbage_release_text_lists_nothing() -> None:
    release = parse_release("SHA256:\n not-a-hash x y z\n \x00\x01\nSuite\n::\n")
    assert release.sha256 == {}


def test_a_cut_compressed_index_fails_with_a_reason(tmp_path: Path) -> None:
    plain = b"Package: a\nVersion: 1\n\n" * 100
    folder = tmp_path / "dists" / "test"
    (folder / "main").mkdir(parents=True)
    release_path = folder / "Release"
    release_path.write_text(_release({"main/Packages": plain}))
    index = folder / "main" / "Packages.xz"
    index.write_bytes(lzma.compress(plain)[:40])
    found = check_index(index, parse_release(release_path.read_text()), release_path)
    assert found["result"] == "failed" and found["reason"].startswith("cannot read it")
    index.write_bytes(lzma.compress(plain))
    found = check_index(index, parse_release(release_path.read_text()), release_path)
    assert found["result"] == "verified" and found["listed_as"] == "main/Packages"


def test_a_bomb_is_read_only_to_the_signed_size(tmp_path: Path) -> None:
    """A gzip that unpacks to 16 MiB is hashed no further than the size the Release states."""
    release_path = tmp_path / "Release"
    release_path.write_text(_release({"Packages": b"small\n"}))
    index = tmp_path / "Packages.gz"
    index.write_bytes(gzip.compress(b"\x00" * (16 << 20)))
    found = check_index(index, parse_release(release_path.read_text()), release_path)
    assert found["result"] == "failed" and "the signed Release says" in found["reason"]


def test_unlisted_index_and_odd_names(tmp_path: Path) -> None:
    release_path = tmp_path / "Release"
    release_path.write_text(_release({}))
    other = tmp_path / "Sources"
    other.write_bytes(b"x")
    found = check_index(other, parse_release(release_path.read_text()), release_path)
    assert found == {**found, "result": "failed", "reason": "not listed in the signed Release"}
    assert deb_identity(tmp_path / "weird.deb") == ("weird.deb", "", "")
    assert deb_identity(tmp_path / "a_1%3a2.0-1_all.deb") == ("a", "1:2.0-1", "all")


def test_unsigned_release_and_no_keyring(tmp_path: Path) -> None:
    release_path = tmp_path / "Release"
    release_path.write_text(_release({}))
    assert is_release(release_path) and not is_openpgp_keyring(release_path)
    assert verify_release(release_path, []).result == "inconclusive"
    key = tmp_path / "key.gpg"
    key.write_bytes(b"\x99\x01\x0d")
    outcome = verify_release(release_path, [key])
    assert outcome.result == "failed" and "no signature Release.gpg" in outcome.reason


def test_dpkg_status_oddities() -> None:
    text = "Package: a\nStatus: deinstall ok config-files\nVersion: 1\n\nPackage b\n\n\x00\n"
    text += "Package: c\nStatus: install ok installed\nVersion: 2\nArchitecture: all\n"
    assert installed_packages(text) == [("c", "2", "all")]
