"""``assay verify TARGET``: hold the supplier's claims (SBOM, signatures, provenance) against
the firmware itself, and judge them by a policy.

Exit codes: 0 every claim holds (and the policy passes); 1 a claim or a policy rule failed or
could not be confirmed; 2-7 as for every command (see assay.errors).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from assay.errors import EXIT_FINDINGS, EXIT_OK, InputError, UsageError


@click.command("verify")
@click.argument("target", type=click.Path(path_type=Path))
@click.option("--sbom", type=click.Path(path_type=Path), help="The supplier's SBOM to check.")
@click.option("--policy", type=click.Path(path_type=Path), help="A policy file (YAML) to judge by.")
@click.option(
    "--attestation",
    "attestations",
    multiple=True,
    type=click.Path(path_type=Path),
    help="SLSA provenance, Sigstore bundle or in-toto layout to verify (repeatable).",
)
@click.option(
    "--trusted-root",
    type=click.Path(path_type=Path),
    help="Sigstore trusted_root.json for offline bundle verification.",
)
@click.option(
    "--key",
    "keys",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Public key: PEM for in-toto layouts and DSSE provenance, usign or an OpenPGP keyring "
    "(Debian) for --package-index (repeatable).",
)
@click.option("--links", type=click.Path(path_type=Path), help="Folder of in-toto link files.")
@click.option(
    "--package-index",
    "package_indexes",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Signed package index to verify (repeatable): opkg Packages (.sig beside it, usign "
    "key via --key) or Debian InRelease/Release (OpenPGP keyring via --key; its Packages files "
    "beside it).",
)
@click.option(
    "--deb",
    "debs",
    multiple=True,
    type=click.Path(path_type=Path),
    help=".deb file or folder of them to hold against the verified Debian indexes.",
)
@click.option(
    "--installed-files",
    is_flag=True,
    help="Check the image's files against its own package databases (opkg, dpkg, apk).",
)
@click.option(
    "--run-inspections",
    is_flag=True,
    help="Run the in-toto layout's inspection commands (they execute programs; off by default).",
)
@click.option("--identity", default="", help="Expected Sigstore certificate identity (SAN).")
@click.option("--issuer", default="", help="Expected Sigstore OIDC issuer.")
@click.option(
    "-o",
    "--output",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="Table on the terminal or the JSON evidence document on stdout.",
)
@click.option(
    "--out", "out_file", type=click.Path(path_type=Path), help="Also write the JSON here."
)
@click.option(
    "--into",
    type=click.Path(path_type=Path),
    help="Also store the evidence as the 'supply' section of this assessment.json.",
)
@click.option("--work-dir", type=click.Path(path_type=Path), help="Where to unpack an image.")
@click.pass_context
def command(
    ctx: click.Context,
    target: Path,
    sbom: Path | None,
    policy: Path | None,
    attestations: tuple[Path, ...],
    trusted_root: Path | None,
    keys: tuple[Path, ...],
    links: Path | None,
    run_inspections: bool,
    installed_files: bool,
    package_indexes: tuple[Path, ...],
    debs: tuple[Path, ...],
    identity: str,
    issuer: str,
    output: str,
    out_file: Path | None,
    into: Path | None,
    work_dir: Path | None,
) -> None:
    """Verify a supplier's claims about TARGET (a firmware image, rootfs or assessment.json).

    With --sbom: declared-but-absent, undeclared, version, hash and licence mismatches and the
    SBOM's fidelity. With --attestation: signatures and provenance. With --policy: a pass or
    fail per rule. Exit 0 when everything holds, 1 when something failed or is unconfirmed."""
    from assay.supply import VerifyRequest, verify
    from assay.supply.target import is_assessment

    if not (sbom or policy or attestations or package_indexes or installed_files):
        raise UsageError(
            "nothing to verify", "give --sbom, --attestation, --package-index and/or --policy"
        )
    request = VerifyRequest(
        target=target,
        sbom=sbom,
        policy=policy,
        attestations=list(attestations),
        trusted_root=trusted_root,
        keys=list(keys),
        links=links,
        identity=identity,
        issuer=issuer,
        run_inspections=run_inspections,
        package_indexes=list(package_indexes),
        debs=[d for p in debs for d in (sorted(p.glob("*.deb")) if p.is_dir() else [p])],
        installed_files=installed_files,
        work_dir=work_dir,
    )
    if into is not None and not is_assessment(into):
        raise InputError(f"--into {into}: not an assessment.json", "give one written by assay scan")
    document = verify(request)
    text = json.dumps(document, indent=2)
    if out_file is not None:
        out_file.write_text(text + "\n")
    if into is not None:
        assessment = json.loads(into.read_text())
        assessment["supply"] = {k: v for k, v in document.items() if k != "tool"}
        into.write_text(json.dumps(assessment, indent=2) + "\n")
    if output == "json":
        click.echo(text)
    else:
        _render(Console(soft_wrap=True), document)
    ctx.exit(EXIT_OK if document["passed"] else EXIT_FINDINGS)


def _render(console: Console, doc: dict[str, Any]) -> None:
    target = doc["target"]
    console.print(f"[bold]{target.get('name', '')}[/] sha256 {target.get('sha256', '') or '?'}")
    sbom = doc.get("sbom")
    if sbom:
        fidelity = sbom["fidelity"]
        shown = "n/a" if fidelity is None else f"{fidelity:.1%}"
        console.print(
            f"SBOM {sbom['sbom']['path']} ({sbom['sbom']['format']}): [bold]{sbom['verdict']}[/], "
            f"fidelity {shown} ({sbom['correct']} of {sbom['measured']} measured components "
            "stated correctly)"
        )
        if sbom["mismatches"]:
            table = Table("kind", "component", "declared", "in the image", "evidence")
            for m in sbom["mismatches"]:
                cells = (m["declared"], m["measured"], m["evidence"])
                table.add_row(m["kind"], m["name"], *(_short(c) for c in cells))
            console.print(table)
        for warning in sbom["sbom"].get("warnings", []):
            console.print(f"  warning: {warning}")
        for note in sbom["unchecked"]:
            console.print(f"  not checked: {note}")
    if doc.get("attestations"):
        table = Table("attestation", "kind", "result", "reason")
        for att in doc["attestations"]:
            table.add_row(Path(att["path"]).name, att["kind"], att["result"], att["reason"])
        console.print(table)
    installed = doc.get("installed_files")
    if installed:
        console.print(f"installed files: [bold]{installed['result']}[/], {installed['reason']}")
        for item in installed.get("differing", [])[:20]:
            console.print(f"  {item['path']} ({item['package']}): {item['in_image']}")
        for apt in installed.get("apt", []):
            console.print(
                f"apt lists ({apt['keyrings']} keyrings): [bold]{apt['result']}[/], "
                + escape(apt["reason"])
            )
            for name in apt["not_in_signed_indexes"][:10]:
                console.print(f"  not in the signed indexes: {escape(name)}")
    if doc.get("policy"):
        policy = doc["policy"]
        table = Table("rule", "result", "reason")
        for rule in policy["rules"]:
            table.add_row(rule["rule"], rule["result"], rule["reason"])
        console.print(table)
        console.print(f"policy {policy['path']}: [bold]{policy['result']}[/]")
    console.print("[bold]PASS[/]" if doc["passed"] else "[bold red]FAIL[/]")


def _short(text: str, limit: int = 90) -> str:
    """A table cell; the JSON output keeps the whole text."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
