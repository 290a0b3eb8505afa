"""The signed Debian package lists an image carries (``/var/lib/apt/lists``) and its installed
packages (``/var/lib/dpkg/status``) against them: each ``InRelease`` verified (keyrings given,
else the image's own, which only shows consistency), then every installed package looked up,
by name, version and architecture, in the verified ``Packages`` indexes.

A package the verified indexes do not list was not installed from those lists as they are now:
superseded by a later upload, or from elsewhere (a hand-built or third-party package).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from assay.extract.rootfs import RootFS
from assay.supply.debian import is_openpgp_keyring, verify_release
from assay.supply.debindex import package_entries

LISTS = "/var/lib/apt/lists"
STATUS = "/var/lib/dpkg/status"
IMAGE_KEYRINGS = ("/usr/share/keyrings", "/etc/apt/trusted.gpg.d")
SHOWN = 50


def installed_packages(text: str) -> list[tuple[str, str, str]]:
    """(package, version, architecture) of every package dpkg's status file says is installed."""
    out: list[tuple[str, str, str]] = []
    for stanza in text.split("\n\n"):
        fields: dict[str, str] = {}
        for line in stanza.splitlines():
            key, sep, value = line.partition(":")
            if sep and not line[:1].isspace():
                fields[key] = value.strip()
        if fields.get("Status", "").endswith(" installed") and "Package" in fields:
            out.append(
                (fields["Package"], fields.get("Version", ""), fields.get("Architecture", ""))
            )
    return out


def _image_keyrings(root: RootFS) -> list[Path]:
    found = []
    for folder in IMAGE_KEYRINGS:
        for name in root.listdir(folder):
            real = root.resolve(f"{folder}/{name}")
            if real is not None and real.is_file() and is_openpgp_keyring(real):
                found.append(real)
    return found


def check_apt(
    root: RootFS, keyrings: list[Path], now: datetime | None = None
) -> dict[str, Any] | None:
    """The image's signed apt lists and its installed packages; None when it has no lists.
    A passed ``Valid-Until`` is noted, not failed: an image's lists are older than the scan."""
    releases = []
    for name in root.listdir(LISTS):
        real = root.resolve(f"{LISTS}/{name}")
        if name.endswith(("_InRelease", "_Release")) and real is not None and real.is_file():
            releases.append((name, real))
    if not releases:
        return None
    given = [k for k in keyrings if is_openpgp_keyring(k)]
    rings = given or _image_keyrings(root)
    checked, indexes = [], []
    for name, real in sorted(releases):
        outcome = verify_release(real, rings, now=now, check_expiry=False)
        checked.append(
            {"path": f"{LISTS}/{name}", "result": outcome.result, "reason": outcome.reason}
        )
        if outcome.result == "verified":
            indexes += [Path(i["path"]) for i in outcome.details.get("indexes", [])]
    known: set[tuple[str, str, str]] = set()
    for index in indexes:
        for e in package_entries(index):
            known.add((e.get("Package", ""), e.get("Version", ""), e.get("Architecture", "")))
    installed = installed_packages(root.read_text(STATUS) or "")
    missing = [p for p in installed if p not in known]
    failed = [c for c in checked if c["result"] != "verified"]
    if failed:
        result, reason = "failed", f"{failed[0]['path']}: {failed[0]['reason']}"
    else:
        result = "verified"
        reason = (
            f"{len(checked)} signed list(s) verify; {len(installed) - len(missing)} of "
            f"{len(installed)} installed packages are in them"
        )
    return {
        "result": result,
        "reason": reason,
        "keyrings": "given" if given else "the image's own (shows consistency, not trust)",
        "releases": checked,
        "installed": len(installed),
        "in_signed_indexes": len(installed) - len(missing),
        "not_in_signed_indexes": [f"{p} {v} {a}" for p, v, a in missing[:SHOWN]],
        "not_in_signed_indexes_count": len(missing),
    }
