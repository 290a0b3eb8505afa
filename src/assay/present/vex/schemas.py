"""Load the official schemas in ``schema/`` and validate documents against them.

A document that fails is rejected with one line naming the JSON path of the offending field.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from assay.errors import InputError

CVSS_URLS = {
    "cvss-v2.0.json": "https://www.first.org/cvss/cvss-v2.0.json",
    "cvss-v3.0.json": "https://www.first.org/cvss/cvss-v3.0.json",
    "cvss-v3.1.json": "https://www.first.org/cvss/cvss-v3.1.json",
}


def schema_dir() -> Path:
    """The folder of the official CSAF, CVSS and OpenVEX schemas shipped with the package
    (``ASSAY_SCHEMA_DIR`` overrides it)."""
    env = os.environ.get("ASSAY_SCHEMA_DIR")
    folder = Path(env) if env else Path(__file__).resolve().parent / "data"
    if not (folder / "csaf" / "csaf_json_schema.json").is_file():
        raise InputError(
            f"the CSAF and OpenVEX schemas are missing from {folder}",
            hint="reinstall Assay, or point ASSAY_SCHEMA_DIR at a folder holding them",
        )
    return folder


def _load(rel: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((schema_dir() / rel).read_text(encoding="utf-8"))
    return data


_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s\x00-\x1f\x7f<>\"{}|\\^`]*$")
_IRI_REFERENCE = re.compile(r"^[^\s\x00-\x1f\x7f<>\"{}|\\^`]*$")


def fast_formats(base: jsonschema.FormatChecker) -> jsonschema.FormatChecker:
    """``base`` with IRI checks that run in microseconds: a scheme and no character an IRI
    may not hold. (The full RFC 3987 grammar check of jsonschema takes ~80 ms per value:
    minutes for a VEX document of 10,000 statements.)"""
    checker = jsonschema.FormatChecker()
    checker.checkers = dict(base.checkers)
    checker.checkers["iri"] = (lambda v: not isinstance(v, str) or bool(_IRI.match(v)), ())
    checker.checkers["iri-reference"] = (
        lambda v: not isinstance(v, str) or bool(_IRI_REFERENCE.match(v)),
        (),
    )
    return checker


@cache
def csaf_validator() -> jsonschema.protocols.Validator:
    """A validator for CSAF 2.0 with the CVSS schemas resolved offline."""
    registry: Registry[Any] = Registry()
    for name, url in CVSS_URLS.items():
        resource = Resource.from_contents(_load(f"cvss/{name}"), default_specification=DRAFT202012)
        registry = registry.with_resource(url, resource)
    schema = _load("csaf/csaf_json_schema.json")
    cls = jsonschema.validators.validator_for(schema)
    validator: jsonschema.protocols.Validator = cls(
        schema, registry=registry, format_checker=cls.FORMAT_CHECKER
    )
    return validator


@cache
def openvex_validator() -> jsonschema.protocols.Validator:
    """A validator for OpenVEX 0.2.0, except the uniqueness of statements (jsonschema checks
    ``uniqueItems`` pairwise, minutes for 10,000 statements): ``openvex_errors`` checks it."""
    schema = _load("openvex/openvex_json_schema.json")
    schema["properties"]["statements"].pop("uniqueItems", None)
    cls = jsonschema.validators.validator_for(schema)
    validator: jsonschema.protocols.Validator = cls(
        schema, format_checker=fast_formats(cls.FORMAT_CHECKER)
    )
    return validator


Tolerate = Callable[[jsonschema.ValidationError], bool]


def schema_errors(
    validator: jsonschema.protocols.Validator, doc: Any, tolerate: Tolerate | None = None
) -> list[str]:
    """Every schema violation as ``$.json.path: message`` (deepest, most specific first).

    ``tolerate`` returns True for violations a reader chooses to accept (e.g. unknown fields).
    """
    out = []
    for err in sorted(validator.iter_errors(doc), key=lambda e: (-len(e.path), e.json_path)):
        if tolerate is not None and tolerate(err):
            continue
        best = _innermost(err)
        out.append(f"{best.json_path}: {_short(best.message)}")
    return out


def openvex_errors(doc: Any, tolerate: Tolerate | None = None) -> list[str]:
    """OpenVEX schema violations, with duplicate statements found by hashing."""
    errors = schema_errors(openvex_validator(), doc, tolerate)
    statements = doc.get("statements") if isinstance(doc, dict) else None
    seen: dict[str, int] = {}
    for i, statement in enumerate(statements if isinstance(statements, list) else []):
        key = json.dumps(statement, sort_keys=True)
        if key in seen:
            errors.append(f"$.statements[{i}]: repeats $.statements[{seen[key]}]")
        seen.setdefault(key, i)
    return errors


def check_openvex(doc: Any, what: str, tolerate: Tolerate | None = None) -> None:
    """Raise ``InputError`` naming the first offending field when ``doc`` is not OpenVEX."""
    _raise(openvex_errors(doc, tolerate), what)


def check_schema(
    validator: jsonschema.protocols.Validator,
    doc: Any,
    what: str,
    tolerate: Tolerate | None = None,
) -> None:
    """Raise ``InputError`` naming the first offending field when ``doc`` is invalid."""
    _raise(schema_errors(validator, doc, tolerate), what)


def _raise(errors: list[str], what: str) -> None:
    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise InputError(
            f"{what} is not valid: {errors[0]}{more}",
            hint="fix that field; `assay vex validate FILE` lists every problem",
        )


def _innermost(err: jsonschema.ValidationError) -> jsonschema.ValidationError:
    """Follow ``oneOf``/``anyOf`` failures down to the branch the document most likely meant.

    The likely branch is the one with the fewest errors, preferring branches whose errors are
    not ``enum``/``const`` mismatches (those mark a branch the document did not aim at).
    """
    while err.context:
        branches: dict[Any, list[jsonschema.ValidationError]] = {}
        for sub in err.context:
            key = sub.relative_schema_path[0] if sub.relative_schema_path else None
            branches.setdefault(key, []).append(sub)
        chosen = min(
            branches.values(),
            key=lambda errs: (
                len(errs),
                sum(e.validator in ("enum", "const") for e in errs),
                -max(len(e.path) for e in errs),
            ),
        )
        err = jsonschema.exceptions.best_match(chosen) or chosen[0]
    return err


def _short(message: str, limit: int = 160) -> str:
    message = " ".join(message.split())
    return message if len(message) <= limit else message[: limit - 1] + "…"
