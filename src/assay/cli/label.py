"""``assay label ASSESSMENT.json --out DIR``: write label.svg, label.png and label.json."""

from __future__ import annotations

from pathlib import Path

import click

from assay.present.label import load_assessment, write_label
from assay.present.label.words import LANGUAGES
from assay.registry.inputs import load_declaration


@click.command("label")
@click.argument("assessment", type=click.Path(path_type=Path))
@click.option(
    "--out", "out_dir", type=click.Path(path_type=Path), required=True, help="Output directory."
)
@click.option(
    "--declaration",
    "declaration_file",
    type=click.Path(path_type=Path),
    default=None,
    help="Use this declaration instead of the one inside the assessment.",
)
@click.option(
    "--registry-url",
    default="",
    envvar="ASSAY_REGISTRY_PUBLIC_URL",
    help="The public registry's base URL (the QR code points to the product's page there), "
    "or the product page's own URL.",
)
@click.option(
    "--lang",
    type=click.Choice(LANGUAGES, case_sensitive=False),
    default="en",
    show_default=True,
    help="Language of the label's words (label.json keeps its keys).",
)
@click.option("--text", "show_text", is_flag=True, help="Also print the label as text.")
def command(
    assessment: Path,
    out_dir: Path,
    declaration_file: Path | None,
    registry_url: str,
    lang: str,
    show_text: bool,
) -> None:
    """Render the security label of an ASSESSMENT (the assessment.json of a scan)."""
    document = load_assessment(assessment)
    if declaration_file is not None:
        document["declaration"] = load_declaration(declaration_file)
    paths = write_label(document, out_dir, registry_url, lang=lang)
    if show_text:
        import json

        click.echo(json.loads(paths[2].read_text(encoding="utf-8"))["text"])
    for path in paths:
        click.echo(str(path), err=True)
