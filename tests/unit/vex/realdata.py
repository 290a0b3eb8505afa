"""Build assessment documents (``Assessment.to_dict()`` shape) from real public data.

Components come from the real opkg database of an unpacked OpenWrt root filesystem; matches
come from real NVD records and the real CISA KEV catalogue. Used as *input* by the VEX, diff
and accountability tests (the scan pipeline is tested elsewhere).
"""

from __future__ import annotations

import json
import lzma
import subprocess
import tarfile
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from assay.model.assessment import Assessment, Target
from assay.model.component import Component
from assay.model.identity import Identity
from assay.model.vulnerability import VulnerabilityMatch

NVD_SUBSET = "vulns/nvd/iot-subset/nvd_iot_subset.json.xz"
KEV = "vulns/kev/known_exploited_vulnerabilities.json"
MR3020 = "firmware/openwrt-12.09-tplink/openwrt-ar71xx-generic-tl-mr3020-v1-squashfs-factory.bin.xz"
MR3020_SQUASHFS_OFFSET = 0xE9C70


def unpack_mr3020(shared: Path, work: Path) -> Path:
    image = work / "mr3020.bin"
    image.write_bytes(lzma.decompress((shared / MR3020).read_bytes()))
    dest = work / "squashfs-root"
    subprocess.run(
        [
            "unsquashfs",
            "-no-progress",
            "-no-exit-code",
            "-o",
            str(MR3020_SQUASHFS_OFFSET),
            "-d",
            str(dest),
            str(image),
        ],
        check=True,
        capture_output=True,
    )
    return dest


def _stanzas(text: str) -> list[dict[str, str]]:
    out, cur = [], {}
    for line in text.splitlines():
        if not line.strip():
            if cur:
                out.append(cur)
            cur = {}
        elif ":" in line and not line.startswith(" "):
            key, _, value = line.partition(":")
            cur[key.strip()] = value.strip()
    if cur:
        out.append(cur)
    return out


def opkg_components(root: Path) -> list[Component]:
    """One component per installed package in ``/usr/lib/opkg/status``, plus the kernel."""
    release = dict(
        line.split("=", 1)
        for line in (root / "etc/openwrt_release").read_text().splitlines()
        if "=" in line
    )
    distro = "openwrt-" + release["DISTRIB_RELEASE"].strip('"')
    comps = []
    for pkg in _stanzas((root / "usr/lib/opkg/status").read_text()):
        name, version = pkg["Package"], pkg["Version"]
        purl = (
            f"pkg:opkg/openwrt/{name}@{version}?arch={pkg.get('Architecture', '')}&distro={distro}"
        )
        comps.append(
            Component(
                name=name,
                version=version,
                purl=purl,
                found_by=("opkg-db",),
                locations=("/usr/lib/opkg/status",),
            )
        )
    kernel = next((root / "lib/modules").iterdir()).name  # e.g. "3.3.8"
    comps.append(
        Component(
            name="linux",
            version=kernel,
            type="operating-system",
            cpe=f"cpe:2.3:o:linux:linux_kernel:{kernel}:*:*:*:*:*:*:*",
            found_by=("kernel",),
            locations=(f"/lib/modules/{kernel}",),
        )
    )
    return sorted(comps, key=lambda c: c.name)


def identity(root: Path, vendor: str, model: str) -> Identity:
    release = dict(
        line.split("=", 1)
        for line in (root / "etc/openwrt_release").read_text().splitlines()
        if "=" in line
    )
    return Identity(
        os_name="OpenWrt",
        os_version=release["DISTRIB_RELEASE"].strip('"'),
        os_id="openwrt",
        os_build=release["DISTRIB_REVISION"].strip('"'),
        kernel_version=next((root / "lib/modules").iterdir()).name,
        arch=release["DISTRIB_TARGET"].strip('"'),
        vendor=vendor,
        model=model,
        hardware_version="v1",
    )


@cache
def nvd_records(shared: Path) -> dict[str, dict[str, Any]]:
    data = json.loads(lzma.decompress((shared / NVD_SUBSET).read_bytes()))
    return {v["cve"]["id"]: v["cve"] for v in data["vulnerabilities"]}


@cache
def kev_records(shared: Path) -> dict[str, dict[str, Any]]:
    data = json.loads((shared / KEV).read_text())
    return {v["cveID"]: v for v in data["vulnerabilities"]}


def match(shared: Path, cve: str, component: Component) -> VulnerabilityMatch:
    """A match of a real NVD record to a component, with the record's real facts."""
    rec = nvd_records(shared)[cve]
    metrics = rec.get("metrics", {})
    best = (
        metrics.get("cvssMetricV31") or metrics.get("cvssMetricV30") or metrics.get("cvssMetricV2")
    )[0]["cvssData"]
    description = next(d["value"] for d in rec["descriptions"] if d["lang"] == "en")
    return VulnerabilityMatch(
        id=cve,
        component=component.ref,
        severity=str(best.get("baseSeverity", "high")).lower(),
        cvss_score=best["baseScore"],
        cvss_vector=best["vectorString"],
        kev=cve in kev_records(shared),
        description=description,
        published=rec["published"],
        why={"record": f"nvd:{cve}", "criteria": "cpe match from the NVD configuration"},
    )


# real CVEs whose NVD ranges cover OpenWrt 12.09's packages (dropbear 2011.54, Linux 3.3.8)
REAL_MATCHES = (
    ("CVE-2012-0920", "dropbear"),
    ("CVE-2013-2094", "linux"),
    ("CVE-2014-3153", "linux"),
    ("CVE-2016-5195", "linux"),
)


def assessment(
    shared: Path, root: Path, vendor: str, model: str, sha256: str = "", name: str = "image.bin"
) -> dict[str, Any]:
    comps = opkg_components(root)
    by_name = {c.name: c for c in comps}
    result = Assessment(
        target=Target(path=name, kind="image", sha256=sha256, size=3932160),
        tool_version="test",
        created="2026-11-27T12:00:00Z",
        identity=identity(root, vendor, model),
        components=comps,
        vulnerabilities=[match(shared, cve, by_name[comp]) for cve, comp in REAL_MATCHES],
    )
    return result.to_dict()


CISA_ARCHIVE = "csaf/cisa-csaf/cisagov-csaf-2024-10-24.tar.xz"


def cisa_advisories(shared: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """(path in the archive, document) of every CISA CSAF advisory (not the ROLIE feeds)."""
    with tarfile.open(shared / CISA_ARCHIVE) as tar:
        for member in tar:
            if not member.name.endswith(".json") or "/white/" not in member.name:
                continue
            if member.name.endswith("-feed-tlp-white.json"):
                continue
            handle = tar.extractfile(member)
            assert handle is not None
            yield member.name, json.load(handle)
