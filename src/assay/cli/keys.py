"""``assay keys generate|list``: scanner keys that sign ``assessment.json`` at scan time."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click

from assay.errors import UsageError
from assay.present.signing import generate, key_dir, key_id, load_private, public_text


@click.group("keys")
def command() -> None:
    """Make and list scanner keys (Ed25519) for `assay scan --sign-key`."""


@command.command("generate")
@click.argument("name", default="scanner")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=None,
    help="Where to write the private key (default: Assay's key folder, NAME.pem).",
)
def generate_key(name: str, out: Path | None) -> None:
    """Make a new key NAME: the private key (mode 0600) and NAME.pub beside it."""
    if out is None:
        if not re.fullmatch(r"[A-Za-z0-9._-]{1,64}", name) or name.startswith("."):
            raise UsageError(f"key name {name!r}", "use letters, digits, '.', '_' or '-'")
        out = key_dir() / f"{name}.pem"
    key = generate(out)
    click.echo(f"private key: {out}")
    click.echo(f"public key:  {out.with_suffix('.pub')}")
    click.echo(f"key id:      {key_id(key.public_key())}")
    click.echo(f"trust it:    assay registry trust-key {public_text(key.public_key())}")


@command.command("list")
@click.option(
    "--dir",
    "folder",
    type=click.Path(path_type=Path),
    default=None,
    help="Folder of keys (default: Assay's key folder).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def list_keys(folder: Path | None, as_json: bool) -> None:
    """List private keys: file, key id and public key (what `registry trust-key` takes)."""
    folder = folder or key_dir()
    rows = []
    for path in sorted(folder.glob("*.pem")) if folder.is_dir() else []:
        public = load_private(path).public_key()
        rows.append(
            {"file": str(path), "key_id": key_id(public), "public_key": public_text(public)}
        )
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo(f"no keys in {folder} (make one with `assay keys generate`)", err=True)
    for row in rows:
        click.echo(f"{row['key_id']}\t{row['public_key']}\t{row['file']}")
