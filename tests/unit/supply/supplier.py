"""Make a supplier SBOM for the bundled image from its own package list (the opkg database as
the scan read it), as a real supplier's build would, in each format Assay reads."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from assay.supply.inventory import Inventory


def package_list(inventory: Inventory) -> list[dict[str, Any]]:
    """One entry per opkg package: name, version, licence, and the SHA-256 of its first file."""
    out = []
    for m in inventory.components:
        if "opkg-db" not in m.found_by:
            continue
        entry: dict[str, Any] = {"name": m.name, "version": m.version, "license": m.license}
        for path in m.payload:
            real = next((r.resolve(path) for r in inventory.roots if r.resolve(path)), None)
            if real is not None and real.is_file():
                entry["sha256"] = hashlib.sha256(real.read_bytes()).hexdigest()
                break
        out.append(entry)
    return out


def cyclonedx(packages: list[dict[str, Any]]) -> dict[str, Any]:
    components = []
    for index, p in enumerate(packages):
        comp: dict[str, Any] = {
            "type": "application",
            "bom-ref": f"pkg-{index}",
            "name": p["name"],
            "version": p["version"],
        }
        if p.get("sha256"):
            comp["hashes"] = [{"alg": "SHA-256", "content": p["sha256"]}]
        if p.get("license"):
            comp["licenses"] = [{"license": {"id": p["license"]}}]
        components.append(comp)
    return {"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": components}


def write_cyclonedx(packages: list[dict[str, Any]], path: Path) -> Path:
    path.write_text(json.dumps(cyclonedx(packages), indent=1))
    return path


def write_openwrt_manifest(packages: list[dict[str, Any]], path: Path) -> Path:
    path.write_text("".join(f"{p['name']} - {p['version']}\n" for p in packages))
    return path


def write_buildroot_manifest(packages: list[dict[str, Any]], path: Path) -> Path:
    lines = ["PACKAGE,VERSION,LICENSE,LICENSE FILES,SOURCE ARCHIVE,SOURCE SITE"]
    lines += [f"{p['name']},{p['version']},{p['license'] or 'unknown'},,," for p in packages]
    path.write_text("\n".join(lines) + "\n")
    return path


def write_spdx(packages: list[dict[str, Any]], path: Path) -> Path:
    """SPDX 2.3 written by the SPDX project's own library (JSON or tag-value by suffix)."""
    from datetime import datetime

    from license_expression import get_spdx_licensing
    from spdx_tools.spdx.model import (
        Actor,
        ActorType,
        Checksum,
        ChecksumAlgorithm,
        CreationInfo,
        Document,
        Package,
        Relationship,
        RelationshipType,
        SpdxNoAssertion,
    )
    from spdx_tools.spdx.writer.write_anything import write_file

    info = CreationInfo(
        spdx_version="SPDX-2.3",
        spdx_id="SPDXRef-DOCUMENT",
        name="supplier-sbom",
        document_namespace="https://example.invalid/supplier-sbom",
        creators=[Actor(ActorType.ORGANIZATION, "Supplier")],
        created=datetime(2026, 1, 1),
    )
    pkgs = [
        Package(
            spdx_id=f"SPDXRef-Package-{index}",
            name=p["name"],
            download_location=SpdxNoAssertion(),
            version=p["version"],
            files_analyzed=False,
            checksums=[Checksum(ChecksumAlgorithm.SHA256, p["sha256"])] if p.get("sha256") else [],
            license_declared=get_spdx_licensing().parse(p["license"]) if p["license"] else None,
        )
        for index, p in enumerate(packages)
    ]
    relations = [
        Relationship("SPDXRef-DOCUMENT", RelationshipType.DESCRIBES, p.spdx_id) for p in pkgs
    ]
    write_file(Document(info, packages=pkgs, relationships=relations), str(path))
    return path


def write_cyclonedx_xml(packages: list[dict[str, Any]], path: Path) -> Path:
    """CycloneDX 1.5 XML written by cyclonedx-python-lib."""
    from cyclonedx.model import HashAlgorithm, HashType
    from cyclonedx.model.bom import Bom
    from cyclonedx.model.component import Component
    from cyclonedx.model.license import DisjunctiveLicense
    from cyclonedx.output import make_outputter
    from cyclonedx.schema import OutputFormat, SchemaVersion

    bom = Bom()
    for p in packages:
        bom.components.add(
            Component(
                name=p["name"],
                version=p["version"],
                hashes=[HashType(alg=HashAlgorithm.SHA_256, content=p["sha256"])]
                if p.get("sha256")
                else [],
                licenses=[DisjunctiveLicense(id=p["license"])] if p["license"] else [],
            )
        )
    outputter = make_outputter(bom, OutputFormat.XML, SchemaVersion.V1_5)
    path.write_text(outputter.output_as_string())
    return path


def write_spdx3(packages: list[dict[str, Any]], path: Path) -> Path:
    """SPDX 3.0.1 JSON-LD in the shape of the SPDX project's examples (no library writes
    3.0.1 here: spdx-tools 0.8 writes a pre-release 3.0 form)."""
    base = "https://example.invalid/supplier-sbom#"
    graph: list[dict[str, Any]] = [
        {"type": "CreationInfo", "@id": "_:creationInfo", "specVersion": "3.0.1"},
        {"type": "SpdxDocument", "spdxId": base + "doc", "creationInfo": "_:creationInfo"},
    ]
    for index, p in enumerate(packages):
        element: dict[str, Any] = {
            "type": "software_Package",
            "spdxId": f"{base}pkg{index}",
            "creationInfo": "_:creationInfo",
            "name": p["name"],
            "software_packageVersion": p["version"],
        }
        if p.get("sha256"):
            element["verifiedUsing"] = [
                {"type": "Hash", "algorithm": "sha256", "hashValue": p["sha256"]}
            ]
        graph.append(element)
        if p.get("license"):
            graph.append(
                {
                    "type": "simplelicensing_LicenseExpression",
                    "spdxId": f"{base}lic{index}",
                    "creationInfo": "_:creationInfo",
                    "simplelicensing_licenseExpression": p["license"],
                }
            )
            graph.append(
                {
                    "type": "Relationship",
                    "spdxId": f"{base}rel{index}",
                    "creationInfo": "_:creationInfo",
                    "from": f"{base}pkg{index}",
                    "relationshipType": "hasDeclaredLicense",
                    "to": [f"{base}lic{index}"],
                }
            )
    doc = {"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld", "@graph": graph}
    path.write_text(json.dumps(doc, indent=1))
    return path
