"""Render the list of checks as Markdown (``docs/checks.md`` is this output, kept in sync by a
test): ``python -m assay.checks.docs > docs/checks.md``."""

from __future__ import annotations

from importlib import resources

from assay.checks.interface import CheckInfo, load_metadata

HEADER = """# Security-by-default checks

Generated from `src/assay/checks/data/checks.yaml` by `python -m assay.checks.docs`;
do not edit by hand. Check ids are stable: the norms catalogue refers to them.

`assay scan` runs them all (findings go to `assessment.json` and the reports);
`assay checks list`, `assay checks show ID` and `assay checks run ROOTFS_DIR...` work on their
own. From Python: `assay.checks.run_checks(rootfs_list, assessment) -> list[Finding]`.

Each check runs on every root filesystem of the image and returns one finding with a verdict:

- **PASS**: looked, found nothing wrong (a static pass: "no violation found in the image");
- **FAIL**: found the problem; the evidence says where (image path, line, excerpt);
- **NOT_APPLICABLE**: the image has nothing the check is about (e.g. no SSH server);
- **INCONCLUSIVE**: could not decide from the image alone (or the check itself failed; the
  summary says why).

Requirement refs: `EN303645:<provision>` (ETSI EN 303 645), `CRA:I.2.<letter>` (EU Cyber
Resilience Act Annex I part I point 2) and `CRA:II.<n>` (part II), `PSTI:<n>` (UK PSTI
regulations, Schedule 1 paragraph n).
"""


def render_markdown(infos: list[CheckInfo]) -> str:
    intro = resources.files("assay.checks").joinpath("data/checks-intro.md").read_text("utf-8")
    lines = [HEADER, intro, "| id | title | severity | serves |", "|---|---|---|---|"]
    for info in infos:
        serves = ", ".join(info.serves)
        link = f"[`{info.id}`](#{_anchor(info.id)})"
        lines.append(f"| {link} | {info.title} | {info.severity} | {serves} |")
    for info in infos:
        lines += ["", f"## {info.id}", "", f"**{info.title}** — severity {info.severity}", ""]
        lines += [f"Serves: {', '.join(info.serves)}", "", info.rationale, "", "How to fix:", ""]
        lines += [f"- {step}" for step in info.fix.splitlines() if step.strip()]
    return "\n".join(lines) + "\n"


def _anchor(check_id: str) -> str:
    return check_id.replace(".", "")


def main() -> None:
    print(render_markdown(list(load_metadata().values())), end="")


if __name__ == "__main__":
    main()
