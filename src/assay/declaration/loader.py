"""Load and validate a manufacturer's declaration (YAML or JSON) against its JSON Schema.

``load(path)`` returns the declaration as a plain JSON-ready dict (dates as ISO strings) or
raises ``InputError`` naming the first bad field. ``check(path)`` lists every problem, one
line each, naming the field path and what to do. When ``vulnerability_disclosure.security_txt``
names a security.txt file, its fields fill the disclosure section and what is wrong with it
(for example a missing or passed ``Expires``) is kept under ``_security_txt.problems``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from assay.declaration.securitytxt import SecurityTxt, parse_security_txt
from assay.errors import InputError
from assay.safeload import load_json, load_yaml, plain, read_file

MAX_BYTES = 1024 * 1024
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
SECURITY_TXT_BYTES = 64 * 1024


@dataclass(frozen=True)
class CheckResult:
    """``errors``: the file is not a valid declaration; ``findings``: it is, but says something
    a reviewer should see (an invalid attached security.txt)."""

    data: dict[str, Any] | None
    errors: tuple[str, ...]
    findings: tuple[str, ...] = ()


@cache
def schema() -> dict[str, Any]:
    text = (resources.files("assay.declaration") / "declaration.schema.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def load(path: str | Path, now: dt.datetime | None = None) -> dict[str, Any]:
    """The validated declaration at ``path`` (raises ``InputError`` when it is not valid)."""
    path = Path(path)
    result = check(path, now)
    if result.errors or result.data is None:
        more = f" (and {len(result.errors) - 1} more)" if len(result.errors) > 1 else ""
        raise InputError(
            f"declaration {path.name}: {result.errors[0]}{more}",
            hint=f"run `assay declaration check {path}` to list every problem",
        )
    return result.data


def check(path: str | Path, now: dt.datetime | None = None) -> CheckResult:
    """Every problem with the declaration at ``path``, one line each."""
    path = Path(path)
    data = _read(path)
    errors = validate(data)
    if errors:
        return CheckResult(None, tuple(errors))
    findings: list[str] = []
    disclosure = data.get("vulnerability_disclosure") or {}
    txt_path = disclosure.get("security_txt")
    if txt_path:
        target = (path.parent / str(txt_path)).resolve()
        try:
            raw = read_file(target, str(txt_path), max_bytes=SECURITY_TXT_BYTES)
        except InputError as err:
            why = err.message.removeprefix(str(txt_path)).strip()
            msg = f"vulnerability_disclosure.security_txt: cannot read {txt_path} ({why})"
            return CheckResult(None, (f"{msg}; give a path relative to the declaration",))
        text = raw.decode("utf-8", errors="replace")
        parsed = parse_security_txt(text, now)
        _attach(data, txt_path, parsed)
        findings.extend(one_line(f"security.txt {txt_path}: {p}") for p in parsed.problems)
    return CheckResult(data, (), tuple(findings))


def validate(data: Any) -> list[str]:
    """Schema and catalogue problems of already-parsed declaration data, one line each."""
    validator = Draft202012Validator(schema(), format_checker=FormatChecker())
    errors = sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    out = [_describe(e) for e in errors]
    if not out and isinstance(data, dict):
        out.extend(_unknown_statements(data.get("statements") or {}))
    return list(dict.fromkeys(map(one_line, out)))


def one_line(text: str) -> str:
    """Control characters (a field named "\\n", an ESC sequence) escaped: a problem is one
    line and cannot drive the terminal (found by fuzzing)."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _read(path: Path) -> Any:
    what = f"declaration {path.name}"
    if not path.exists():
        raise InputError(f"declaration {path} does not exist", hint="check the path")
    raw = read_file(path, what, max_bytes=MAX_BYTES)
    hint = "fix the syntax (`assay declaration init` writes a valid template)"
    if path.suffix.lower() == ".json":
        data = load_json(raw, what, hint=hint, max_bytes=MAX_BYTES)
    else:
        data = load_yaml(raw, what, kind="YAML/JSON", hint=hint, max_bytes=MAX_BYTES)
    if not isinstance(data, dict):
        raise InputError(
            f"declaration {path.name} must be a mapping of sections, not {type(data).__name__}",
            hint="start from `assay declaration init`",
        )
    normalised: dict[str, Any] = plain(data)
    return normalised


def _describe(err: ValidationError) -> str:
    path = _dotted(err.absolute_path)
    where = path or "(top level)"
    node: dict[str, Any] = dict(err.schema) if isinstance(err.schema, dict) else {}
    props: dict[str, Any] = node.get("properties") or {}
    hint = node.get("x-hint")
    kind = err.validator
    if kind == "required":
        field = str(err.message).split("'")[1]
        full = f"{path}.{field}" if path else field
        return f"{full}: is required; add it"
    if kind == "additionalProperties":
        allowed = ", ".join(sorted(props))
        instance: Any = err.instance
        extra = [str(x) for x in instance if x not in props]
        full = ", ".join(f"{path}.{x}" if path else x for x in extra)
        return f"{full}: unknown field; check the spelling (allowed here: {allowed})"
    if kind == "propertyNames":
        return f"{where}.{err.instance}: is not {hint or 'an allowed name'}"
    got = _got(err.instance)
    if kind == "type":
        return f"{where}: must be {hint or _article(err.validator_value)} (got {got})"
    if kind in ("enum", "const"):
        value: Any = err.validator_value
        options = list(value) if kind == "enum" else [value]
        expected = hint or "one of " + ", ".join(map(str, options))
        return f"{where}: must be {expected} (got {got})"
    if kind in ("pattern", "format"):
        return f"{where}: must be {hint or err.validator_value} (got {got})"
    if kind == "minimum":
        return (
            f"{where}: must be {hint or 'a number'} of at least {err.validator_value} (got {got})"
        )
    if kind in ("minItems", "minLength"):
        return f"{where}: must not be empty"
    return f"{where}: {err.message}"


def _unknown_statements(statements: dict[str, Any]) -> list[str]:
    from assay.norms.catalog import load_catalog  # lazy: the catalogue is only needed here

    known = {r.uid for r in load_catalog().requirements()}
    return [
        f"statements.{key}: no such requirement; see `assay norms list` for the ids"
        for key in statements
        if key not in known
    ]


def _attach(data: dict[str, Any], txt_path: str, parsed: SecurityTxt) -> None:
    """Fill the disclosure section from the file where it is silent, keeping only values the
    schema accepts (a bare e-mail Contact is recorded, not used); note what is wrong."""
    disclosure = data.setdefault("vulnerability_disclosure", {})
    added = [k for k, v in parsed.to_disclosure().items() if disclosure.setdefault(k, v) is v]
    validator = Draft202012Validator(schema(), format_checker=FormatChecker())
    rejected: set[str] = set()
    for err in validator.iter_errors(data):
        where = list(err.absolute_path)
        if len(where) >= 2 and where[0] == "vulnerability_disclosure" and where[1] in added:
            rejected.add(str(where[1]))
    for key in rejected:
        del disclosure[key]
    data["_security_txt"] = {
        "path": txt_path,
        "signed": parsed.signed,
        "fields": parsed.fields,
        "used": sorted(set(added) - rejected),
        "problems": list(parsed.problems),
        "warnings": list(parsed.warnings),
    }


def _dotted(parts: Any) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _got(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _article(kind: Any) -> str:
    names = {"string": "text", "integer": "a whole number", "boolean": "true or false"}
    names.update({"array": "a list", "object": "a mapping", "number": "a number"})
    return names.get(str(kind), str(kind))
