"""``assay diff OLD NEW``: what changed between two firmware assessments."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from assay.cli.options import registry_option
from assay.diff import diff_assessments, render_text
from assay.errors import InputError

MAX_BYTES = 256 * 1024 * 1024


def load_assessment(path: Path) -> dict[str, Any]:
    """An ``assessment.json`` (or a scan output directory holding one), or an image to scan."""
    if path.is_dir() and (path / "assessment.json").is_file():
        path = path / "assessment.json"
    if not path.is_file():
        raise InputError(f"{path} does not exist", hint="give an assessment.json or an image")
    with path.open("rb") as fh:
        head = fh.read(1).lstrip()
    if head in (b"{", b""):
        if path.stat().st_size > MAX_BYTES:
            raise InputError(f"{path} is larger than {MAX_BYTES} bytes")
        from assay.safeload import load_json

        data = load_json(
            path.read_bytes(),
            str(path),
            hint="give the assessment.json that `assay scan` wrote",
            max_bytes=MAX_BYTES,
        )
        if not isinstance(data, dict) or "components" not in data:
            raise InputError(
                f"{path} is not an assessment: $.components is missing",
                hint="give the assessment.json that `assay scan` wrote",
            )
        return data
    from assay.registry.intake import scan

    return scan(path, None)


def _side(text: str, url: str | None) -> dict[str, Any]:
    """A file or directory when it exists, else a registered firmware ``SLUG@VERSION``."""
    path = Path(text)
    if path.exists():
        return load_assessment(path)
    from assay.accountability.registered import current_assessment, is_reference, resolve

    if not is_reference(text):
        return load_assessment(path)  # says that the file does not exist
    from assay.registry import Registry

    with Registry.open(url) as registry:
        return current_assessment(registry, resolve(registry, text))


@click.command("diff")
@click.argument("old")
@click.argument("new")
@click.option("--json", "as_json", is_flag=True, help="Print the diff as JSON.")
@registry_option
def command(old: str, new: str, as_json: bool, url: str | None) -> None:
    """Compare two firmware versions: components added, removed, up- or downgraded;
    vulnerabilities fixed and introduced; checks and verdicts that changed.

    OLD and NEW are assessment.json files, `assay scan` output directories, images (scanned
    first), or registered firmware named SLUG@VERSION or SLUG@sha256:HEX (their latest
    assessment, with the vulnerabilities the re-audit finds in them now)."""
    result = diff_assessments(_side(old, url), _side(new, url))
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2))
        return
    render_text(result, Console(soft_wrap=True))
