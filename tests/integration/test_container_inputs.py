"""Container image archives scanned as a root filesystem, run as a user runs them: a
``docker save`` tarball and an OCI image layout built here from the real WR703N root
filesystem, two layers, the second removing a package (``opkg remove dropbear``: whiteouts
and a rewritten status file) and replacing /www (an opaque directory)."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest

from assay.cli import main
from assay.extract.rootfs import RootFS
from container_archives import docker_save, entries_layer, oci_archive, tree_layer

INDEX = b"<html>served by the container</html>"


@pytest.fixture(scope="module")
def layers(wr703n_rootfs: RootFS) -> list[bytes]:
    root = wr703n_rootfs.root
    info = root / "usr/lib/opkg/info"
    removed = [line.strip().lstrip("/") for line in (info / "dropbear.list").read_text().split()]
    removed += [f"usr/lib/opkg/info/dropbear.{ext}" for ext in ("control", "list", "conffiles")]
    status = (root / "usr/lib/opkg/status").read_text().split("\n\n")
    kept = "\n\n".join(s for s in status if not s.startswith("Package: dropbear\n"))
    # the new file comes before the opaque marker: a marker never hides its own layer
    top: list[tuple[str, bytes | None]] = [("www/index.html", INDEX), ("www/.wh..wh..opq", b"")]
    for path in removed:
        folder, _, name = path.rpartition("/")
        top.append((f"{folder}/.wh.{name}", b""))
    top.append(("usr/lib/opkg/status", kept.encode()))
    top.append(("usr/bin/helper", b"#!/bin/sh\nexec /bin/sh\n"))  # setuid root in the layer
    return [tree_layer(root), entries_layer(top, {"usr/bin/helper": 0o4755})]


def scan(target: Path, base: Path) -> dict[str, Any]:
    out, work = base / "out", base / "work"
    args = ["scan", str(target), "--out", str(out), "--work-dir", str(work), "--keep-work"]
    assert main([*args, "-q", "--no-vulns"]) == 0
    doc: dict[str, Any] = json.loads((out / "assessment.json").read_text())
    return doc


def names(doc: dict[str, Any]) -> set[str]:
    return {c["name"] for c in doc["components"]}


def assert_dropbear_removed(doc: dict[str, Any], tree: Path) -> None:
    assert doc["target"]["kind"] == "container"
    assert doc["facts"]["rootfs"] == ["/rootfs"]
    assert not [p for p in doc["problems"] if "layer" in p["message"]], doc["problems"]
    assert doc["identity"]["os_name"] == "OpenWrt" and doc["identity"]["os_version"] == "12.09"
    assert {"busybox", "dnsmasq", "base-files"} <= names(doc)
    assert not any("dropbear" in json.dumps(c) for c in doc["components"])
    for gone in ("usr/sbin/dropbear", "usr/bin/dbclient", "etc/init.d/dropbear"):
        assert not (tree / gone).exists() and not (tree / gone).is_symlink(), gone
    assert not list(tree.rglob(".wh.*")), "whiteout markers are never written"
    # the opaque /www: what the first layer put there is gone, the second layer's file stays
    assert sorted(p.name for p in (tree / "www").iterdir()) == ["index.html"]
    assert (tree / "www/index.html").read_bytes() == INDEX
    # the layer's own modes reach the checks (the archive's, not the unpacked copy's)
    setuid = next(f for f in doc["findings"] if f["check"] == "files.setuid")
    assert setuid["verdict"] == "FAIL"
    assert [e["path"] for e in setuid["evidence"]] == ["/usr/bin/helper"]
    assert (tree / "usr/bin/helper").stat().st_mode & 0o7777 == 0o755  # never setuid here


def test_docker_save_with_a_whiteout(layers: list[bytes], tmp_path: Path) -> None:
    archive = tmp_path / "image.tar"
    archive.write_bytes(docker_save(layers))
    doc = scan(archive, tmp_path)
    assert_dropbear_removed(doc, tmp_path / "work" / "extracted" / "rootfs")
    assert not (tmp_path / "work" / "extracted" / "archive").exists(), "layers not unpacked"


def test_oci_layout_with_gzip_layers(layers: list[bytes], tmp_path: Path) -> None:
    archive = tmp_path / "image-oci.tar"
    archive.write_bytes(oci_archive(layers))
    doc = scan(archive, tmp_path)
    assert_dropbear_removed(doc, tmp_path / "work" / "extracted" / "rootfs")


def test_one_layer_keeps_the_package(layers: list[bytes], tmp_path: Path) -> None:
    """The control: without the second layer dropbear is there, so its absence above is the
    whiteouts' doing."""
    archive = tmp_path / "base.tar"
    archive.write_bytes(docker_save(layers[:1]))
    doc = scan(archive, tmp_path)
    assert "dropbear" in names(doc)
    setuid = next(f for f in doc["findings"] if f["check"] == "files.setuid")
    assert setuid["verdict"] == "PASS"  # the modes are the layer's, so known
    assert (tmp_path / "work/extracted/rootfs/usr/sbin/dropbear").is_file()


def test_oci_layout_directory(layers: list[bytes], tmp_path: Path) -> None:
    """``skopeo copy ... oci:DIR`` leaves the layout as a directory: scanned the same way."""
    layout = tmp_path / "layout"
    with tarfile.open(fileobj=io.BytesIO(oci_archive(layers))) as tar:
        tar.extractall(layout, filter="data")
    doc = scan(layout, tmp_path)
    assert_dropbear_removed(doc, tmp_path / "work" / "extracted" / "rootfs")
    assert doc["target"]["name"] == "layout"
