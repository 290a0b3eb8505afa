"""Validate a CSAF 2.0 document: the JSON schema, then the mandatory tests Assay implements."""

from __future__ import annotations

from typing import Any

from assay.errors import InputError
from assay.present.vex.csaf_rules import PRODUCT_TESTS, RuleFailure, Test
from assay.present.vex.csaf_rules_cvss import CVSS_TESTS
from assay.present.vex.csaf_rules_profiles import PROFILE_TESTS
from assay.present.vex.csaf_rules_registries import LENIENT_REGISTRY_TESTS, REGISTRY_TESTS
from assay.present.vex.csaf_rules_tracking import TRACKING_TESTS
from assay.present.vex.schemas import csaf_validator, schema_errors

MANDATORY_TESTS: dict[str, Test] = {
    **PRODUCT_TESTS,
    **TRACKING_TESTS,
    **PROFILE_TESTS,
    **CVSS_TESTS,
    **REGISTRY_TESTS,
}


def mandatory_failures(doc: dict[str, Any], *, lenient: bool = False) -> list[RuleFailure]:
    """Run every implemented mandatory test (on a document that passed the schema).

    ``lenient`` accepts a CWE name from any CWE release, and a CWE id newer than the bundled
    catalogue, instead of the newest release's (see ``csaf_rules_registries``)."""
    tests = {**MANDATORY_TESTS, **LENIENT_REGISTRY_TESTS} if lenient else MANDATORY_TESTS
    out: list[RuleFailure] = []
    for test in tests.values():
        out.extend(test(doc))
    return out


def csaf_problems(doc: Any) -> list[str]:
    """Every problem found, one line each: schema violations first, then failed tests."""
    errors = schema_errors(csaf_validator(), doc)
    if errors:
        return errors
    return [str(f) for f in mandatory_failures(doc)]


def check_csaf(doc: Any, what: str = "CSAF document", *, lenient: bool = True) -> None:
    """Raise ``InputError`` with the first problem's JSON path when ``doc`` is not valid CSAF.

    ``lenient`` (the default, for importing others' documents) lets a CWE name of an earlier
    CWE release through; ``csaf_problems`` (``assay vex validate``) always reports it."""
    errors = schema_errors(csaf_validator(), doc)
    problems = errors or [str(f) for f in mandatory_failures(doc, lenient=lenient)]
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise InputError(
            f"{what} is not valid CSAF 2.0: {problems[0]}{more}",
            hint="fix that field; `assay vex validate FILE` lists every problem",
        )
