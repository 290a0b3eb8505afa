"""Fuzzing the document parsers: bounded YAML/JSON, declarations (file and registry upload),
assessments. Whatever the bytes, the answer is data or one ``InputError``, never another
exception."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from fuzzing import json_values, mutated
from hypothesis import example, given
from hypothesis import strategies as st

from assay.declaration import check
from assay.errors import InputError
from assay.registry.inputs import parse_assessment, parse_declaration
from assay.safeload import load_json, load_yaml

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = yaml.safe_load((ROOT / "data/declarations/openwrt-wr703n.sample.yaml").read_text())
DECLARATION_KEYS = sorted(
    {*SAMPLE, *(k for v in SAMPLE.values() if isinstance(v, dict) for k in v)}
)

# YAML built from pieces that stress the composer: anchors, aliases, merges, tags, nesting.
YAML_TOKENS = st.sampled_from(
    ["a: ", "- ", "&x ", "*x", "&y ", "*y", "<<: *x", "[", "]", "{", "}", ", ", "\n", "  ",
     "!!binary ", "!!set ", "!!python/object:os.system ", "? ", "2024-13-45", "1e999", "'", '"',
     "%YAML 1.1\n", "---\n", "...\n", "\t", "#", "|\n", ">-\n", "~", "\ufeff"]
)  # fmt: skip


def _only_input_errors(parse: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return parse(*args, **kwargs)
    except InputError as err:
        assert "\n" not in err.message
        return None


@given(st.lists(YAML_TOKENS, max_size=60).map("".join))
@example("a: &a [*a]")
@example("a: &a [1]\nb: &b [*a, *a]\nc: [*b, *b, *b]\n" + "x: &x [*x]\n")
@example("!!python/object/apply:os.system ['true']")
def test_yaml_from_hostile_pieces(text: str) -> None:
    _only_input_errors(load_yaml, text, "doc")


@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
@example(b"\x00")  # found by this test: PyYAML's reader refused it before the guarded block
def test_yaml_and_json_from_any_bytes(data: bytes) -> None:
    _only_input_errors(load_yaml, data, "doc")
    _only_input_errors(load_json, data, "doc")


def _as_orjson_reads(value: Any) -> Any:
    """orjson reads integers outside 64 bits as floats (found by this test)."""
    if isinstance(value, dict):
        return {k: _as_orjson_reads(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_orjson_reads(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**64:
        return float(value)
    return value


@given(json_values(["a", "b"], max_leaves=60))
@example(-(2**63) - 1)
def test_json_round_trip_within_limits(value: Any) -> None:
    text = json.dumps(value)
    assert load_json(text, "doc", max_depth=None) == _as_orjson_reads(value)
    assert load_yaml(text, "doc") is not None or value is None


@given(mutated(SAMPLE, DECLARATION_KEYS))
@example({"\n": None})  # found: the field name broke the one-line problem in two
def test_declaration_file_mutations(tmp_path_factory: pytest.TempPathFactory, doc: Any) -> None:
    path = tmp_path_factory.mktemp("decl") / "d.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    result = _only_input_errors(check, path)
    if result is not None:
        assert all("\n" not in e for e in result.errors)
    _only_input_errors(parse_declaration, path.read_bytes(), "d.yaml")


@given(st.lists(YAML_TOKENS, max_size=40).map("".join))
def test_declaration_upload_from_hostile_pieces(text: str) -> None:
    _only_input_errors(parse_declaration, text.encode(), "d.yaml")


@given(json_values(["document", "product", "verdicts", "findings", "components", "schema"]))
def test_assessment_documents(value: Any) -> None:
    _only_input_errors(parse_assessment, json.dumps(value).encode(), "assessment.json")


SECURITY_TXT_LINES = st.sampled_from(
    ["Contact: mailto:security@example.com", "Contact: https://example.com/report",
     "Expires: 2099-01-01T00:00:00Z", "Expires: 1999-13-45T99:99:99Z", "Expires: soon",
     "Policy: http://example.com", "Preferred-Languages: en, de, ", "Canonical: ",
     "-----BEGIN PGP SIGNED MESSAGE-----", "Hash: SHA256", "-----BEGIN PGP SIGNATURE-----",
     "-----END PGP SIGNATURE-----", "# comment", "", ":", "Contact:", "\x00", "\u202e"]
)  # fmt: skip


@given(st.lists(SECURITY_TXT_LINES | st.text(max_size=40), max_size=20).map("\n".join))
def test_security_txt(text: str) -> None:
    from assay.declaration import parse_security_txt

    parsed = parse_security_txt(text)
    assert all("\n" not in p for p in parsed.problems)
