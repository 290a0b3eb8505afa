"""Render the report view with Jinja2 (HTML autoescaped; Markdown with its own escaping)."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from assay.errors import AssayError
from assay.model.assessment import Assessment
from assay.norms import evaluate
from assay.present.native import presentable
from assay.present.report.view import build
from assay.present.text import clean

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|#])")


def write_reports(assessment: Assessment, out_dir: str | Path) -> list[Path]:
    """Write ``report.html`` and ``report.md`` into ``out_dir``; return their paths.

    When the assessment has no verdicts yet, they are evaluated here (the assessment itself is
    not changed).
    """
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        html_path, md_path = out / "report.html", out / "report.md"
        view = _view(assessment)  # built once for both
        html_path.write_text(_html(view), encoding="utf-8")
        md_path.write_text(_markdown(view), encoding="utf-8")
    except OSError as err:
        raise AssayError(
            f"cannot write the report to {out}: {err.strerror}", hint="check --out"
        ) from None
    return [html_path, md_path]


def render_html(assessment: Assessment) -> str:
    return _html(_view(assessment))


def render_markdown(assessment: Assessment) -> str:
    return _markdown(_view(assessment))


def _html(view: dict[str, Any]) -> str:
    css = (resources.files("assay.present.report") / "report.css").read_text("utf-8")
    return _env().get_template("report.html.j2").render(css=Markup(css), **view)


def _markdown(view: dict[str, Any]) -> str:
    text = _md_env().get_template("report.md.j2").render(**view)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def _view(assessment: Assessment) -> dict[str, Any]:
    if not assessment.verdicts:
        from dataclasses import replace

        assessment = replace(assessment, verdicts=evaluate(assessment))
    return build(presentable(assessment))


@cache
def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("assay.present.report", "templates"),
        autoescape=select_autoescape(["html", "html.j2"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_finalize,
    )
    env.filters["anchor"] = anchor
    return env


@cache
def _md_env() -> Environment:
    env = Environment(
        loader=PackageLoader("assay.present.report", "templates"),
        autoescape=False,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_finalize,
    )
    env.filters["md"] = md_escape
    env.filters["mdcode"] = md_code
    env.filters["mdevidence"] = _md_evidence
    env.filters["mdwhy"] = _md_why
    env.filters["mdmeta"] = _md_meta
    return env


def _finalize(value: Any) -> Any:
    """Every string a template prints is cleaned of control characters first (our own
    markup, the inlined CSS, stays as it is)."""
    if isinstance(value, Markup):
        return value
    return clean(value, multiline=True) if isinstance(value, str) else value


def _md_evidence(e: dict[str, Any]) -> str:
    parts = []
    if e.get("path"):
        line = f":{e['line']}" if e.get("line") else ""
        parts.append(f"`{md_code(e['path'])}{line}`")
    if e.get("note"):
        parts.append(md_escape(e["note"]))
    text = " ".join(parts)
    if e.get("excerpt"):
        text += f": `{md_code(e['excerpt'])}`"
    return text


def _md_why(row: Any) -> str:
    text = md_escape(row.reason)
    if row.missing and row.verdict != "PASS":
        text += " (missing: " + md_escape("; ".join(row.missing)) + ")"
    return text


def _md_meta(product: dict[str, str]) -> str:
    bits = [
        product.get("manufacturer", ""),
        f"model {product['model']}" if product.get("model") else "",
        f"firmware {product['firmware']}" if product.get("firmware") else "",
    ]
    return "".join(f"{md_escape(b)} · " for b in bits if b)


def anchor(uid: str) -> str:
    """An HTML id for a requirement uid (``cra:I(2)(a)`` -> ``req-cra-I-2-a``)."""
    return "req-" + re.sub(r"[^A-Za-z0-9.-]+", "-", uid).strip("-")


def md_escape(value: Any) -> str:
    """Text safe inside Markdown (and table cells): no markup, no HTML, one line."""
    text = " ".join(clean(value).split())
    return _MD_SPECIAL.sub(r"\\\1", text)


def md_code(value: Any) -> str:
    """Text safe inside a single-backtick code span, on one line."""
    return " ".join(clean(value).split()).replace("`", "'")
