"""``assay scan TARGET [-o FORMAT[=FILE]]... [--out DIR]``: the main job."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import click
from rich.console import Console

from assay.cli.config import config_option, with_environment
from assay.errors import EXIT_FINDINGS, EXIT_OK, UsageError
from assay.model.assessment import Assessment
from assay.pipeline import ScanOptions, assess
from assay.present import formats, gate
from assay.present.label.words import LANGUAGES
from assay.present.suppression import DEFAULT_IGNORE
from assay.present.text import terminal
from assay.vulns.counts import counting, kev_ids
from assay.vulns.remedy import upgrades


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
    "-o", "--output", "outputs", multiple=True, metavar="FORMAT[=FILE]", help=formats.HELP
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    help="Write the full set here: sbom.cdx.json, assessment.json, report.html, report.md, "
    "label.svg/png/json (default: assay-out, unless -o is given).",
)
@click.option(
    "--declaration",
    type=click.Path(path_type=Path),
    help="The manufacturer's declaration (YAML/JSON, see assay declaration init).",
)
@click.option(
    "--supplier-sbom",
    type=click.Path(path_type=Path),
    help="A supplier's SBOM (CycloneDX, SPDX, manifests: see assay verify) to hold against "
    "the image; the comparison decides the CRA SBOM requirement.",
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
    help="Where to unpack (default: a temporary folder, in /dev/shm when it has room and "
    "TMPDIR is unset; removed afterwards).",
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
    "--lang",
    type=click.Choice(LANGUAGES, case_sensitive=False),
    default="en",
    show_default=True,
    help="Language of the security label's words (label.json keeps its keys).",
)
@click.option("--fail-on", "fail_on", multiple=True, metavar="RULE", help=gate.HELP)
@click.option(
    "--vex",
    "vex_files",
    multiple=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="VEX document (CSAF VEX, OpenVEX, CycloneDX VEX) whose not-affected and fixed "
    "statements suppress matches, the justification kept in the outputs. Repeatable.",
)
@click.option(
    "--ignore",
    "ignore_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help=f"Ignore file: entries id, component, reason, expires (default: {DEFAULT_IGNORE} in "
    "the working directory, when there is one).",
)
@click.option(
    "--sign-key",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="Sign assessment.json (in --out and every -o json) with this scanner key "
    "(from `assay keys generate`).",
)
@click.option("--json", "as_json", is_flag=True, help="Print assessment.json to stdout (-o json).")
@click.option("--no-color", is_flag=True, help="No colours in the terminal table.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
@config_option
@click.pass_context
def command(
    ctx: click.Context,
    target: Path,
    outputs: tuple[str, ...],
    out_dir: Path | None,
    declaration: Path | None,
    supplier_sbom: Path | None,
    store: Path | None,
    work_dir: Path | None,
    keep_work: bool,
    timeout: float,
    max_depth: int,
    max_size: str,
    no_vulns: bool,
    no_checks: bool,
    registry_url: str,
    lang: str,
    fail_on: tuple[str, ...],
    vex_files: tuple[Path, ...],
    ignore_file: Path | None,
    sign_key: Path | None,
    as_json: bool,
    no_color: bool,
    quiet: bool,
) -> None:
    """Scan a firmware image, root-filesystem directory, tar archive, container image
    (docker save, OCI layout) or SBOM (CycloneDX, SPDX): see docs/inputs.md.

    Option defaults come from .assay.yaml (or --config FILE) and ASSAY_* variables: flags
    win over the environment, which wins over the file."""
    rules = gate.parse_rules(fail_on)
    if ignore_file is None and Path(DEFAULT_IGNORE).is_file():
        ignore_file = Path(DEFAULT_IGNORE)
    supplier = None
    if supplier_sbom is not None:  # read first: a bad SBOM stops the scan before it starts
        from assay.supply.declared import load_sbom

        supplier = load_sbom(supplier_sbom)
    wanted = _outputs(outputs, as_json, quiet)
    if out_dir is None and not outputs and not as_json:
        out_dir = Path("assay-out")
    # an output on stdout other than the table on a terminal: keep stderr to errors
    piped = any(o.path is None and o.format != "table" for o in wanted)
    console = Console(stderr=True, quiet=quiet or piped, no_color=no_color)
    temp = None
    if work_dir is None:
        from assay.extract.scratch import make_temp_work_dir

        temp = make_temp_work_dir(_size(max_size))  # in memory when there is room
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
        vex=vex_files,
        ignore=ignore_file,
    )
    try:
        with console.status("scanning", spinner="dots") as status:

            def observe(stage: str, message: str) -> None:
                status.update(f"[bold]{stage}[/]: {terminal(message)}")

            result = assess(target, options, observe)
            assessment = result.assessment
            if supplier is not None:
                from assay.supply.scan import attach

                status.update("comparing the supplier's SBOM with the image")
                attach(assessment, result.rootfs, supplier)
            status.update("writing outputs")
            paths = write_outputs(assessment, out_dir, registry_url, lang) if out_dir else []
            for output in wanted:
                if output.path is not None:
                    paths.extend(formats.write(output, assessment, registry_url, lang))
            if sign_key is not None:
                from assay.present.signing import sign_file

                for path in paths:
                    if path.name == "assessment.json" or _is_json_output(path, wanted):
                        sign_file(path, sign_key)
    finally:
        if temp is not None and not keep_work:
            shutil.rmtree(temp, ignore_errors=True)
    _summary(console, assessment, paths)
    for output in wanted:
        if output.path is None:
            _to_stdout(output, assessment, registry_url, not no_color, sign_key, lang)
    trips = gate.tripped(assessment, rules)
    for line in _trip_lines(trips):
        click.echo(line, err=True)
    ctx.exit(EXIT_FINDINGS if trips else EXIT_OK)


with_environment(command)


def _outputs(specs: tuple[str, ...], as_json: bool, quiet: bool) -> list[formats.Output]:
    """The -o outputs (--json is -o json); the table on a terminal when none is asked for
    (and not --quiet)."""
    wanted = [formats.parse(spec) for spec in specs]
    if as_json:
        wanted.append(formats.Output("json"))
    if not specs and not as_json and not quiet and sys.stdout.isatty():
        wanted.append(formats.Output("table"))
    to_stdout = [str(o) for o in wanted if o.path is None]
    if len(to_stdout) > 1:
        raise UsageError(
            f"-o {' and -o '.join(to_stdout)} would both go to standard output",
            "give all but one a file: -o FORMAT=FILE",
        )
    return wanted


def _is_json_output(path: Path, wanted: list[formats.Output]) -> bool:
    return any(o.format == "json" and o.path == path for o in wanted)


def _to_stdout(
    output: formats.Output,
    assessment: Assessment,
    url: str,
    color: bool,
    key: Path | None,
    lang: str = "en",
) -> None:
    if output.format == "table" and sys.stdout.isatty():
        from assay.present.table import print_tables

        print_tables(Console(no_color=not color, highlight=False), assessment)
        return
    text = formats.render(output, assessment, url, lang)
    if output.format == "json" and key is not None:
        from assay.present.signing import load_private, sign

        text = json.dumps(sign(json.loads(text), load_private(key)), indent=2) + "\n"
    click.echo(text, nl=False)


def _trip_lines(trips: list[gate.Trip]) -> list[str]:
    if not trips:
        return []
    from assay.present.text import clean

    head = f"assay: --fail-on tripped by {len(trips)} item(s):"
    return [head, *(f"  {clean(trip.line())}" for trip in trips)]


def write_outputs(
    assessment: Assessment, out_dir: Path, registry_url: str = "", lang: str = "en"
) -> list[Path]:
    """Write the full set of a scan into ``out_dir``; return their paths."""
    return formats.write_set(assessment, out_dir, registry_url, lang)


def _summary(console: Console, assessment: Assessment, paths: list[Path]) -> None:
    ident = assessment.identity
    what = " ".join(x for x in (ident.vendor, ident.model, ident.hardware_version) if x)
    os_ = " ".join(x for x in (ident.os_name, ident.os_version, ident.os_build) if x)
    title = terminal(f"{what} {os_}".strip())
    console.print(f"[bold]{terminal(assessment.target.path)}[/] {title}".rstrip())
    console.print(f"  components      {len(assessment.components)}")
    vulns = assessment.vulnerabilities
    live, kev = counting(vulns), len(kev_ids(vulns))
    kev_cond = len({v.id for v in vulns if v.kev and v.conditional} - set(kev_ids(vulns)))
    extra = f", {kev_cond} more if a platform condition holds" if kev_cond else ""
    suppressed = sum(bool(v.suppressed) for v in vulns)
    apart = len(vulns) - len(live) - suppressed
    extra += f"; {apart} more do not apply or name no version" if apart else ""
    extra += f"; {suppressed} suppressed by VEX or the ignore file" if suppressed else ""
    console.print(f"  vulnerabilities {len(live)} ({kev} known exploited{extra})")
    names = {c.ref: c.name for c in assessment.components}
    advice = sorted(upgrades(vulns).values(), key=lambda u: -u.fixes)[:3]
    for up in advice:
        console.print(f"    {terminal(up.text(names.get(up.component, up.component)))}")
    data = assessment.facts.get("vulnerability_store") or {}
    if data.get("warning"):
        console.print(f"  [yellow]warning[/]: {terminal(str(data['warning']))}")
    fails = sum(f.verdict == "FAIL" for f in assessment.findings)
    unseen = sum(f.verdict == "INCONCLUSIVE" for f in assessment.findings)
    line = f"  checks failed   {fails} of {len(assessment.findings)}"
    if assessment.target.kind == "sbom":
        line += " (an SBOM has no files: every check is inconclusive)"
    elif unseen:
        line += f" ({unseen} inconclusive)"
    console.print(line)
    supplier = assessment.facts.get("supplier_sbom")
    if isinstance(supplier, dict):
        wrong = ", ".join(f"{n} {k}" for k, n in (supplier.get("counts") or {}).items() if n)
        console.print(
            f"  supplier SBOM   {supplier.get('verdict')}, fidelity {supplier.get('fidelity')}"
            f" ({terminal(wrong or 'no mismatch')})"
        )
    if assessment.problems:
        console.print(f"  problems        {len(assessment.problems)} (see assessment.json)")
    console.print("Outputs:")
    for path in paths:
        console.print(f"  {terminal(path)}")
