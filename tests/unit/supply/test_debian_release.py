"""Debian Release/InRelease signatures (gpgv with Debian's archive keyring), the Packages
indexes under them, .deb files against those, and dpkg md5sums: on the real signed data of
this Debian machine (/var/lib/apt/lists, /usr/share/keyrings, /var/cache/apt/archives,
/var/lib/dpkg/info). Each negative case alters one thing and must fail with the reason."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from assay.cli import main
from assay.extract.rootfs import RootFS
from assay.supply.debian import is_openpgp_keyring, is_release, verify_release
from assay.supply.debindex import check_debs, package_entries
from assay.supply.pkgdb import check_installed

LISTS = Path("/var/lib/apt/lists")
UPDATES = LISTS / "deb.debian.org_debian_dists_bookworm-updates_InRelease"
SECURITY = LISTS / "deb.debian.org_debian-security_dists_bookworm-security_InRelease"
KEYRING = Path("/usr/share/keyrings/debian-archive-keyring.gpg")
OTHER_KEYRING = Path("/usr/share/keyrings/debian-archive-bullseye-stable.gpg")
ARCHIVES = Path("/var/cache/apt/archives")

pytestmark = pytest.mark.skipif(
    not (UPDATES.is_file() and SECURITY.is_file() and KEYRING.is_file() and shutil.which("gpgv")),
    reason="needs a Debian 12 machine's signed apt lists, archive keyring and gpgv",
)


def _index(release: Path) -> Path:
    return next(LISTS.glob(release.name.removesuffix("InRelease") + "main_binary-amd64_Packages*"))


def _signed_on(release: Path) -> datetime:
    """The Release's own Date: verifying "as of then" keeps the tests true after Valid-Until
    (the security list's is a week after it was fetched)."""
    line = next(x for x in release.read_text().splitlines() if x.startswith("Date:"))
    return parsedate_to_datetime(line.partition(":")[2].strip()) + timedelta(hours=1)


def _copy(release: Path, folder: Path) -> Path:
    """The InRelease and its amd64 Packages index in a scratch folder (apt's names kept)."""
    shutil.copy(_index(release), folder)
    return Path(shutil.copy(release, folder))


@pytest.mark.parametrize("release", [UPDATES, SECURITY], ids=["updates", "security"])
def test_real_inrelease_and_its_index_verify(release: Path) -> None:
    outcome = verify_release(release, [KEYRING], now=_signed_on(release))
    assert outcome.result == "verified", outcome.reason
    details = outcome.details
    assert details["origin"] == "Debian" and details["codename"].startswith("bookworm")
    assert len(details["signed_by"]) >= 1 and all(len(f) == 40 for f in details["signed_by"])
    (index,) = details["indexes"]
    assert index["listed_as"] == "main/binary-amd64/Packages" and index["result"] == "verified"


def test_one_altered_byte_in_the_signed_text_fails(tmp_path: Path) -> None:
    copy = _copy(UPDATES, tmp_path)
    data = copy.read_bytes()
    copy.write_bytes(data.replace(b"Codename: bookworm-updates", b"Codename: bookworm-updatez", 1))
    outcome = verify_release(copy, [KEYRING])
    assert outcome.result == "failed"
    assert outcome.reason.startswith("BAD signature by ")
    assert "altered after signing" in outcome.reason


def test_a_keyring_without_the_signing_keys_fails() -> None:
    if not OTHER_KEYRING.is_file():
        pytest.skip("no bullseye keyring to stand for a wrong one")
    outcome = verify_release(UPDATES, [OTHER_KEYRING])
    assert outcome.result == "failed"
    assert "none of which is in the given keyring" in outcome.reason


def test_an_altered_index_fails_against_the_signed_hash(tmp_path: Path) -> None:
    copy = _copy(UPDATES, tmp_path)
    plain = tmp_path / copy.name.replace("InRelease", "main_binary-amd64_Packages")
    import lz4.frame  # type: ignore[import-untyped]

    text = lz4.frame.decompress(_index(UPDATES).read_bytes())
    plain.write_bytes(text)
    good = verify_release(copy, [KEYRING], indexes=[plain])
    assert good.result == "verified", good.reason
    plain.write_bytes(text.replace(b"Version: ", b"Version: 9", 1))
    bad = verify_release(copy, [KEYRING], indexes=[plain])
    assert bad.result == "failed"
    assert "main/binary-amd64/Packages" in json.dumps(bad.details["indexes"])
    assert "the signed Release says" in bad.reason


def test_a_release_past_its_valid_until_fails() -> None:
    text = SECURITY.read_text()
    until = next(line for line in text.splitlines() if line.startswith("Valid-Until:"))
    moment = parsedate_to_datetime(until.partition(":")[2].strip())
    outcome = verify_release(SECURITY, [KEYRING], now=moment + timedelta(days=1))
    assert outcome.result == "failed" and "expired: Valid-Until" in outcome.reason
    assert verify_release(SECURITY, [KEYRING], now=moment - timedelta(days=1)).result == "verified"


def _small_debs() -> list[Path]:
    """Cached .deb archives (apt's own downloads) that the signed updates/security indexes
    list, the smallest first."""
    if not ARCHIVES.is_dir():
        return []
    listed = {
        (e["Package"], e["Version"], e["Architecture"])
        for release in (UPDATES, SECURITY)
        for e in package_entries(_index(release))
    }
    from assay.supply.debindex import deb_identity

    debs = [d for d in ARCHIVES.glob("*.deb") if deb_identity(d) in listed]
    return sorted(debs, key=lambda d: d.stat().st_size)[:4]


def test_debs_against_the_verified_indexes(tmp_path: Path) -> None:
    debs = _small_debs()
    if not debs:
        pytest.skip("no cached .deb of the current bookworm updates/security indexes")
    outcome = verify_release(SECURITY, [KEYRING], debs=debs, now=_signed_on(SECURITY))
    found = check_debs(debs, [_index(SECURITY), _index(UPDATES)])
    assert found["debs_checked"] == len(debs) and not found["debs_differing"]
    assert outcome.result == "verified"
    altered = tmp_path / debs[0].name
    data = bytearray(debs[0].read_bytes())
    data[len(data) // 2] ^= 0x01
    altered.write_bytes(bytes(data))
    bad = check_debs([altered], [_index(SECURITY), _index(UPDATES)])
    assert bad["debs_differing"] and bad["debs_differing"][0].startswith(altered.name)


def test_kinds_are_told_by_content(tmp_path: Path) -> None:
    assert is_release(UPDATES) and is_openpgp_keyring(KEYRING)
    assert not is_release(_index(UPDATES)) and not is_openpgp_keyring(UPDATES)
    armored = tmp_path / "key.asc"
    armored.write_text("-----BEGIN PGP PUBLIC KEY BLOCK-----\n")
    assert is_openpgp_keyring(armored)


def test_verify_cli_takes_an_inrelease_and_a_keyring(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["verify", str(tmp_path), "--package-index", str(UPDATES), "--key", str(KEYRING)]
    assert main([*args, "-o", "json"]) == 0
    (result,) = json.loads(capsys.readouterr().out)["attestations"]
    assert result["kind"] == "debian-release" and result["result"] == "verified"
    copy = _copy(UPDATES, tmp_path)
    copy.write_bytes(copy.read_bytes().replace(b"Debian 12 - Updates", b"Debian 12 - Updatez"))
    args[3] = str(copy)
    assert main([*args, "-o", "json"]) == 1
    (result,) = json.loads(capsys.readouterr().out)["attestations"]
    assert result["result"] == "failed" and "BAD signature" in result["reason"]


def test_installed_files_against_real_dpkg_md5sums(tmp_path: Path) -> None:
    """gpgv's own installed files and its real md5sums, copied into a tree: all match; one
    altered byte in /usr/bin/gpgv is reported against the package."""
    md5sums = Path("/var/lib/dpkg/info/gpgv.md5sums")
    if not md5sums.is_file():
        pytest.skip("gpgv's dpkg md5sums are not on this machine")
    root = tmp_path / "root"
    info = root / "var/lib/dpkg/info"
    info.mkdir(parents=True)
    shutil.copy(md5sums, info)
    for line in md5sums.read_text().splitlines():
        path = line.split("  ", 1)[1]
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(Path("/") / path, root / path)
    good = check_installed([RootFS(root)])
    assert good["result"] == "verified" and good["checked"] == len(md5sums.read_text().splitlines())
    binary = root / "usr/bin/gpgv"
    data = bytearray(binary.read_bytes())
    data[100] ^= 0x01
    binary.write_bytes(bytes(data))
    bad = check_installed([RootFS(root)])
    assert bad["result"] == "failed"
    assert bad["differing"][0]["path"] == "/usr/bin/gpgv"
    assert bad["differing"][0]["package"] == "gpgv"


def _debian_tree(folder: Path) -> Path:
    """A root file system holding this machine's real apt lists (updates and security), dpkg
    status and archive keyring, plus one planted package no signed index lists."""
    lists = folder / "var/lib/apt/lists"
    lists.mkdir(parents=True)
    for release in (UPDATES, SECURITY):
        _copy(release, lists)
    (folder / "var/lib/dpkg").mkdir(parents=True)
    status = Path("/var/lib/dpkg/status").read_text()
    planted = "Package: evil-tool\nStatus: install ok installed\nVersion: 1.0\n"
    planted += "Architecture: amd64\n"
    (folder / "var/lib/dpkg/status").write_text(planted + "\n" + status)
    (folder / "usr/share/keyrings").mkdir(parents=True)
    shutil.copy(KEYRING, folder / "usr/share/keyrings")
    return folder


def test_an_images_apt_lists_and_installed_packages(tmp_path: Path) -> None:
    from assay.supply.debimage import check_apt

    if not Path("/var/lib/dpkg/status").is_file():
        pytest.skip("no dpkg status on this machine")
    root = RootFS(_debian_tree(tmp_path / "root"))
    own = check_apt(root, [])
    assert own is not None and own["result"] == "verified", own
    assert own["keyrings"].startswith("the image's own")
    assert own["installed"] > 100 and own["in_signed_indexes"] >= 1
    assert "evil-tool 1.0 amd64" in own["not_in_signed_indexes"]
    later = _signed_on(SECURITY) + timedelta(days=400)  # past every Valid-Until
    given = check_apt(root, [KEYRING], now=later)
    assert given is not None and given["keyrings"] == "given" and given["result"] == "verified"
    assert any("Valid-Until" in r["reason"] for r in given["releases"])
    if OTHER_KEYRING.is_file():
        wrong = check_apt(root, [OTHER_KEYRING])
        assert wrong is not None and wrong["result"] == "failed"
        assert "none of which is in the given keyring" in wrong["reason"]


def test_verify_installed_files_reads_the_apt_lists(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = _debian_tree(tmp_path / "root")
    release = next((tree / "var/lib/apt/lists").glob("*updates_InRelease"))
    release.write_bytes(release.read_bytes().replace(b"Debian 12", b"Debian 13", 1))
    args = ["verify", str(tree), "--installed-files", "--key", str(KEYRING), "-o", "json"]
    assert main(args) == 1
    found = json.loads(capsys.readouterr().out)["installed_files"]
    assert found["result"] == "failed" and "BAD signature" in found["reason"]
    (apt,) = found["apt"]
    assert [r["result"] for r in apt["releases"]] == ["verified", "failed"]
    assert main(args[:-2]) == 1  # the table
    table = capsys.readouterr().out
    assert "apt lists (given keyrings): failed" in table
    assert "not in the signed indexes: evil-tool 1.0 amd64" in table
