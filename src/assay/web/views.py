"""What the pages and the API show about a product, derived from the stored records."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

from assay.errors import AssayError
from assay.present.label import Label, build_label
from assay.present.label import declaration as decl
from assay.registry import ProductDetail
from assay.web.feeds import KevLookup, refreshed

PLAIN = {
    "PASS": "met",
    "FAIL": "not met",
    "NOT_APPLICABLE": "not applicable",
    "INCONCLUSIVE": "undecided from the firmware",
    "NEEDS_DECLARATION": "awaiting the manufacturer's declaration",
    "NEEDS_LAB": "awaiting a lab test",
}
ORDER = ["FAIL", "PASS", "NEEDS_DECLARATION", "NEEDS_LAB", "INCONCLUSIVE", "NOT_APPLICABLE"]


@dataclass(frozen=True)
class NormView:
    norm: str
    counts: list[tuple[str, int]]  # (plain words, count) in ORDER
    sentence: str
    failed: list[dict[str, Any]]
    verdicts: list[dict[str, Any]]


def label_for(
    detail: ProductDetail, page_url: str, kev: KevLookup | None = None
) -> tuple[Label | None, bool]:
    """The label of the latest assessment, re-dated today (EXPIRED is recomputed) and with
    known-exploited flags from the current feeds; and whether the feeds could be checked."""
    if detail.latest is None:
        return None, False
    document = dict(detail.latest.summary)  # provenance comes from the registry, not from it
    if detail.declaration is not None and not document.get("declaration"):
        document["declaration"] = detail.declaration
    checked = False
    if kev is not None:
        document, checked = refreshed(document, kev)
    latest = detail.latest
    maker = latest.manufacturer or detail.summary.manufacturer
    asserted = maker if latest.self_asserted else None
    return build_label(document, page_url, datetime.now(UTC).date(), asserted), checked


def norms_view(document: dict[str, Any]) -> list[NormView]:
    """Verdicts grouped per norm, with one plain sentence each."""
    by_norm: dict[str, list[dict[str, Any]]] = {}
    for verdict in document.get("verdicts") or []:
        if isinstance(verdict, dict):
            by_norm.setdefault(str(verdict.get("norm") or "unknown norm"), []).append(verdict)
    views = []
    for norm, verdicts in sorted(by_norm.items(), key=lambda kv: (norm_order(kv[0]), kv[0])):
        counts = Counter(str(v.get("verdict") or "") for v in verdicts)
        ordered = [(PLAIN.get(k, k.lower()), counts[k]) for k in ORDER if counts.get(k)]
        ordered += [(k.lower(), n) for k, n in counts.items() if k not in ORDER]
        total = len(verdicts)
        sentence = (
            f"Of {total} requirements, {counts.get('PASS', 0)} are met and "
            f"{counts.get('FAIL', 0)} are not met; the rest need more evidence or do not apply."
        )
        failed = [v for v in verdicts if v.get("verdict") == "FAIL"]
        views.append(NormView(norm_name(norm), ordered, sentence, failed, verdicts))
    return views


def safe_link(value: str) -> str:
    """``value`` when it is an http(s) or mailto link, else "" (never a javascript: URL)."""
    parsed = urlparse(value.strip())
    if parsed.scheme in ("https", "http") and parsed.netloc:
        return value.strip()
    if parsed.scheme == "mailto" and parsed.path:
        return value.strip()
    if "@" in value and " " not in value.strip() and ":" not in value:
        return f"mailto:{value.strip()}"
    return ""


def disclosure(declaration: dict[str, Any] | None) -> list[tuple[str, str, str]]:
    """(what, text, safe link) rows telling how to report a vulnerability."""
    rows = []
    for fact, what in (("disclosure_contact", "Contact"), ("disclosure_policy", "Policy")):
        value = decl.lookup(declaration, fact)
        items = value if isinstance(value, list) else [value]
        rows += [
            (what, str(item).strip(), safe_link(str(item)))
            for item in items
            if isinstance(item, str | int) and str(item).strip()
        ]
    return rows


def norm_name(key: str) -> str:
    """The norm's full name from the norms catalogue ("en303645" -> "ETSI EN 303 645")."""
    try:
        from assay.norms.catalog import load_catalog

        name: str = load_catalog().norm(key).name
        return name
    except (ImportError, KeyError, AssayError):
        return key


def norm_order(key: str) -> int:
    try:
        from assay.norms.catalog import load_catalog

        return [n.key for n in load_catalog().norms].index(key)
    except (ImportError, ValueError, AssayError):
        return 1000


_CONTROLS = dict.fromkeys([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F], None)
_CONTROLS.update(dict.fromkeys(range(0x80, 0xA0), None))


def visible(value: Any) -> Any:
    """A value for a page: strings lose C0/C1 control characters (ESC, NUL, BEL... from an
    image's files), tabs and line breaks stay; Markup stays Markup; other values as they are."""
    if isinstance(value, str):
        if value.isprintable():  # no control character (the common case, ~10x quicker)
            return value
        cleaned = value.translate(_CONTROLS)
        return type(value)(cleaned) if type(value) is not str else cleaned
    return value


def short(value: Any, limit: int = 220) -> str:
    """One line of at most ``limit`` characters (the developer report keeps the full text)."""
    text = " ".join(str(value or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def days_left(label: Label) -> int | None:
    if label.support_until is None:
        return None
    return (label.support_until - label.today).days
