"""Fuzzing the VEX/CSAF/SBOM importers and the firmware header parser.

VEX: real CSAF 2.0, OpenVEX and CycloneDX VEX documents, mutated; the importer returns
statements or one ``InputError``. Headers: a TP-Link v1 header with random fields; the parser
returns an identity or ``None``.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import pytest
from fuzzing import json_values, mutated
from hypothesis import example, given
from hypothesis import strategies as st

from assay.errors import InputError
from assay.extract.headers import TPLINK_V1, identify_header
from assay.present.vex.io import import_vex, load_vex

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
SEEDS = {
    "csaf": "csaf/oasis-csaf-examples/csaf_2.0/examples/csaf/csaf_vex/2022-evd-uc-01-a-001.json",
    "openvex": "vex/openvex-vexctl/examples/csaf/openvex.json",
    "cyclonedx": "sbom/cyclonedx-bom-examples/VEX/vex.json",
}
KEYS = ["document", "csaf_version", "product_tree", "branches", "full_product_names",
        "product_id", "vulnerabilities", "cve", "product_status", "known_not_affected",
        "flags", "label", "threats", "@context", "statements", "products", "status",
        "justification", "bomFormat", "specVersion", "analysis", "state", "affects", "ref",
        "components", "bom-ref", "purl"]  # fmt: skip


def _seed(kind: str) -> Any:
    path = DATA / SEEDS[kind]
    return json.loads(path.read_text()) if path.is_file() else {}


pytestmark = pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data is not present")


@pytest.mark.parametrize("kind", sorted(SEEDS))
def test_seed_documents_import(kind: str) -> None:
    assert import_vex(_seed(kind), strict=False) is not None


def _statements(doc: Any, strict: bool) -> None:
    try:
        statements = import_vex(doc, strict=strict)
    except InputError as err:
        assert "\n" not in err.message
        return
    assert isinstance(statements, list)


@given(mutated(_seed("csaf"), KEYS), st.booleans())
def test_csaf_mutations(doc: Any, strict: bool) -> None:
    _statements(doc, strict)


@given(mutated(_seed("openvex"), KEYS))
def test_openvex_mutations(doc: Any) -> None:
    _statements(doc, True)


@given(mutated(_seed("cyclonedx"), KEYS))
@example({"bomFormat": "CycloneDX", "specVersion": "1.0", "vulnerabilities": []})  # atheris
def test_cyclonedx_vex_mutations(doc: Any) -> None:
    _statements(doc, True)


@given(st.binary(max_size=200) | json_values(KEYS).map(lambda v: json.dumps(v).encode()))
def test_vex_files_of_any_bytes(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    path = tmp_path_factory.mktemp("vex") / "doc.json"
    path.write_bytes(data)
    try:
        load_vex(path)
    except InputError as err:
        assert "\n" not in err.message


@given(
    st.binary(min_size=24, max_size=24),
    st.binary(min_size=36, max_size=36),
    st.integers(min_value=0, max_value=2**32 - 1),
    st.integers(min_value=0, max_value=2**32 - 1),
    st.integers(min_value=0, max_value=0x200),
)
def test_tplink_headers(
    tmp_path_factory: pytest.TempPathFactory,
    vendor: bytes,
    version: bytes,
    hw_id: int,
    hw_rev: int,
    length: int,
) -> None:
    head = bytearray(0x200)
    struct.pack_into(">I24s36s", head, 0, TPLINK_V1, vendor, version)
    struct.pack_into(">II", head, 0x40, hw_id, hw_rev)
    path = tmp_path_factory.mktemp("hdr") / "image.bin"
    path.write_bytes(bytes(head[:length]))
    found = identify_header(path)
    assert found is None or found.vendor == "TP-Link"
