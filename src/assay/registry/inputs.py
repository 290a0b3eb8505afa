"""Read what users hand the registry: declarations (YAML/JSON) and assessment documents."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assay.errors import InputError
from assay.present.label import check_assessment
from assay.safeload import load_json, load_yaml, plain

MAX_DECLARATION = 1024 * 1024
MAX_ASSESSMENT = 256 * 1024 * 1024  # the upload limit is lower; this bounds files read directly
ASSESSMENT_DEPTH = 128


def parse_declaration(data: bytes, name: str) -> dict[str, Any]:
    """A declaration from YAML or JSON bytes, validated against the schema when it exists."""
    if len(data) > MAX_DECLARATION:
        raise InputError(f"{name}: declaration larger than 1 MiB", "a declaration is a short file")
    content = load_yaml(
        data,
        name,
        kind="YAML or JSON",
        hint="fix the declaration (see `assay declaration init`)",
        max_bytes=MAX_DECLARATION,
    )
    if not isinstance(content, dict):
        raise InputError(
            f"{name}: a declaration must be a mapping of fields, not {type(content).__name__}",
            "start from `assay declaration init`",
        )
    document: dict[str, Any] = plain(content)  # YAML dates -> text
    check_declaration(document, name)
    return document


def check_declaration(content: Any, name: str) -> None:
    """Raise InputError unless ``content`` passes the declaration schema of
    ``assay.declaration`` (the same check for an uploaded file and one inside an assessment)."""
    from assay.declaration.loader import validate

    if not isinstance(content, dict):
        raise InputError(f"declaration {name}: not a mapping of fields", "scan again")
    problems = validate(content)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise InputError(
            f"declaration {name}: {problems[0]}{more}",
            "run `assay declaration check FILE` to list every problem",
        )


def load_declaration(path: Path) -> dict[str, Any]:
    """The declaration at ``path``, read by ``assay.declaration`` (which also reads an attached
    security.txt) when it is installed."""
    try:
        from assay.declaration.loader import load
    except ImportError:
        try:
            data = path.read_bytes()
        except OSError as err:
            raise InputError(
                f"{path}: cannot read the declaration ({err.strerror})", "check the path"
            ) from err
        return parse_declaration(data, path.name)
    if not path.is_file():
        raise InputError(f"{path}: no such declaration file", "check the path")
    return load(path)


def parse_assessment(data: bytes, name: str) -> dict[str, Any]:
    """An ``assessment.json`` from bytes, checked to look like ``Assessment.to_dict()``."""
    try:
        document = load_json(data, name, max_bytes=MAX_ASSESSMENT, max_depth=ASSESSMENT_DEPTH)
    except InputError as err:
        raise InputError(
            f"{name}: not a JSON assessment ({err.message.removeprefix(name).strip()})",
            "give the assessment.json of a scan",
        ) from None
    check_assessment(document, name)
    return document  # type: ignore[no-any-return]


def looks_like_json(data: bytes) -> bool:
    return data[:64].lstrip()[:1] == b"{"
