"""Options several commands share."""

from __future__ import annotations

import click

registry_option = click.option(
    "--registry",
    "url",
    envvar="ASSAY_REGISTRY_URL",
    default=None,
    metavar="URL",
    help="Database URL (sqlite:///PATH or postgresql://...); default: a SQLite file "
    "in Assay's data directory ($ASSAY_HOME).",
)
