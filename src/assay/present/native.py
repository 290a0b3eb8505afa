"""``assessment.json``: the native document, as Assay publishes it.

``Assessment.to_dict()`` is the data as the stages made it; :func:`presentable` is what every
renderer shows: problem and evidence paths relative to the image root, problem messages in one
line without server paths or tracebacks, verdict reasons without server paths, PURLs
percent-encoded, and every string cleaned of control characters and undecodable bytes
(``present.text``), so that nothing that
reads or prints an output can be driven by what the image holds.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

import orjson
from packageurl import PackageURL

from assay.model.assessment import Assessment
from assay.present.text import clean_model, clean_tree, image_path, problem_text

# the last assessment made presentable: a scan renders several outputs of one assessment
_LAST: dict[str, Any] = {}


def _shape(assessment: Assessment) -> tuple[int, ...]:
    return (
        id(assessment),
        len(assessment.components),
        len(assessment.vulnerabilities),
        len(assessment.findings),
        len(assessment.verdicts),
        len(assessment.problems),
    )


def presentable(assessment: Assessment) -> Assessment:
    """A copy of ``assessment`` fit to be shown (see the module docstring). The result for
    the last assessment is kept while its lists keep their lengths, so that the outputs of
    one scan clean it once."""
    if id(_LAST.get("result")) == id(assessment):  # already presentable
        return assessment
    if _LAST.get("shape") == _shape(assessment) and _LAST.get("source") is assessment:
        return cast(Assessment, _LAST["result"])
    result = _presentable(assessment)
    _LAST.update(source=assessment, shape=_shape(assessment), result=result)
    return result


def _presentable(assessment: Assessment) -> Assessment:
    roots = [r for r in assessment.facts.get("rootfs", []) if isinstance(r, str)]
    shown = replace(
        assessment,
        problems=[
            replace(
                p,
                path=image_path(p.path, roots),
                message=problem_text(p.message, roots),
                resolution=problem_text(p.resolution, roots),
            )
            for p in assessment.problems
        ],
        findings=[
            replace(
                f,
                summary=problem_text(f.summary, roots) if "/" in f.summary else f.summary,
                evidence=tuple(replace(e, path=image_path(e.path, roots)) for e in f.evidence),
            )
            for f in assessment.findings
        ],
        verdicts=[
            replace(v, reason=problem_text(v.reason, roots)) if "/" in v.reason else v
            for v in assessment.verdicts
        ],
    )
    return _valid_purls(clean_model(shown))


_PURL_SAFE = re.compile(r"[A-Za-z0-9.\-_~:/@?&=%+]*")


def _valid_purls(assessment: Assessment) -> Assessment:
    """PURLs a catalog built from image strings, percent-encoded as the PURL spec wants (so
    SBOM and VEX documents that require a URI accept them); the matches follow their
    component's new reference."""
    renamed: dict[str, str] = {}
    components = []
    for component in assessment.components:
        purl = component.purl
        if purl and not _PURL_SAFE.fullmatch(purl):
            try:
                fixed = PackageURL.from_string(purl).to_string()
            except ValueError:
                fixed = ""  # not a PURL at all: the component is named by name@version
            old_ref = component.ref
            component = replace(component, purl=fixed)
            renamed[old_ref] = component.ref
        components.append(component)
    if not renamed:
        return assessment
    return replace(
        assessment,
        components=components,
        vulnerabilities=[
            replace(v, component=renamed[v.component]) if v.component in renamed else v
            for v in assessment.vulnerabilities
        ],
    )


def shown(document: dict[str, Any]) -> dict[str, Any]:
    """A stored ``assessment.json`` (a dict, maybe from elsewhere) with every string cleaned."""
    cleaned: dict[str, Any] = clean_tree(document)
    return cleaned


def document(assessment: Assessment) -> dict[str, Any]:
    """The assessment as published. Made once for the outputs of one scan (assessment.json
    and the label read it: ~8 ms for the WR703N), kept while :func:`presentable` keeps its
    result: read it, do not change it."""
    shown = presentable(assessment)
    if _LAST.get("document_of") is not shown or _LAST.get("document_shape") != _shape(shown):
        _LAST.update(document_of=shown, document_shape=_shape(shown), document=shown.to_dict())
    return cast(dict[str, Any], _LAST["document"])


def text(assessment: Assessment) -> str:
    """``assessment.json``'s text."""
    return json_text(document(assessment))


def json_text(data: Any) -> str:
    """:func:`json_bytes` as text."""
    return json_bytes(data).decode("utf-8")


def json_bytes(data: Any) -> bytes:
    """JSON indented by two spaces, in UTF-8, with a final newline; orjson (the standard
    library's encoder is ten times slower once it indents), the standard library for what
    orjson refuses (an integer beyond 64 bits). Bytes, so that a file written from them is
    not decoded and encoded again (~4 ms for the WR703N's assessment.json)."""
    try:  # string keys (orjson's option for other keys makes it twice as slow)
        return orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n"
    except orjson.JSONEncodeError:
        pass
    try:
        return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS) + b"\n"
    except orjson.JSONEncodeError:
        return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def write(assessment: Assessment, out_dir: Path) -> Path:
    """Write ``assessment.json`` into ``out_dir``."""
    path = out_dir / "assessment.json"
    path.write_bytes(json_bytes(document(assessment)))
    return path
