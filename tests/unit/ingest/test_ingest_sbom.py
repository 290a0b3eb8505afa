"""An SBOM as the scan target, on real SBOMs from ../shared/data/sbom: detected from its
content, its components matched, every check INCONCLUSIVE for want of files (never PASS),
the norms judged, and the assessment marked as made without the image."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

from assay.errors import InputError
from assay.ingest import sbom_format
from assay.ingest.sbom import NO_FILES
from assay.model.assessment import Assessment
from assay.pipeline import ScanOptions, assess
from assay.supply import load_sbom

ALPINE = "bom-shelter/spdx-syft-balenalib_armv7hf-alpine-node.spdx.json"
TRIVY = "bom-shelter/spdx-trivy-balenalib_beaglebone-black-node.spdx.json"
LARAVEL = "cyclonedx-bom-examples/SBOM/laravel-7.12.0/bom.1.4.json"
ACME = "spdx-examples/presentations/SBOMS-SPDX-Now-and-Future/ACME-v2.3.spdx.json"
FREERTOS = "freertos/FreeRTOS-Plus-TCP.sbom.spdx"
SPDX3 = "spdx-examples/software/example7/spdx3.0/example7-golang.spdx3.json"


def scan(path: Path, tmp_path: Path, vulns: bool = True) -> Assessment:
    options = ScanOptions(work_dir=tmp_path / "work", match_vulnerabilities=vulns)
    return assess(path, options).assessment


def assert_sbom_assessment(doc: Assessment, path: Path) -> None:
    """What every SBOM assessment must say: made from the SBOM, not the image."""
    assert doc.target.kind == "sbom"
    assert doc.target.path == path.name
    assert doc.facts["sbom"]["image_verdicts"].startswith("not made:")
    assert doc.facts["rootfs"] == []
    assert any("the target is an SBOM" in p.message for p in doc.problems)
    assert doc.findings, "every check is reported"
    for finding in doc.findings:
        assert finding.verdict == "INCONCLUSIVE", finding
        assert finding.summary.startswith(NO_FILES)
    assert doc.verdicts, "the norms are judged"
    assert not (Path(doc.facts["sbom"]["path"]).parent.parts), "file name only"


def test_spdx_json_of_an_iot_base_image_is_matched(shared_data: Path, tmp_path: Path) -> None:
    path = shared_data / "sbom" / ALPINE
    assert sbom_format(path) == "json"
    doc = scan(path, tmp_path)
    assert_sbom_assessment(doc, path)
    declared = {(d.name, d.version) for d in load_sbom(path).components}
    assert {(c.name, c.version) for c in doc.components} == declared
    busybox = next(c for c in doc.components if c.purl.startswith("pkg:alpine/busybox@"))
    assert busybox.version == "1.35.0-r15"
    assert busybox.source_package == "busybox"  # the purl's upstream= qualifier
    assert busybox.found_by == ("sbom-spdx",)
    assert dict(busybox.properties)["sbom:ref"].startswith("SPDXRef-Package-apk-busybox")
    # the Alpine packages are matched through the vulnerability data (bundled snapshot here)
    matched = {v.component for v in doc.vulnerabilities}
    assert busybox.ref in matched
    assert all(v.why for v in doc.vulnerabilities)
    # an Alpine package Assay maps by name keeps no tool-guessed CPE
    assert busybox.cpe == ""


def test_trivy_spdx_json_whose_version_key_comes_last(shared_data: Path, tmp_path: Path) -> None:
    """Trivy writes keys in alphabetical order: ``spdxVersion`` is the last of 300 KB."""
    path = shared_data / "sbom" / TRIVY
    assert b'"spdxVersion"' not in path.read_bytes()[:65536]
    assert sbom_format(path) == "json"
    doc = scan(path, tmp_path, vulns=False)
    assert_sbom_assessment(doc, path)
    assert any("read leniently" in p.message for p in doc.problems)  # spdx-tools refuses it
    assert any(c.purl.startswith("pkg:deb/debian/openssl@") for c in doc.components)


def test_cyclonedx_json_and_xml_give_the_same_components(shared_data: Path, tmp_path: Path) -> None:
    from cyclonedx.model.bom import Bom
    from cyclonedx.output.xml import XmlV1Dot4

    source = shared_data / "sbom" / LARAVEL
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bom = Bom.from_json(json.loads(source.read_text()))  # type: ignore[attr-defined]
        xml = tmp_path / "bom.cdx.xml"
        xml.write_text(XmlV1Dot4(bom).output_as_string())
    assert sbom_format(source) == "json" and sbom_format(xml) == "cyclonedx-xml"
    from_json = scan(source, tmp_path / "j", vulns=False)
    from_xml = scan(xml, tmp_path / "x", vulns=False)
    assert_sbom_assessment(from_json, source)
    assert_sbom_assessment(from_xml, xml)
    assert len(from_json.components) > 50
    assert [c.ref for c in from_json.components] == [c.ref for c in from_xml.components]
    assert {c.type for c in from_json.components} == {"library"}
    assert from_json.facts["sbom"]["format"] == "cyclonedx-json"


@pytest.mark.parametrize(
    ("name", "family"), [("acme.spdx", "spdx-tag-value"), ("acme.rdf.xml", "spdx-rdf")]
)
def test_spdx_2_3_written_by_the_spdx_tools(
    name: str, family: str, shared_data: Path, tmp_path: Path
) -> None:
    """The ACME SPDX 2.3 example, written as tag-value and RDF/XML by the SPDX tools."""
    from spdx_tools.spdx.parser.parse_anything import parse_file
    from spdx_tools.spdx.writer.write_anything import write_file

    source = shared_data / "sbom" / ACME
    written = tmp_path / name
    write_file(parse_file(str(source)), str(written), validate=False)
    assert written.read_text().startswith(("## Document Information", "<?xml"))
    assert sbom_format(written) == family
    doc = scan(written, tmp_path, vulns=False)
    assert_sbom_assessment(doc, written)
    names = {c.name for c in doc.components}
    assert names == {d.name for d in load_sbom(source).components}


def test_freertos_tag_value_and_spdx3(shared_data: Path, tmp_path: Path) -> None:
    for number, name in enumerate((FREERTOS, SPDX3)):
        path = shared_data / "sbom" / name
        doc = scan(path, tmp_path / str(number), vulns=False)
        assert_sbom_assessment(doc, path)
        assert doc.components


@pytest.mark.parametrize(
    "name",
    [
        "buildroot-manifests/cpe_data_pp.json",  # real JSON, not an SBOM
        "spdx-examples/software/example6/spdx2.2/example6-bin.spdx",
    ],
)
def test_json_that_is_no_sbom_is_refused_and_tag_value_is_taken(
    name: str, shared_data: Path, tmp_path: Path
) -> None:
    path = shared_data / "sbom" / name
    if path.suffix == ".json":
        assert sbom_format(path) == ""
        with pytest.raises(InputError, match="a JSON document that is not an SBOM"):
            scan(path, tmp_path)
    else:
        assert sbom_format(path) == "spdx-tag-value"


def test_an_sbom_with_no_components_is_an_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.cdx.json"
    empty.write_text(json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1}))
    with pytest.raises(InputError, match="lists no software components"):
        scan(empty, tmp_path)


def test_a_buildroot_legal_info_manifest_of_an_iot_module(
    shared_data: Path, tmp_path: Path
) -> None:
    """The SOM60 module's ``make legal-info`` manifest: busybox 1.29.3 and its CVEs."""
    path = shared_data / "sbom" / "buildroot-manifests" / "manifest.csv"
    assert sbom_format(path) == "buildroot-manifest"
    doc = scan(path, tmp_path)
    assert_sbom_assessment(doc, path)
    busybox = next(c for c in doc.components if c.name == "busybox")
    assert busybox.version == "1.29.3" and busybox.purl == ""
    assert any(v.component == busybox.ref for v in doc.vulnerabilities)


def test_a_cpe_the_sbom_gives_is_kept_only_where_assay_has_no_name(
    shared_data: Path, tmp_path: Path
) -> None:
    path = shared_data / "sbom" / ALPINE
    declared = {d.name: d.cpe for d in load_sbom(path).components}
    doc = scan(path, tmp_path, vulns=False)
    colors = next(c for c in doc.components if c.name == "@colors/colors")
    assert colors.cpe == declared["@colors/colors"] != ""
    musl = next(c for c in doc.components if c.purl.startswith("pkg:alpine/musl@"))
    assert declared["musl"] and musl.cpe == ""  # Assay's own musl mapping is used


@pytest.mark.parametrize(
    "name",
    [
        "cyclonedx-bom-examples/HBOM/PCIe-SATA-adapter-board/bom.json",  # hardware
        "cyclonedx-bom-examples/CBOM/Algorithm/bom.json",  # cryptographic assets
    ],
)
def test_a_bom_of_no_software_is_refused(name: str, shared_data: Path, tmp_path: Path) -> None:
    path = shared_data / "sbom" / name
    assert load_sbom(path).components, "the BOM does list components"
    with pytest.raises(InputError, match="lists no software components"):
        scan(path, tmp_path)
