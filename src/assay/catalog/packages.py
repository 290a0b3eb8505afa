"""Package-database catalogers: opkg, dpkg and apk.

opkg and dpkg share one control-stanza parser. PURL types: ``pkg:deb/<distro>/...`` for dpkg,
``pkg:apk/<distro>/...`` for apk, and ``pkg:opkg/<distro>/...`` for opkg. There is no
registered opkg PURL type yet (a proposal exists); we use ``opkg`` rather than pretend the
packages are Debian's, because an opkg version is not comparable with a Debian one.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from pathlib import Path

from packageurl import PackageURL

from assay.catalog.control import parse_stanzas, upstream_version
from assay.catalog.cpe_map import cpe_for_package
from assay.catalog.debcopyright import licence as copyright_licence
from assay.catalog.interface import CatalogResult
from assay.extract.rootfs import FileEntry, RootFS
from assay.model.component import Component
from assay.model.problem import Problem

MAX_DB_BYTES = 64 * 1024 * 1024
MAX_COPYRIGHT_BYTES = 512 * 1024


@dataclass(frozen=True)
class _Db:
    kind: str  # opkg | deb | apk
    found_by: str


def _distro(rootfs: RootFS) -> tuple[str, str]:
    """(namespace, distro qualifier) for PURLs, from the image's release files."""
    text = rootfs.read_text("/etc/openwrt_release", 65536) or ""
    for line in text.splitlines():
        if line.startswith("DISTRIB_RELEASE="):
            return "openwrt", "openwrt-" + line.split("=", 1)[1].strip().strip("\"'")
    osr = rootfs.read_text("/etc/os-release", 65536) or rootfs.read_text(
        "/usr/lib/os-release", 65536
    )
    if osr:
        values = {
            k: v.strip().strip("\"'")
            for k, _, v in (line.partition("=") for line in osr.splitlines())
        }
        ident = values.get("ID", "")
        ver = values.get("VERSION_ID", "")
        return ident or "", f"{ident}-{ver}" if ident and ver else ident
    return "", ""


def _component(
    fields: dict[str, str], db: _Db, release: tuple[str, str], path: str, files: tuple[str, ...]
) -> Component | None:
    name = fields.get("Package", "").strip()
    version = fields.get("Version", "").strip()
    if not name or not version:
        return None
    arch = fields.get("Architecture", "").strip()
    namespace, distro = release  # (namespace, distro qualifier) from ``_distro``
    qualifiers = {k: v for k, v in (("arch", arch), ("distro", distro)) if v}
    purl = PackageURL(
        type=db.kind,
        namespace=namespace or None,
        name=name,
        version=version,
        qualifiers=qualifiers or None,
    ).to_string()
    source = fields.get("Source", "").strip()
    if source.startswith("package/"):  # OpenWrt build-tree path, e.g. package/hostapd
        source = posixpath.basename(source)
    return Component(
        name=name,
        version=version,
        type="library" if name.startswith("lib") else "application",
        purl=purl,
        cpe=_cpe(name, _source_name(source), version, db),
        found_by=(db.found_by,),
        locations=(path,),
        files=files,
        arch=arch,
        source_package=_source_name(source),
        supplier=fields.get("Maintainer", "").strip(),
        license=fields.get("License", "").strip(),
        description=fields.get("Description", "").split("\n")[0].strip(),
        depends=depends(fields.get("Pre-Depends", "") + "," + fields.get("Depends", "")),
    )


def depends(text: str) -> tuple[str, ...]:
    """Package names in a ``Depends`` field: ``libc, kernel (= 3.3.8-1), a | b`` gives
    ``("a", "kernel", "libc")``; of alternatives the first (what dpkg and opkg try first);
    architecture qualifiers (``:any``) dropped."""
    names = set()
    for item in text.split(","):
        first = item.split("|")[0].strip()
        name = first.split("(")[0].split("[")[0].strip().split(":")[0]
        if name:
            names.add(name)
    return tuple(sorted(names))


def _cpe(name: str, source: str, version: str, db: _Db) -> str:
    """The CPE by package name; for Debian packages also by source package (dnsmasq-base is
    built from dnsmasq, and its version is dnsmasq's). Not for opkg: OpenWrt's build
    directory is no such promise (wpad-mini comes from package/hostapd but is versioned by
    snapshot date)."""
    upstream = upstream_version(version)
    found = cpe_for_package(name, upstream)
    if not found and db.kind == "deb" and source:
        found = cpe_for_package(source, upstream)
    return found


def _source_name(source: str) -> str:
    """``dnsmasq (2.72-3)`` -> ``dnsmasq``."""
    return source.split(" ")[0] if source else ""


def _installed(fields: dict[str, str]) -> bool:
    status = fields.get("Status", "")
    return not status or status.split()[-1] == "installed"


class ControlDbCataloger:
    """dpkg/opkg ``status`` databases and opkg ``info/*.control`` files."""

    name = "package-db"

    def __init__(self) -> None:
        self._releases: dict[Path, tuple[str, str]] = {}  # per root: read once, not per file

    def _release(self, rootfs: RootFS) -> tuple[str, str]:
        if rootfs.root not in self._releases:
            self._releases[rootfs.root] = _distro(rootfs)
        return self._releases[rootfs.root]

    def wants(self, entry: FileEntry) -> bool:
        p = entry.path
        return entry.is_file and (
            p.endswith(("/lib/opkg/status", "/lib/dpkg/status"))
            or (p.endswith(".control") and "/lib/opkg/info/" in p)
            or "/lib/dpkg/status.d/" in p
        )

    def parse(self, rootfs: RootFS, entry: FileEntry) -> CatalogResult:
        result = CatalogResult()
        db = _Db("opkg", "opkg-db") if "/opkg/" in entry.path else _Db("deb", "dpkg-db")
        if entry.size > MAX_DB_BYTES:
            result.problems.append(
                Problem("catalog", entry.path, "package database too large", "skipped")
            )
            return result
        text = rootfs.read_text(entry.path) or ""
        per_file = entry.path.endswith(".control")
        release = self._release(rootfs)
        for fields in parse_stanzas(text):
            if not per_file and not _installed(fields):
                continue
            files = self._owned_files(rootfs, entry.path, fields)
            if db.kind == "deb" and not fields.get("License"):
                fields["License"] = _deb_licence(rootfs, entry.path, fields.get("Package", ""))
            component = _component(fields, db, release, entry.path, files)
            if component is None:
                result.problems.append(
                    Problem("catalog", entry.path, "stanza without Package or Version", "skipped")
                )
                continue
            result.components.append(component)
        if not result.components and not result.problems:
            result.problems.append(
                Problem("catalog", entry.path, "package database holds no package", "")
            )
        return result

    @staticmethod
    def _owned_files(rootfs: RootFS, db_file: str, fields: dict[str, str]) -> tuple[str, ...]:
        if db_file.endswith(".control"):  # opkg: info/<pkg>.control beside info/<pkg>.list
            lists = [db_file[: -len(".control")] + ".list"]
        else:  # dpkg: info/<pkg>.list or info/<pkg>:<arch>.list
            info = posixpath.join(posixpath.dirname(db_file), "info")
            name, arch = fields.get("Package", ""), fields.get("Architecture", "")
            lists = [f"{info}/{name}.list", f"{info}/{name}:{arch}.list"]
        for listing_path in lists:
            listing = rootfs.read_text(listing_path)
            if listing is not None:
                return tuple(
                    sorted({ln.strip() for ln in listing.splitlines() if ln.startswith("/")})
                )
        return ()


def _deb_licence(rootfs: RootFS, db_file: str, package: str) -> str:
    """The licence in the package's copyright file (``catalog.debcopyright``), found beside
    the database it was read from (``<root>/var/lib/dpkg/status`` →
    ``<root>/usr/share/doc/<package>/copyright``); "" when the file is missing (embedded
    systems often drop ``/usr/share/doc``)."""
    root = db_file.split("/lib/dpkg/", 1)[0]
    root = root[: -len("/var")] if root.endswith("/var") else root
    if not package or "/" in package:
        return ""
    text = rootfs.read_text(f"{root}/usr/share/doc/{package}/copyright", MAX_COPYRIGHT_BYTES)
    return copyright_licence(text) if text else ""


def _apk_depends(text: str) -> str:
    """apk's ``D:`` (``musl>=1.2 so:libc.musl-x86_64.so.1 !conflict``) as a ``Depends`` list
    of package names; shared-library and command needs (``so:``, ``cmd:``, ``pc:``) name no
    package and are left out, and so are conflicts (``!``)."""
    names = []
    for item in text.split():
        if item.startswith("!") or ":" in item:
            continue
        names.append(re.split(r"[<>=~]", item, maxsplit=1)[0])
    return ", ".join(names)


class ApkDbCataloger:
    """Alpine/postmarketOS ``lib/apk/db/installed``."""

    name = "apk-db"

    def wants(self, entry: FileEntry) -> bool:
        return entry.is_file and entry.path.endswith("/lib/apk/db/installed")

    def parse(self, rootfs: RootFS, entry: FileEntry) -> CatalogResult:
        result = CatalogResult()
        text = rootfs.read_text(entry.path) or ""
        release = _distro(rootfs)
        for block in text.split("\n\n"):
            fields: dict[str, str] = {}
            files: list[str] = []
            folder = ""
            for line in block.splitlines():
                key, sep, value = line.partition(":")
                if not sep or len(key) != 1:
                    continue
                if key == "F":
                    folder = value
                elif key == "R":
                    files.append("/" + posixpath.join(folder, value))
                else:
                    fields.setdefault(key, value)
            if not fields.get("P") or not fields.get("V"):
                continue
            mapped = {
                "Package": fields["P"],
                "Version": fields["V"],
                "Architecture": fields.get("A", ""),
                "Source": fields.get("o", ""),
                "Maintainer": fields.get("m", ""),
                "License": fields.get("L", ""),
                "Description": fields.get("T", ""),
                "Depends": _apk_depends(fields.get("D", "")),
            }
            comp = _component(
                mapped, _Db("apk", "apk-db"), release, entry.path, tuple(sorted(files))
            )
            if comp:
                result.components.append(comp)
        return result
