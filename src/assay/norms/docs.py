"""Render the norms catalogue as Markdown (``docs/norms.md`` is this output, kept in sync by a
test): ``python -m assay.norms.docs > docs/norms.md``."""

from __future__ import annotations

from assay.norms.catalog import Catalog, Requirement, load_catalog
from assay.norms.expr import LEAF_KINDS, render

HEADER = """# Norms catalogue

Generated from `src/assay/norms/data/*.yaml` by `python -m assay.norms.docs`; do not edit by
hand. Summaries and guidance are Assay's own paraphrases, never the norms' text: follow the
source link of each norm for the wording that binds.

## How a verdict is reached

`assay.norms.evaluate(assessment)` gives **every** requirement below a verdict:

| verdict | meaning |
|---|---|
| PASS | every deciding input was present and good (from the image alone: "no violation found") |
| FAIL | a check, a vulnerability match, a declared fact or the maker's statement says no |
| NOT_APPLICABLE | its condition does not hold (e.g. no telemetry), or a statement says so |
| NEEDS_DECLARATION | the deciding input is a declaration field or statement that is missing |
| NEEDS_LAB | only a test of the running device (network or lab) can decide |
| INCONCLUSIVE | a deciding check or data source did not run or could not decide |

`decided_by` (and `applies_if`) are trees of `all_of` / `any_of` over leaves. They **fail
closed**: a leaf without evidence is never a pass; `all_of` passes only if every child passes
(NOT_APPLICABLE children are neutral); `any_of` passes if one child passes, fails only if every
child fails, and otherwise reports its first undecided child. An empty combinator is refused
when the data is loaded. A manufacturer's statement `not-met` makes its requirement FAIL; a
`not-applicable` statement on a mandatory requirement is INCONCLUSIVE (only conditional or
recommended ones may be declared not applicable).

A check that could not see what it needs (nothing unpacked, start-up inside a compiled program,
an unknown hash scheme; see docs/checks.md) says INCONCLUSIVE, never PASS or NOT_APPLICABLE, so
a requirement that rests on it is INCONCLUSIVE or NEEDS_LAB, never PASS
(`tests/unit/norms/test_norms_absence.py`: an image with one unpacked file passes nothing).

Leaves:

"""


def render_markdown(catalog: Catalog) -> str:
    lines = [HEADER.rstrip("\n"), ""]
    lines += [f"- `{kind}`: {meaning}" for kind, meaning in LEAF_KINDS.items()]
    lines += [
        "",
        "Requirement ids are `norm:id` (as in `assay norms show` and declaration statements).",
        "",
    ]
    lines += [
        "## Coverage",
        "",
        "| norm | requirements | firmware | SBOM | declaration | network | lab |",
    ]
    lines.append("|---|---|---|---|---|---|---|")
    for norm in catalog.norms:
        by_main = [r.verify[0] for r in norm.requirements]
        counts = " | ".join(
            str(by_main.count(m)) for m in ("firmware", "sbom", "declaration", "network", "lab")
        )
        lines.append(f"| {norm.name} | {len(norm.requirements)} | {counts} |")
    lines += ["", "(Counted by each requirement's main verification method.)", ""]
    for norm in catalog.norms:
        lines += [f"## {norm.name}", "", f"{norm.version}. Source: <{norm.url}>", ""]
        if norm.description:
            lines += [norm.description, ""]
        if norm.conditions:
            conds = "; ".join(f"({k}) {v}" for k, v in norm.conditions)
            lines += [f"Conditions of V2.1.1 Annex B: {conds}.", ""]
        for req in norm.requirements:
            lines += _requirement(req, catalog)
    return "\n".join(lines).rstrip() + "\n"


def _requirement(req: Requirement, catalog: Catalog) -> list[str]:
    status = req.status + (f" ({req.strength} when it applies)" if req.strength else "")
    out = [f"### `{req.uid}` {req.title}", "", req.summary, "", f"- status: {status}"]
    if req.v2_status or req.v3_status:
        ids = f" as {', '.join(req.v3_ids)}" if req.v3_ids else ""
        out.append(f"- EN 303 645 status: V2.1.1 `{req.v2_status}`, V3.1.3 `{req.v3_status}`{ids}")
    out.append(f"- verified by: {', '.join(req.verify)}")
    if req.applies_if is not None:
        out.append(f"- applies if: `{render(req.applies_if)}`")
    out.append(f"- decided by: `{render(req.decided_by)}`")
    related = catalog.related(req.uid)
    if related:
        out.append(f"- crosswalk: {', '.join(f'`{r}`' for r in related)}")
    if req.note:
        out.append(f"- note: {req.note}")
    out += ["", f"**How to meet it.** {req.guidance}", ""]
    return out


if __name__ == "__main__":
    print(render_markdown(load_catalog()), end="")
