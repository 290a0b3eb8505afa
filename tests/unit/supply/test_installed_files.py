"""Files in the image against the image's own package databases."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
from pathlib import Path

import pytest

from assay.cli import main
from assay.extract.rootfs import RootFS
from assay.supply.inventory import Inventory
from assay.supply.pkgdb import check_installed


def test_the_factory_image_matches_its_opkg_conffiles(wr703n_inventory: Inventory) -> None:
    result = check_installed(wr703n_inventory.roots)
    assert result["result"] == "verified", result["reason"]
    assert result["sources"] == ["/usr/lib/opkg/status"]
    assert result["checked"] == 25 and result["differing"] == [] and result["missing"] == []


def test_a_hand_edited_config_file_is_reported(wr703n_inventory: Inventory, tmp_path: Path) -> None:
    copy = tmp_path / "rootfs"
    shutil.copytree(wr703n_inventory.roots[0].root, copy, symlinks=True)
    dhcp = copy / "etc/config/dhcp"
    dhcp.write_text(dhcp.read_text() + "\nconfig host\n\toption ip '10.0.0.66'\n")
    result = check_installed([RootFS(copy)])
    assert result["result"] == "failed"
    assert [(d["path"], d["package"]) for d in result["differing"]] == [
        ("/etc/config/dhcp", "dnsmasq")
    ]
    assert result["differing"][0]["recorded"] == "md5:326e2116bd9bc3ecc5be4f75cd1e7647"


def test_dpkg_md5sums_and_apk_checksums(tmp_path: Path) -> None:
    """Both formats, on a small tree written here (no Debian or Alpine firmware is at hand)."""
    root = tmp_path / "root"
    (root / "bin").mkdir(parents=True)
    (root / "bin/tool").write_bytes(b"tool as packaged")
    (root / "bin/other").write_bytes(b"patched after packaging")
    info = root / "var/lib/dpkg/info"
    info.mkdir(parents=True)
    (info / "tool:armhf.md5sums").write_text(
        f"{hashlib.md5(b'tool as packaged').hexdigest()}  bin/tool\n"
        f"{hashlib.md5(b'other as packaged').hexdigest()}  bin/other\n"
    )
    apk = root / "lib/apk/db"
    apk.mkdir(parents=True)
    sha1 = base64.b64encode(hashlib.sha1(b"tool as packaged").digest()).decode()
    (apk / "installed").write_text(f"P:tool\nV:1.0-r0\nF:bin\nR:tool\nZ:Q1{sha1}\n\n")
    result = check_installed([RootFS(root)])
    assert result["checked"] == 3
    assert [(d["package"], d["path"]) for d in result["differing"]] == [("tool", "/bin/other")]
    assert result["sources"] == ["/lib/apk/db/installed", "/var/lib/dpkg/info/tool:armhf.md5sums"]


def test_cli_installed_files_and_policy(
    wr703n_inventory: Inventory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("rules:\n  no_modified_files: true\n")
    rootfs = str(wr703n_inventory.roots[0].root)
    args = ["verify", "--installed-files", "--policy", str(policy), "-o", "json", rootfs]
    code = main(args)
    doc = json.loads(capsys.readouterr().out)
    assert code == 0 and doc["installed_files"]["result"] == "verified"
    assert doc["policy"]["rules"][0]["result"] == "PASS"
