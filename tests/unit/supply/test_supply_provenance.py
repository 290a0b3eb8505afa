"""SLSA provenance (slsa-verifier's real test data) and in-toto layouts (in-toto-golang's
signed layouts and links), verified offline, with their negative cases."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import lzma
import shutil
from pathlib import Path

import pytest

from assay.supply.intoto import verify_layout
from assay.supply.slsa import verify_provenance

SLSA = "supply-chain/slsa/slsa-verifier-testdata"
INTOTO = "supply-chain/in-toto/in-toto-golang-testdata"
PRODUCTION = "supply-chain/sigstore/trusted-roots/production/trusted_root.json"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(
    "provenance,artifact,predicate",
    [
        ("bcr/MODULE.bazel.intoto.jsonl", "bcr/MODULE.bazel", "v1"),
        ("bcr/rules_lint-v1.3.1.tar.gz.intoto.jsonl", "bcr/rules_lint-v1.3.1.tar.gz", "v1"),
    ],
)
def test_slsa_v1_bundles_verify(
    shared_data: Path, provenance: str, artifact: str, predicate: str
) -> None:
    base = shared_data / SLSA
    outcome = verify_provenance(
        base / provenance, _sha(base / artifact), shared_data / PRODUCTION, []
    )
    assert outcome.result == "verified", outcome.reason
    assert outcome.details["predicate"] == predicate
    assert outcome.details["source"].startswith("git+https://github.com/aspect-build/rules_lint@")


def test_slsa_v02_generic_generator_verifies(shared_data: Path) -> None:
    base = shared_data / SLSA / "gha_generic/v2.1.0"
    with lzma.open(base / "binary-linux-amd64-workflow_dispatch.xz") as fh:
        sha = hashlib.sha256(fh.read()).hexdigest()
    assert sha == "376e7e01348585b6e6643bc6663146b9d525d9b41228bf180eaeb4d4a3706caa"
    outcome = verify_provenance(
        base / "binary-linux-amd64-workflow_dispatch.intoto.jsonl",
        sha,
        shared_data / PRODUCTION,
        [],
    )
    assert outcome.result == "verified", outcome.reason
    assert outcome.details["predicate"] == "v0.2"
    assert outcome.details["builder"].endswith("generator_generic_slsa3.yml@refs/tags/v2.1.0")


def test_wrong_signer_fails(shared_data: Path) -> None:
    base = shared_data / SLSA / "bcr"
    outcome = verify_provenance(
        base / "MODULE-wrong-signer.bazel.intoto.jsonl",
        _sha(base / "MODULE-wrong-signer.bazel"),
        shared_data / PRODUCTION,
        [],
    )
    assert outcome.result == "failed"
    assert "loosebazooka/aa-test" in outcome.reason and "not by the builder" in outcome.reason


def test_wrong_subject_fails(shared_data: Path) -> None:
    base = shared_data / SLSA / "bcr"
    outcome = verify_provenance(
        base / "MODULE.bazel.intoto.jsonl",
        _sha(base / "rules_lint-v1.3.1.tar.gz"),
        shared_data / PRODUCTION,
        [],
    )
    assert outcome.result == "failed" and outcome.reason.startswith("wrong subject")


def test_multi_subject_provenance_without_log_entry_needs_the_network(shared_data: Path) -> None:
    base = shared_data / SLSA
    for name in ("binary-linux-amd64-expired-cert", "binary-linux-amd64-no-tlog-upload"):
        outcome = verify_provenance(
            base / f"{name}.intoto.jsonl", "0" * 64, shared_data / PRODUCTION, []
        )
        assert outcome.result == "skipped" and outcome.reason.startswith("needs network")


# --- in-toto ----------------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["demo.layout", "demo.dsse.layout", "dsse-only.root.layout"])
def test_the_three_root_layouts_verify_with_their_links(shared_data: Path, layout: str) -> None:
    base = shared_data / INTOTO
    outcome = verify_layout(
        base / layout, [base / "alice.pub"], base, base / "foo.tar.gz", run_inspections=True
    )
    assert outcome.result == "verified", outcome.reason


def test_inspections_not_run_leave_it_inconclusive(shared_data: Path) -> None:
    base = shared_data / INTOTO
    outcome = verify_layout(base / "demo.dsse.layout", [base / "alice.pub"], base)
    assert outcome.result == "inconclusive" and "inspection(s) not run" in outcome.reason


def test_wrong_key_fails(shared_data: Path) -> None:
    base = shared_data / INTOTO
    other = shared_data / SLSA / "vsa/gce/v1/vsa_signing_public_key.pem"
    for layout in ("demo.layout", "demo.dsse.layout"):
        outcome = verify_layout(base / layout, [other], base)
        assert outcome.result == "failed" and outcome.reason.startswith("layout signature")


def test_expired_layouts_fail(shared_data: Path) -> None:
    base = shared_data / INTOTO
    outcome = verify_layout(base / "super.layout", [base / "alice.pub"], base)
    assert outcome.result == "failed" and "layout expired 2021-03-06" in outcome.reason
    later = dt.datetime(2031, 1, 1, tzinfo=dt.UTC)
    outcome = verify_layout(base / "demo.dsse.layout", [base / "alice.pub"], base, now=later)
    assert outcome.result == "failed" and outcome.reason == "layout expired 2030-11-18T16:06:36Z"


def test_a_tampered_link_fails(shared_data: Path, tmp_path: Path) -> None:
    base = shared_data / INTOTO
    links = tmp_path / "links"
    shutil.copytree(base, links)
    path = links / "package.d3ffd108.link"
    link = json.loads(path.read_text())
    link["signed"]["products"]["foo.tar.gz"]["sha256"] = "0" * 64
    path.write_text(json.dumps(link))
    outcome = verify_layout(base / "demo.layout", [base / "alice.pub"], links)
    assert outcome.result == "failed" and "package" in outcome.reason


def test_a_different_final_product_fails_the_inspection(shared_data: Path, tmp_path: Path) -> None:
    """The untar inspection unpacks the product; a foo.tar.gz with another foo.py fails."""
    import io
    import tarfile

    base = shared_data / INTOTO
    product = tmp_path / "foo.tar.gz"
    with tarfile.open(product, "w:gz") as tar:
        data = b"print('not the reviewed code')\n"
        info = tarfile.TarInfo("foo.py")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    outcome = verify_layout(
        base / "demo.dsse.layout", [base / "alice.pub"], base, product, run_inspections=True
    )
    assert outcome.result == "failed" and "RuleVerificationError" in outcome.reason


def test_key_signed_dsse_envelopes(shared_data: Path) -> None:
    """The key path used for DSSE provenance, on in-toto-golang's DSSE layout envelope."""
    from assay.supply.intoto import verify_dsse_with_keys

    base = shared_data / INTOTO
    envelope = json.loads((base / "demo.dsse.layout").read_text())
    assert verify_dsse_with_keys(envelope, [base / "alice.pub"]) == ""
    other = shared_data / SLSA / "vsa/gce/v1/vsa_signing_public_key.pem"
    assert "does not verify" in verify_dsse_with_keys(envelope, [other])
    envelope["payload"] = envelope["payload"][:-8] + "AAAAAAA="
    assert "does not verify" in verify_dsse_with_keys(envelope, [base / "alice.pub"])
