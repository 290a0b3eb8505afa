"""The SBOM of the real WR703N scan (with its sample declaration): dependency graph from the
opkg database, licences, SHA-256 digests, manufacturer, hostapd inside wpad-mini, and
vulnerability entries with CWEs, advisories and the fix; in CycloneDX (JSON and XML), SPDX
2.3 and SPDX 3, each checked by its official schema or the SPDX project's tools."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from cyclonedx.validation.xml import XmlValidator

import spdx3_bindings
from assay.catalog.control import parse_stanzas
from assay.extract.rootfs import RootFS
from assay.model.assessment import Assessment
from assay.present import cyclonedx, spdx, spdx3
from assay.web.revive import assessment_from_dict


@pytest.fixture(scope="module")
def assessment(wr703n_scan: Path) -> Assessment:
    return assessment_from_dict(json.loads((wr703n_scan / "assessment.json").read_text()))


@pytest.fixture(scope="module")
def cdx(wr703n_scan: Path) -> dict[str, Any]:
    text = (wr703n_scan / "sbom.cdx.json").read_text()
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    document: dict[str, Any] = json.loads(text)
    return document


def _top(cdx: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in cdx["components"]}


def test_dependencies_are_what_the_status_file_says(
    cdx: dict[str, Any], wr703n_rootfs: RootFS
) -> None:
    status = wr703n_rootfs.read_text("/usr/lib/opkg/status") or ""
    declared = {f["Package"]: f.get("Depends", "") for f in parse_stanzas(status)}
    assert declared["dropbear"] == "libc"  # the real stanza, read independently
    names = {c["bom-ref"]: c["name"] for c in cdx["components"]}
    graph = {d["ref"]: {names.get(r, r) for r in d["dependsOn"]} for d in cdx["dependencies"]}
    top = _top(cdx)
    assert graph[top["dropbear"]["bom-ref"]] == {"libc"}
    assert graph[top["libc"]["bom-ref"]] == {"libgcc"}
    assert graph[top["wpad-mini"]["bom-ref"]] == {"libc", "libnl-tiny"}
    # every package's edges are exactly its Depends names (versions dropped) that the image
    # has; a name it lacks is listed as missing
    for name, depends in declared.items():
        wanted = {d.split("(")[0].strip() for d in depends.split(",") if d.strip()}
        assert graph[top[name]["bom-ref"]] == wanted & set(top), name
        props = {p["name"]: p["value"] for p in top[name]["properties"]}
        missing = set(props.get("assay:depends_missing", "").split())
        assert missing == wanted - set(top), name
    assert set(graph["target"]) >= {"busybox", "dropbear", "wpad-mini"}


def test_hostapd_and_wpa_supplicant_are_nested_in_wpad_mini(
    cdx: dict[str, Any], wr703n_rootfs: RootFS
) -> None:
    top = _top(cdx)
    assert "hostapd" not in top and "wpa_supplicant" not in top
    inside = {c["name"]: c for c in top["wpad-mini"]["components"]}
    assert set(inside) == {"hostapd", "wpa_supplicant"}
    hostapd = inside["hostapd"]
    assert hostapd["version"] == "2.0-devel"
    wpad = wr703n_rootfs.read_bytes("/usr/sbin/wpad")
    assert wpad is not None
    assert hostapd["hashes"] == [{"alg": "SHA-256", "content": hashlib.sha256(wpad).hexdigest()}]
    props = {p["name"]: p["value"] for p in hostapd["properties"]}
    assert props["assay:package"] == "wpad-mini"
    assert props["assay:sha256_of"] == "file /usr/sbin/wpad"


def test_package_digest_is_the_manifest_of_its_files(
    cdx: dict[str, Any], wr703n_rootfs: RootFS
) -> None:
    listing = wr703n_rootfs.read_text("/usr/lib/opkg/info/dropbear.list") or ""
    lines = []
    for path in sorted(line.strip() for line in listing.splitlines() if line.strip()):
        real = wr703n_rootfs.root / path.lstrip("/")
        if real.is_file() and not real.is_symlink():
            lines.append(f"{hashlib.sha256(real.read_bytes()).hexdigest()}  {path}\n")
    expected = hashlib.sha256("".join(lines).encode()).hexdigest()
    dropbear = _top(cdx)["dropbear"]
    assert dropbear["hashes"] == [{"alg": "SHA-256", "content": expected}]
    props = {p["name"]: p["value"] for p in dropbear["properties"]}
    assert props["assay:sha256_of"] == f"manifest of {len(lines)} files (sha256sum lines, by path)"


def test_kernel_licence_and_manufacturer(cdx: dict[str, Any]) -> None:
    kernel = next(c for c in cdx["components"] if c.get("cpe", "").startswith("cpe:2.3:o:linux"))
    assert kernel["licenses"] == [{"license": {"id": "GPL-2.0-only"}}]
    maker = cdx["metadata"]["manufacturer"]
    assert maker["name"] == "Sample Router Works Ltd (fictitious)"
    assert maker["contact"] == [{"email": "info@sample-router-works.example"}]
    assert cdx["metadata"]["component"]["supplier"] == maker
    assert cdx["metadata"]["tools"]["components"][0]["name"] == "assay"
    assert cdx["metadata"]["authors"]


def test_vulnerabilities_carry_cwes_advisories_ratings_and_the_fix(cdx: dict[str, Any]) -> None:
    vulns = cdx["vulnerabilities"]
    busybox = _top(cdx)["busybox"]["bom-ref"]
    ntp = next(v for v in vulns if v["id"] == "CVE-2016-6301")  # busybox ntpd loop
    assert ntp["affects"][0]["ref"] == busybox
    assert {"version": "1.25.1", "status": "unaffected"} in ntp["affects"][0]["versions"]
    assert ntp["recommendation"] == "Upgrade to 1.25.1 or later."
    assert ntp["ratings"][0]["method"].startswith("CVSSv") and ntp["ratings"][0]["score"] > 0
    assert ntp["cwes"] and all(isinstance(c, int) for c in ntp["cwes"])
    assert ntp["advisories"] and all(a["url"].startswith("http") for a in ntp["advisories"])
    assert sum("cwes" in v for v in vulns) > len(vulns) // 2


@pytest.mark.parametrize("version", ["1.6", "1.5", "1.4"])
def test_cyclonedx_xml_and_older_json_pass_their_schemas(
    assessment: Assessment, version: str
) -> None:
    schema = {"1.6": SchemaVersion.V1_6, "1.5": SchemaVersion.V1_5, "1.4": SchemaVersion.V1_4}
    xml = cyclonedx.render(assessment, "xml", version)
    assert XmlValidator(schema[version]).validate_str(xml) is None
    assert "<name>hostapd</name>" in xml and "<cwes>" in xml
    document = json.loads(cyclonedx.render(assessment, "json", version))
    # the schemas' URL format check is slow on hundreds of advisories: a sample of entries
    document["vulnerabilities"] = document["vulnerabilities"][:40]
    assert JsonStrictValidator(schema[version]).validate_str(json.dumps(document)) is None


@pytest.mark.parametrize("kind", ["json", "tag-value"])
def test_spdx_2_3_passes_the_spdx_tools_validator(
    assessment: Assessment, tmp_path: Path, kind: str
) -> None:
    from spdx_tools.spdx.parser.parse_anything import parse_file
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    path = tmp_path / ("sbom.spdx.json" if kind == "json" else "sbom.spdx")
    path.write_text(spdx.render(assessment, kind))
    document = parse_file(str(path))
    assert validate_full_spdx_document(document) == []
    names = {p.spdx_id: p.name for p in document.packages}
    edges = {
        (
            names.get(r.spdx_element_id),
            r.relationship_type.name,
            names.get(r.related_spdx_element_id),
        )
        for r in document.relationships
    }
    assert ("dropbear", "DEPENDS_ON", "libc") in edges
    assert ("wpad-mini", "CONTAINS", "hostapd") in edges
    assert ("TP-Link TL-WR703N v1", "CONTAINS", "hostapd") not in edges
    packages = {p.name: p for p in document.packages}
    assert str(packages["kernel"].license_declared) == "GPL-2.0-only"
    assert [c.algorithm.name for c in packages["dropbear"].checksums] == ["SHA256"]
    firmware = packages["TP-Link TL-WR703N v1"]
    assert firmware.supplier.name == "Sample Router Works Ltd (fictitious)"


def test_spdx3_reads_back_with_dependencies_licences_and_hashes(assessment: Assessment) -> None:
    from spdx_python_model import v3_0_1 as model

    objects = spdx3_bindings.check(spdx3.render(assessment))
    packages = {p._id: p for p in objects.foreach_type(model.software_Package)}
    by_name = {p.name: p for p in packages.values()}
    kinds: dict[str, set[tuple[str, str]]] = {}
    for rel in objects.foreach_type(model.Relationship):
        kind = str(rel.relationshipType).rsplit("/", 1)[-1]
        source = rel.from_ if isinstance(rel.from_, str) else rel.from_._id
        for target in rel.to:
            target_id = target if isinstance(target, str) else target._id
            kinds.setdefault(kind, set()).add((source, target_id))
    assert (by_name["dropbear"]._id, by_name["libc"]._id) in kinds["dependsOn"]
    assert (by_name["wpad-mini"]._id, by_name["hostapd"]._id) in kinds["contains"]
    (licence,) = [
        e
        for e in objects.foreach_type(model.simplelicensing_LicenseExpression)
        if e.simplelicensing_licenseExpression == "GPL-2.0-only"
    ]
    assert (by_name["kernel"]._id, licence._id) in kinds["hasDeclaredLicense"]
    assert by_name["dropbear"].verifiedUsing[0].hashValue == next(
        c.sha256 for c in assessment.components if c.name == "dropbear"
    )
