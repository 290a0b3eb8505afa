"""``assay scan TARGET --out DIR``: the main job."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import click
from rich.console import Console

from assay.errors import EXIT_FINDINGS, EXIT_OK, UsageError
from assay.model.assessment import Assessment
from assay.pipeline import ScanOptions, assess
from assay.vulns.counts import counting, kev_ids
from assay.vulns.remedy import upgrades

SEVERITY_ORDER = ["none", "low", "medium", "high", "critical"]


def _size(text: str) -> int:
    units = {"k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}
    value = text.strip().lower().removesuffix("b").removesuffix("i")
    try:
        if value and value[-1] in units:
            return int(float(value[:-1]) * units[value[-1]])
        return int(value)
    except ValueError as err:
        raise UsageError(f"--max-size: cannot read {text!r}", "use e.g. 2G, 500M or bytes") from err


@click.command("scan")
@click.argument("target", type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=Path("assay-out"),
    show_default=True,
    help="Where to write sbom.cdx.json, assessment.json, reports.",
)
@click.option(
    "--declaration",
    type=click.Path(path_type=Path),
    help="The manufacturer's declaration (YAML/JSON, see assay declaration init).",
)
@click.option(
    "--db",
    "store",
    type=click.Path(path_type=Path),
    help="Vulnerability store (default: Assay's store, else the bundled snapshot).",
)
@click.option(
    "--work-dir",
    type=click.Path(path_type=Path),
    help="Where to unpack (default: a temporary folder, removed afterwards).",
)
@click.option("--keep-work", is_flag=True, help="Keep the unpacked files (in --work-dir).")
@click.option("--timeout", default=600.0, show_default=True, help="Seconds for extraction.")
@click.option("--max-depth", default=10, show_default=True, help="Archive nesting depth.")
@click.option("--max-size", default="2G", show_default=True, help="Bytes extracted in all.")
@click.option("--no-vulns", is_flag=True, help="Skip vulnerability matching.")
@click.option("--no-checks", is_flag=True, help="Skip the security-by-default checks.")
@click.option(
    "--registry-url", default="", help="Base URL of the public registry for the label QR code."
)
@click.option(
    "--fail-on",
    type=click.Choice(["none", *SEVERITY_ORDER[1:], "kev"]),
    default="none",
    show_default=True,
    help="Exit 1 if a vulnerability at or above this is found.",
)
@click.option("--json", "as_json", is_flag=True, help="Print assessment.json to stdout.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
@click.pass_context
def command(
    ctx: click.Context,
    target: Path,
    out_dir: Path,
    declaration: Path | None,
    store: Path | None,
    work_dir: Path | None,
    keep_work: bool,
    timeout: float,
    max_depth: int,
    max_size: str,
    no_vulns: bool,
    no_checks: bool,
    registry_url: str,
    fail_on: str,
    as_json: bool,
    quiet: bool,
) -> None:
    """Scan a firmware image, root-filesystem directory or tar archive."""
    console = Console(stderr=True, quiet=quiet or as_json)
    temp = None
    if work_dir is None:
        temp = Path(tempfile.mkdtemp(prefix="assay-"))
        work_dir = temp
    options = ScanOptions(
        work_dir=work_dir,
        timeout=timeout,
        max_depth=max_depth,
        max_size=_size(max_size),
        declaration=declaration,
        store=store,
        match_vulnerabilities=not no_vulns,
        run_checks=not no_checks,
    )
    try:
        with console.status("scanning", spinner="dots") as status:

            def observe(stage: str, message: str) -> None:
                status.update(f"[bold]{stage}[/]: {message}")

            result = assess(target, options, observe)
            assessment = result.assessment
            status.update("writing outputs")
            paths = write_outputs(assessment, out_dir, registry_url)
    finally:
        if temp is not None and not keep_work:
            shutil.rmtree(temp, ignore_errors=True)
    if as_json:
        click.echo(json.dumps(assessment.to_dict(), indent=2))
    else:
        _summary(console, assessment, paths)
    ctx.exit(EXIT_FINDINGS if _fails(assessment, fail_on) else EXIT_OK)


def write_outputs(assessment: Assessment, out_dir: Path, registry_url: str = "") -> list[Path]:
    """Write every output of a scan into ``out_dir``; return their paths."""
    from assay.present import cyclonedx
    from assay.present.label import write_label
    from assay.present.report import write_reports

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [cyclonedx.write(assessment, out_dir)]
    native = out_dir / "assessment.json"
    native.write_text(json.dumps(assessment.to_dict(), indent=2) + "\n")
    paths.append(native)
    paths.extend(write_reports(assessment, out_dir))
    paths.extend(write_label(assessment, out_dir, registry_url))
    return paths


def _fails(assessment: Assessment, fail_on: str) -> bool:
    if fail_on == "none":
        return False
    if fail_on == "kev":
        return bool(kev_ids(assessment.vulnerabilities))
    floor = SEVERITY_ORDER.index(fail_on)
    return any(
        v.severity in SEVERITY_ORDER and SEVERITY_ORDER.index(v.severity) >= floor
        for v in counting(assessment.vulnerabilities)
    )


def _summary(console: Console, assessment: Assessment, paths: list[Path]) -> None:
    ident = assessment.identity
    what = " ".join(x for x in (ident.vendor, ident.model, ident.hardware_version) if x)
    os_ = " ".join(x for x in (ident.os_name, ident.os_version, ident.os_build) if x)
    console.print(f"[bold]{assessment.target.path}[/] {what} {os_}".rstrip())
    console.print(f"  components      {len(assessment.components)}")
    vulns = assessment.vulnerabilities
    live, kev = counting(vulns), len(kev_ids(vulns))
    kev_cond = len({v.id for v in vulns if v.kev and v.conditional} - set(kev_ids(vulns)))
    extra = f", {kev_cond} more if a platform condition holds" if kev_cond else ""
    apart = len(vulns) - len(live)
    extra += f"; {apart} more do not apply or name no version" if apart else ""
    console.print(f"  vulnerabilities {len(live)} ({kev} known exploited{extra})")
    names = {c.ref: c.name for c in assessment.components}
    advice = sorted(upgrades(vulns).values(), key=lambda u: -u.fixes)[:3]
    for up in advice:
        console.print(f"    {up.text(names.get(up.component, up.component))}")
    data = assessment.facts.get("vulnerability_store") or {}
    if data.get("warning"):
        console.print(f"  [yellow]warning[/]: {data['warning']}")
    fails = sum(f.verdict == "FAIL" for f in assessment.findings)
    console.print(f"  checks failed   {fails} of {len(assessment.findings)}")
    if assessment.problems:
        console.print(f"  problems        {len(assessment.problems)} (see assessment.json)")
    console.print("Outputs:")
    for path in paths:
        console.print(f"  {path}")
