"""Real SBOMs from ../shared read, and bad ones refused with one clear line."""

from __future__ import annotations

from pathlib import Path

import pytest

from assay.errors import InputError
from assay.supply import load_sbom


def test_buildroot_legal_info_manifest(shared_data: Path) -> None:
    sbom = load_sbom(shared_data / "sbom/buildroot-manifests/manifest.csv")
    assert sbom.format == "buildroot-manifest"
    busybox = next(c for c in sbom.components if c.name == "busybox")
    assert busybox.version == "1.29.3"


def test_freertos_spdx_tag_value_has_file_hashes(shared_data: Path) -> None:
    sbom = load_sbom(shared_data / "sbom/freertos/FreeRTOS-Kernel.sbom.spdx")
    assert sbom.format == "spdx"
    assert [(c.name, c.version) for c in sbom.components] == [("FreeRTOS-Kernel", "V11.2.0")]
    assert len(sbom.files) > 100 and all(f.hashes for f in sbom.files)


def test_cyclonedx_example(shared_data: Path) -> None:
    sbom = load_sbom(shared_data / "sbom/cyclonedx-bom-examples/SBOM/laravel-7.12.0/bom.1.4.json")
    assert sbom.format == "cyclonedx-json" and len(sbom.components) == 62


def test_syft_placeholder_hashes_are_no_hashes(shared_data: Path) -> None:
    sbom = load_sbom(
        shared_data / "sbom/bom-shelter/spdx-syft-balenalib_armv7hf-alpine-node.spdx.json"
    )
    assert all(value.strip("0") for f in sbom.files for _, value in f.hashes)


@pytest.mark.parametrize(
    "relative,words",
    [
        ("sbom/buildroot-manifests/cpe_data_pp.json", "not recognised"),
    ],
)
def test_unreadable_sboms_are_one_line_errors(shared_data: Path, relative: str, words: str) -> None:
    with pytest.raises(InputError) as err:
        load_sbom(shared_data / relative)
    assert words in err.value.message and "\n" not in err.value.diagnostics()
    assert err.value.exit_code == 3


def test_the_product_an_spdx_document_describes_is_not_a_component(shared_data: Path) -> None:
    """bom's SPDX of the busybox image: the image package CONTAINS the layer package."""
    sbom = load_sbom(shared_data / "sbom/bom-shelter/spdx-bom-rancher_library-busybox.spdx.json")
    assert sbom.subject.startswith("sha256:37b77d92")
    assert [c.name for c in sbom.components] == [
        "sha256:96e4eceb383057c2f995bb27de59168bf82de7d21d270282a35921948777d6a0"
    ]
    binary = load_sbom(
        shared_data / "sbom/spdx-examples/software/example6/spdx2.2/example6-bin.spdx"
    )
    assert [c.name for c in binary.components] == ["hello-go-bin"]  # contains a file, not packages


def test_spdx3_examples(shared_data: Path) -> None:
    base = shared_data / "sbom/spdx-examples/software"
    golang = load_sbom(base / "example7/spdx3.0/example7-golang.spdx3.json")
    assert golang.format == "spdx3"
    [go] = golang.components
    assert (go.name, go.version) == ("go1.16.4.linux-amd64.tar.gz", "1.16.4")
    assert go.hashes == (
        ("sha256", "7154e88f5a8047aad4b80ebace58a059e36e7e2e4eb3b383127a28c711b4ff59"),
    )
    binary = load_sbom(base / "example6/spdx3.0/example6-bin.json")
    # declared licence NOASSERTION, so the concluded one is taken
    assert binary.components[0].license.startswith("(GPL-3.0-or-later AND")
    lib = load_sbom(base / "example6/spdx3.0/example6-lib.json")
    assert lib.subject == "go-1.15" and {c.version for c in lib.components} == {"1.15.4"}


def test_trivy_spdx_is_read_leniently_with_a_warning(shared_data: Path) -> None:
    """Trivy's SPDX breaks the spec (fractional seconds, no downloadLocation): spdx-tools
    refuses it, so it is read leniently and the SBOM says so."""
    trivy = shared_data / "sbom/bom-shelter/spdx-trivy-balenalib_armv7hf-alpine-node.spdx.json"
    sbom = load_sbom(trivy)
    assert sbom.format == "spdx" and len(sbom.components) == 279
    assert "spdx-tools rejected the document" in sbom.warnings[0]
    busybox = next(c for c in sbom.components if c.name == "busybox")
    assert (busybox.version, busybox.purl) == (
        "1.35.0-r15",
        "pkg:apk/alpine/busybox@1.35.0-r15?distro=3.16.1",
    )
