"""The declaration: schema, one-line errors naming the field, template, sample, security.txt."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
import yaml

from assay.declaration import check, load, schema, template, validate
from assay.errors import InputError
from assay.model.assessment import Assessment, Target
from assay.model.check import Verdict
from assay.norms import evaluate

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "data" / "declarations" / "openwrt-wr703n.sample.yaml"
NOW = dt.datetime(2026, 11, 27, tzinfo=dt.UTC)


def _write(tmp_path: Path, data: object, name: str = "d.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _valid() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load(template())


def test_schema_in_repo_is_the_one_the_loader_uses() -> None:
    on_disk = json.loads((ROOT / "schema" / "declaration.schema.json").read_text())
    assert on_disk == schema()


def test_template_and_sample_are_valid(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(template(), encoding="utf-8")
    assert check(path).errors == ()
    assert "#" in template()  # commented
    sample = load(SAMPLE)
    assert sample["sample"] is True
    assert sample["product"]["model"] == "TL-WR703N"
    assert sample["support"]["end_date"] == "2016-04-30"  # YAML date kept as ISO text
    json.dumps(sample)  # JSON-ready for assessment.json


@pytest.mark.parametrize(
    ("section", "value", "expected"),
    [
        ("support", {"end_date": "next year"}, "support.end_date: must be a date YYYY-MM-DD"),
        ("support", {"published_at": "http://x"}, "support.published_at: must be an https://"),
        (
            "vulnerability_disclosure",
            {"contact": ["sec@x.example"]},
            "contact[0]: must be a mailto:",
        ),
        (
            "vulnerability_disclosure",
            {"acknowledgement_days": "five"},
            "acknowledgement_days: must be a whole number",
        ),
        ("update_policy", {"automatic": "yes"}, "update_policy.automatic: must be true or false"),
        (
            "update_policy",
            {"delivery": ["pigeon"]},
            "update_policy.delivery[0]: must be one of over-the-air",
        ),
        (
            "personal_data",
            {"special_categories": ["shoe-size"]},
            "special_categories[0]: must be one of health",
        ),
        ("sensors", [{"description": "mic"}], "sensors[0].type: is required"),
        ("product", {"name": "P", "model": "M", "colour": "red"}, "product.colour: unknown field"),
        (
            "statements",
            {"en303645:5.6-9": {"status": "maybe", "explanation": "x"}},
            "statements.en303645:5.6-9.status: must be met, not-met or not-applicable",
        ),
        (
            "statements",
            {"en303645:9.9-9": {"status": "met", "explanation": "x"}},
            "statements.en303645:9.9-9: no such requirement",
        ),
        (
            "statements",
            {"foo": {"status": "met", "explanation": "x"}},
            "statements: must be a requirement id like",
        ),
    ],
)
def test_each_problem_is_one_line_naming_the_field(
    tmp_path: Path, section: str, value: object, expected: str
) -> None:
    data = _valid()
    data[section] = value
    errors = check(_write(tmp_path, data)).errors
    assert len(errors) == 1, errors
    assert expected in errors[0]
    assert "\n" not in errors[0]


def test_every_problem_is_listed(tmp_path: Path) -> None:
    data = _valid()
    del data["manufacturer"]["name"]
    data["support"]["end_date"] = "soon"
    data["update_policy"]["fix_time_days"] = -3
    errors = check(_write(tmp_path, data)).errors
    assert [e.split(":")[0] for e in errors] == [
        "manufacturer.name",
        "support.end_date",
        "update_policy.fix_time_days",
    ]


def test_load_raises_one_line_naming_the_first_field(tmp_path: Path) -> None:
    data = _valid()
    data["support"]["end_date"] = "soon"
    data["update_policy"]["automatic"] = "yes"
    path = _write(tmp_path, data)
    with pytest.raises(InputError) as err:
        load(path)
    assert str(err.value) == (
        "declaration d.yaml: support.end_date: must be a date YYYY-MM-DD (got 'soon') (and 1 more)"
    )
    assert "assay declaration check" in err.value.hint


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("manufacturer: [unclosed\n", "is not valid YAML/JSON at line"),
        ("- a list\n", "must be a mapping of sections, not list"),
    ],
)
def test_unreadable_files(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "d.yaml"
    path.write_text(text)
    with pytest.raises(InputError, match=expected):
        load(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        load(tmp_path / "nope.yaml")


def test_json_declarations_work(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    path.write_text(json.dumps(_valid(), default=str))
    assert load(path)["product"]["model"] == "EX-PLUG-1"


def _with_security_txt(tmp_path: Path, shared_data: Path, name: str) -> Path:
    shutil.copy(shared_data / "security-txt" / "rfc9116-era" / name, tmp_path / "security.txt")
    data = _valid()
    data["vulnerability_disclosure"] = {
        "security_txt": "security.txt",
        "acknowledgement_days": 5,
        "status_update_days": 30,
        "policy_url": "https://www.example.com/security/policy",
    }
    return _write(tmp_path, data)


def test_real_security_txt_without_expires_fails_the_disclosure_requirement(
    tmp_path: Path, shared_data: Path
) -> None:
    path = _with_security_txt(tmp_path, shared_data, "4mica.io.security.txt")
    result = check(path, NOW)
    assert result.errors == ()
    assert any("no Expires field" in f for f in result.findings)
    declaration = load(path, NOW)
    # the bare e-mail Contact is recorded but not used as a URI
    assert "contact" not in declaration["vulnerability_disclosure"]
    assert declaration["_security_txt"]["fields"]["contact"] == ["mairon@4mica.io"]
    assert declaration["_security_txt"]["used"] == ["canonical", "preferred_languages"]
    assert declaration["_security_txt"]["problems"]
    assert validate(declaration) == []  # what load returns is itself a valid declaration
    verdicts = evaluate(Assessment(Target("x", "image"), "t", "now", declaration=declaration))
    by_uid = {f"{v.norm}:{v.requirement}": v for v in verdicts}
    assert by_uid["en303645:5.2-1"].verdict == Verdict.FAIL
    assert "security.txt: no Expires field" in by_uid["en303645:5.2-1"].reason
    assert by_uid["psti:2"].verdict == Verdict.NEEDS_DECLARATION  # no usable contact


def test_real_valid_security_txt_supplies_the_contact(tmp_path: Path, shared_data: Path) -> None:
    path = _with_security_txt(tmp_path, shared_data, "drk-digital.io.security.txt")
    declaration = load(path, NOW)
    assert declaration["vulnerability_disclosure"]["contact"] == [
        "mailto:digitalisierung@drk-aachen.de"
    ]
    verdicts = evaluate(Assessment(Target("x", "image"), "t", "now", declaration=declaration))
    by_uid = {f"{v.norm}:{v.requirement}": v for v in verdicts}
    assert by_uid["en303645:5.2-1"].verdict == Verdict.PASS
    assert by_uid["psti:2"].verdict == Verdict.PASS  # contact + published policy + timelines


def test_missing_security_txt_file_is_an_error_naming_the_field(tmp_path: Path) -> None:
    data = _valid()
    data["vulnerability_disclosure"]["security_txt"] = "nowhere.txt"
    errors = check(_write(tmp_path, data)).errors
    assert len(errors) == 1
    assert errors[0].startswith("vulnerability_disclosure.security_txt: cannot read nowhere.txt")
