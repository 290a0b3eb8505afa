"""Files in the image against the hashes the image's own package databases record for them:
a file that differs from what its package says is the classic sign of tampering or of a
hand-patched build.

Sources: opkg ``status`` ``Conffiles`` (MD5 or SHA-256 per configuration file), dpkg
``/var/lib/dpkg/info/*.md5sums`` and apk ``/lib/apk/db/installed`` (``Z:Q1`` = base64 SHA-1).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from typing import Any

from assay.extract.rootfs import RootFS

OPKG_STATUS = ("/usr/lib/opkg/status", "/var/lib/opkg/status")
DPKG_INFO = "/var/lib/dpkg/info"
APK_DB = "/lib/apk/db/installed"


@dataclass(frozen=True)
class Claim:
    """A package database's word on one file."""

    package: str
    path: str
    algorithm: str  # hashlib name
    digest: str  # lowercase hex
    source: str  # the database file in the image


def claims(root: RootFS) -> list[Claim]:
    """Every file hash the package databases of ``root`` record."""
    found: list[Claim] = []
    for status in OPKG_STATUS:
        text = root.read_text(status)
        if text is not None:
            found.extend(_opkg(text, status))
    for name in root.listdir(DPKG_INFO):
        if name.endswith(".md5sums"):
            source = f"{DPKG_INFO}/{name}"
            found.extend(_dpkg(root.read_text(source) or "", name[: -len(".md5sums")], source))
    text = root.read_text(APK_DB)
    if text is not None:
        found.extend(_apk(text))
    return found


def _opkg(text: str, source: str) -> list[Claim]:
    out: list[Claim] = []
    package, in_conffiles = "", False
    for line in text.splitlines():
        if line.startswith("Package:"):
            package, in_conffiles = line.partition(":")[2].strip(), False
        elif line.startswith("Conffiles:"):
            in_conffiles = True
        elif in_conffiles and line.startswith(" "):
            parts = line.split()
            if len(parts) == 2 and len(parts[1]) in (32, 64):
                algorithm = "md5" if len(parts[1]) == 32 else "sha256"
                out.append(Claim(package, parts[0], algorithm, parts[1].lower(), source))
        else:
            in_conffiles = False
    return out


def _dpkg(text: str, package: str, source: str) -> list[Claim]:
    out = []
    for line in text.splitlines():
        digest, _, path = line.partition("  ")
        if len(digest) == 32 and path:
            out.append(Claim(package.split(":")[0], "/" + path.lstrip("/"), "md5", digest, source))
    return out


def _apk(text: str) -> list[Claim]:
    out = []
    package, folder, file = "", "", ""
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key == "P":
            package, folder, file = value, "", ""
        elif key == "F":
            folder, file = value, ""
        elif key == "R":
            file = value
        elif key == "Z" and file and value.startswith("Q1"):
            try:
                digest = base64.b64decode(value[2:]).hex()
            except (binascii.Error, ValueError):
                continue
            path = "/" + "/".join(p for p in (folder, file) if p)
            out.append(Claim(package, path, "sha1", digest, APK_DB))
    return out


def check_installed(roots: list[RootFS]) -> dict[str, Any]:
    """Hold every recorded file hash against the file in the image."""
    checked, differing, missing, not_regular = 0, [], [], 0
    sources: set[str] = set()
    for root in roots:
        for claim in claims(root):
            sources.add(claim.source)
            real = root.resolve(claim.path)
            if real is None:
                missing.append({"package": claim.package, "path": claim.path})
                continue
            if not real.is_file():
                not_regular += 1
                continue
            checked += 1
            digest = hashlib.new(claim.algorithm, real.read_bytes()).hexdigest()
            if digest != claim.digest:
                differing.append(
                    {
                        "package": claim.package,
                        "path": claim.path,
                        "recorded": f"{claim.algorithm}:{claim.digest}",
                        "in_image": f"{claim.algorithm}:{digest}",
                        "source": claim.source,
                    }
                )
    if not sources:
        result, reason = "inconclusive", "no package database with file hashes in the image"
    elif differing:
        first = differing[0]
        result = "failed"
        reason = (
            f"{len(differing)} file(s) differ from their package: "
            f"{first['path']} ({first['package']})"
        )
    else:
        result, reason = "verified", f"all {checked} recorded files match their package"
    return {
        "result": result,
        "reason": reason,
        "sources": sorted(sources),
        "checked": checked,
        "differing": differing,
        "missing": missing,
        "not_regular_files": not_regular,
    }
