"""Bad input to `assay verify`: one clear line and an exit code, or a `failed` result."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from assay.cli import main


@pytest.mark.parametrize(
    "content,words",
    [
        (b"", "format not recognised"),
        (os.urandom(4096), "format not recognised"),
        (b"[1, 2, 3]", "format not recognised"),
        (b'{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": 7}', "CycloneDX"),
        (b'{"spdxVersion": "SPDX-2.3"}', "SPDX"),
        (b"busybox - 1.0\nthis is not a manifest line\n", "line 2"),
        (
            b'<?xml version="1.0"?><!DOCTYPE b [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
            b'<bom xmlns="http://cyclonedx.org/schema/bom/1.5">&b;</bom>',
            "CycloneDX XML",
        ),
    ],
)
def test_bad_sboms_are_one_line_input_errors(
    content: bytes,
    words: str,
    wr703n_assessment_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sbom = tmp_path / "sbom"
    sbom.write_bytes(content)
    assert main(["verify", "--sbom", str(sbom), str(wr703n_assessment_file)]) == 3
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1


def test_missing_target(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sbom = tmp_path / "m"
    sbom.write_text("busybox - 1.0\n")
    assert main(["verify", "--sbom", str(sbom), str(tmp_path / "nothing.bin")]) == 3
    assert "does not exist" in capsys.readouterr().err


def test_not_an_assessment(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "assessment.json"
    target.write_text('{"target": 1}')
    sbom = tmp_path / "m"
    sbom.write_text("busybox - 1.0\n")
    assert main(["verify", "--sbom", str(sbom), str(target)]) == 3
    assert "not an Assay assessment" in capsys.readouterr().err


@pytest.mark.parametrize("content", [b"", b"{", os.urandom(2048), b'{"payload": 5}'])
def test_bad_attestations_fail_with_a_reason(
    content: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "image.bin"
    target.write_bytes(b"firmware")
    attestation = tmp_path / "att.json"
    attestation.write_bytes(content)
    code = main(["verify", "--attestation", str(attestation), "-o", "json", str(target)])
    result = json.loads(capsys.readouterr().out)["attestations"][0]
    assert code == 1 and result["result"] == "failed" and result["reason"]


def test_a_garbage_key_fails_the_layout(shared_data: Path, tmp_path: Path) -> None:
    from assay.supply.intoto import verify_layout

    base = shared_data / "supply-chain/in-toto/in-toto-golang-testdata"
    key = tmp_path / "key.pem"
    key.write_text("not a key")
    outcome = verify_layout(base / "demo.dsse.layout", [key], base)
    assert outcome.result == "failed" and "not a PEM public key" in outcome.reason


def test_garbage_trusted_root_fails_the_bundle(shared_data: Path, tmp_path: Path) -> None:
    from assay.supply.bundle import verify_bundle

    root = tmp_path / "trusted_root.json"
    root.write_text('{"mediaType": "nonsense"}')
    assets = shared_data / "supply-chain/sigstore/sigstore-python-assets"
    outcome = verify_bundle(assets / "bundle_v3.txt.sigstore", assets / "bundle_v3.txt", root)
    assert outcome.result == "failed" and outcome.reason.startswith("trusted root rejected")
