"""CSAF 2.0 mandatory tests 6.1.11 (CWE) and 6.1.12 (language tags) on real documents: the
OASIS validator test data, the OASIS examples and CISA's advisories."""

from __future__ import annotations

import copy
import json
import tarfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from realdata import cisa_advisories

from assay.errors import InputError
from assay.present.vex import csaf_problems, import_vex
from assay.present.vex import csaf_rules_registries as reg
from assay.present.vex.csaf_import import import_csaf
from assay.present.vex.csaf_validate import MANDATORY_TESTS, check_csaf, mandatory_failures

CISA = "csaf/cisa-csaf"
OASIS = "csaf/oasis-csaf-examples"
TC = "csaf_2.0/test/validator/data/mandatory/oasis_csaf_tc-csaf_2_0-2021-"
XSS = "Improper Neutralization of Input During Web Page Generation ('Cross-site Scripting')"
XSS_1_4 = "Failure to Preserve Web Page Structure ('Cross-site Scripting')"  # CWE 1.4-1.8.1


def _tc(shared_data: Path, name: str, tmp: Path) -> dict[str, Any]:
    with tarfile.open(shared_data / OASIS / "csaf_2.0-validator-testdata.tar.xz") as tar:
        member = tar.getmember(TC + name)
        doc: dict[str, Any] = json.load(tar.extractfile(member))  # type: ignore[arg-type]
    return doc


@pytest.fixture
def advisory(shared_data: Path) -> dict[str, Any]:
    """A real CISA advisory with four CWE entries and ``lang`` en-US."""
    doc: dict[str, Any] = json.loads(
        (shared_data / CISA / "sample" / "icsa-24-291-01.json").read_text()
    )
    return doc


def test_both_tests_are_mandatory() -> None:
    assert MANDATORY_TESTS["6.1.11"] is reg.t_6_1_11
    assert MANDATORY_TESTS["6.1.12"] is reg.t_6_1_12


def test_bundled_cwe_catalogue() -> None:
    cat = reg.cwe_catalogue()
    assert len(cat.releases) == 53 and cat.releases[0] == "1.0" and cat.latest == "4.17"
    current = [i for i in cat.names if cat.current_name(i) is not None]
    assert len(current) == 968  # weaknesses in CWE 4.17, deprecated ones included
    assert reg.cwe_name("CWE-79") == XSS
    assert reg.cwe_name("CWE-20") == "Improper Input Validation"
    assert reg.cwe_name("CWE-1") is None  # a view/category, not a weakness
    old = cat.former("CWE-79", XSS_1_4)
    assert old is not None and (old.first, old.last) == ("1.4", "1.8.1")


def test_oasis_failing_cwe_example(shared_data: Path, tmp_path: Path) -> None:
    doc = _tc(shared_data, "6-1-11-01.json", tmp_path)
    for test in (reg.t_6_1_11, reg.t_6_1_11_any_release):
        [failure] = test(doc)
        assert failure.test == "6.1.11"
        assert failure.path == "$.vulnerabilities[0].cwe"
        assert XSS in failure.message and "'Improper Input Validation'" in failure.message
        assert "\n" not in str(failure)


def test_oasis_failing_language_example(shared_data: Path, tmp_path: Path) -> None:
    doc = _tc(shared_data, "6-1-12-01.json", tmp_path)
    [failure] = reg.t_6_1_12(doc)
    assert (failure.test, failure.path) == ("6.1.12", "$.document.lang")
    assert "'EZ' is not a registered language subtag" in failure.message
    assert any("6.1.12" in p for p in csaf_problems(doc))


def test_oasis_examples_pass(shared_data: Path) -> None:
    base = shared_data / OASIS / "csaf_2.0" / "examples" / "csaf"
    docs = [json.loads(p.read_text()) for p in sorted(base.rglob("*.json"))]
    assert len(docs) == 19
    assert sum(1 for d in docs for v in d.get("vulnerabilities", []) if "cwe" in v) == 4
    for doc in docs:
        assert reg.t_6_1_11(doc) == [] and reg.t_6_1_12(doc) == []


@pytest.mark.parametrize(
    "tag",
    [
        "en",
        "en-US",
        "EN-us",
        "de-DE",
        "zh-Hant-TW",
        "de-CH-1901",
        "sgn-BE-FR",  # grandfathered
        "es-419",
        "qaa",  # private-use ranges: language, script, region
        "qdq",
        "en-Qabc",
        "en-QM",
        "fr-ZZ",
        "i-klingon",  # grandfathered and deprecated: still valid
        "i-default",
        "en-GB-oed",
        "in",  # deprecated language subtag: still valid
        "hy-Latn-IT-arevela",  # deprecated variant
        "zh-yue-HK",  # extended language after its prefix
        "zh-cmn-Hans-CN",  # redundant tag
        "sl-rozaj-biske-1994",
        "x-private",
        "en-a-bbb-x-a-ccc",
        "en-US-u-ca-gregory",
        "sgn-ajs",  # registered 2022-02-25
        "en-Kawi",  # 2021-12-24
        "lld-anpezo",  # 2024-03-04
        "en-CQ",  # 2023-02-07
    ],
)
def test_valid_language_tags(tag: str) -> None:
    assert reg.language_tag_problem(tag) is None


@pytest.mark.parametrize(
    ("tag", "why"),
    [
        ("EZ", "'EZ' is not a registered language subtag"),
        ("xx-YY", "'xx' is not a registered language subtag"),
        ("root", "'root' is not a registered language subtag"),  # CLDR, not BCP 47
        ("abcd", "'abcd' is not a registered language subtag"),  # 4 letters: reserved
        ("en-999", "'999' is not a registered region subtag"),
        ("en-Abcd", "'Abcd' is not a registered script subtag"),
        ("en-GB-foobar1", "'foobar1' is not a registered variant subtag"),
        ("en-yue", "the extended language 'yue' may only follow 'zh'"),
        ("de-1901-1901", "the variant '1901' appears twice"),
        ("en-a-bbb-a-ccc", "the extension 'a' appears twice"),
        ("sgn-ase-bfi", "more than one extended language"),
        ("en_US", "separated by '-'"),
        ("en-US-US", "not a well-formed"),
        ("de-419-DE", "the subtag 'DE' is out of place"),
        ("en-x", "the private-use 'x' has no subtags after it"),
        ("en-a-x-b", "the extension 'a' has no subtags after it"),
        ("en-", "an empty subtag"),
        ("", "not a well-formed"),
        ("\u00f1", "not 1-8 letters or digits"),
    ],
)
def test_invalid_language_tags(tag: str, why: str) -> None:
    problem = reg.language_tag_problem(tag)
    assert problem is not None and why in problem and repr(tag) in problem


def test_every_registry_record_is_a_valid_tag() -> None:
    """Each subtag of the IANA registry, in a tag of its kind, and each whole tag passes."""
    registry = reg.subtag_registry()
    assert registry.date >= "2024-05-16"
    tags = sorted(registry.whole_tags)
    for sub in registry.subtags["language"]:
        tags.append(sub)
    for kind, form in (("script", "en-{}"), ("region", "en-{}"), ("variant", "en-{}")):
        tags += [form.format(sub) for sub in registry.subtags[kind]]
    tags += [f"{registry.extlang_prefix[sub]}-{sub}" for sub in registry.subtags["extlang"]]
    tags += ["qtz", "en-Qabx", "en-XA"]  # the ends of private-use ranges
    assert len(tags) > 9000
    assert [t for t in tags if reg.language_tag_problem(t)] == []
    assert reg.language_tag_problem("qua") is None and reg.language_tag_problem("en-Qaby")


def test_every_language_tag_of_the_oasis_test_data(shared_data: Path, tmp_path: Path) -> None:
    """All groups of the validator test data: only the 6.1.12 failing case has a bad tag."""
    with tarfile.open(shared_data / OASIS / "csaf_2.0-validator-testdata.tar.xz") as tar:
        tar.extractall(tmp_path, filter="data")
    seen: dict[str, str | None] = {}
    for path in sorted(tmp_path.rglob("*.json")):
        document = json.loads(path.read_text()).get("document")
        if not isinstance(document, dict):
            continue
        for key in ("lang", "source_lang"):
            if isinstance(document.get(key), str):
                seen[document[key]] = reg.language_tag_problem(document[key])
    assert len(seen) >= 12 and {"i-default", "qdq", "en-Qabc", "fr-ZZ"} <= set(seen)
    assert {tag for tag, problem in seen.items() if problem} == {"EZ"}


def test_source_lang_is_checked_too(advisory: dict[str, Any]) -> None:
    assert reg.t_6_1_12(advisory) == []
    advisory["document"]["source_lang"] = "xx-YY"
    [failure] = reg.t_6_1_12(advisory)
    assert failure.path == "$.document.source_lang"


def test_real_advisory_passes_strictly(advisory: dict[str, Any]) -> None:
    assert len([v for v in advisory["vulnerabilities"] if "cwe" in v]) == 4
    assert [f for f in mandatory_failures(advisory) if f.test in {"6.1.11", "6.1.12"}] == []
    check_csaf(advisory, lenient=False)


def test_stale_cwe_name_is_reported_but_imports(advisory: dict[str, Any]) -> None:
    vuln = next(i for i, v in enumerate(advisory["vulnerabilities"]) if v["cwe"]["id"] == "CWE-79")
    advisory["vulnerabilities"][vuln]["cwe"]["name"] = XSS_1_4
    [failure] = reg.t_6_1_11(advisory)
    assert failure.path == f"$.vulnerabilities[{vuln}].cwe"
    assert "CWE 1.4-1.8.1" in failure.message and "CWE 4.17" in failure.message
    assert reg.t_6_1_11_any_release(advisory) == []
    # `assay vex validate` lists it; the strict gate refuses it; the import takes it
    assert [p for p in csaf_problems(advisory) if "6.1.11" in p] == [str(failure)]
    with pytest.raises(InputError, match=r"vulnerabilities\[\d\]\.cwe.*CSAF test 6\.1\.11"):
        check_csaf(advisory, lenient=False)
    assert import_csaf(copy.deepcopy(advisory)) and import_vex(advisory)


def test_cwe_ids(advisory: dict[str, Any]) -> None:
    cwe = advisory["vulnerabilities"][0]["cwe"]
    cwe.update(id="CWE-9999", name="Some weakness from a later CWE release")
    [strict] = reg.t_6_1_11(advisory)
    assert "not a weakness in any CWE release up to 4.17" in strict.message
    assert reg.t_6_1_11_any_release(advisory) == []  # above the highest id the catalogue knows
    cwe.update(id="CWE-1", name="Location")  # a view, never a weakness: fails both ways
    assert len(reg.t_6_1_11(advisory)) == len(reg.t_6_1_11_any_release(advisory)) == 1
    with pytest.raises(InputError, match="CWE-1 is not a weakness"):
        import_csaf(advisory)
    cwe.update(id="CWE-100", name="Technology-Specific Input Validation Problems")
    [gone] = reg.t_6_1_11(advisory)  # a weakness until CWE 1.5 only
    assert "until CWE 1.5" in gone.message
    assert reg.t_6_1_11_any_release(advisory) == []


def test_names_compare_without_surrounding_blanks(advisory: dict[str, Any]) -> None:
    # as in MITRE's own XML for CWE 4.14 and three real CISA advisories
    name = "Improper Handling of Insufficient Permissions or Privileges "
    advisory["vulnerabilities"][0]["cwe"] = {"id": "CWE-280", "name": name}
    assert reg.t_6_1_11(advisory) == []


def test_missing_catalogue_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reg, "CWE_DATA", "data/cwe/absent.json.xz")
    with pytest.raises(InputError, match="CWE catalogue .* is missing or damaged"):
        reg.cwe_catalogue.__wrapped__()


def test_unreadable_subtag_registry_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def absent(name: str) -> Any:
        raise FileNotFoundError(f"no {name}.json")

    monkeypatch.setattr(reg.language_tags_data, "get", absent)
    with pytest.raises(InputError, match="language subtag registry .* unreadable"):
        reg.subtag_registry.__wrapped__()


def test_every_cisa_advisory_passes_6_1_11_and_6_1_12_strictly(shared_data: Path) -> None:
    docs = cwes = 0
    blanks: list[str] = []
    langs: Counter[str | None] = Counter()
    for name, doc in cisa_advisories(shared_data):
        docs += 1
        assert reg.t_6_1_11(doc) == [] and reg.t_6_1_12(doc) == [], name
        langs[doc["document"].get("lang")] += 1
        for vuln in doc.get("vulnerabilities", []):
            if "cwe" in vuln:
                cwes += 1
                if vuln["cwe"]["name"] != vuln["cwe"]["name"].strip():
                    blanks.append(doc["document"]["tracking"]["id"])
    assert docs == 2383 and cwes == 7916
    assert blanks == ["ICSA-19-099-04", "ICSA-21-068-10", "ICSA-21-259-01"]
    assert langs == {"en-US": 2177, "en": 202, None: 4}
