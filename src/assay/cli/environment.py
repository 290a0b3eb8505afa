"""``assay environment``: analyse a deployment of many devices (see docs/environment.md)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click

from assay.cli.options import registry_option
from assay.errors import UsageError

FORMATS = ("json", "md", "html")
SOURCES = {
    ".graphml": "graphml",
    ".ttl": "brick",
    ".xz": "brick",
    ".csv": "devices-csv",
    ".txt": "devices-csv",
}


@click.group("environment")
def command() -> None:
    """Environments: single points of failure, blast radius, concentration, what-if."""


@command.command("analyze")
@click.argument("file", type=click.Path(path_type=Path, exists=True))
@click.option(
    "--format",
    "source_format",
    default=None,
    type=click.Choice(["environment", "graphml", "zigbee2mqtt", "mud", "devices-csv", "brick"]),
    help="What FILE is (default: by its name; .yaml/.yml/.json is an environment).",
)
@click.option(
    "-o",
    "--output",
    "outputs",
    multiple=True,
    metavar="FORMAT[=FILE]",
    help="json, md or html; to stdout, or to FILE after '='. Repeatable. Default: md.",
)
@click.option(
    "--isolate",
    multiple=True,
    metavar="CVE|COMPONENT",
    help="What if the devices carrying this were taken off the network?",
)
@click.option("--fail", multiple=True, metavar="ID", help="What if this node or device failed?")
@click.option(
    "--remove-vendor",
    multiple=True,
    metavar="VENDOR",
    help="What if every device and node of this vendor were gone?",
)
@click.option(
    "--today",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Date for the support horizon (default: today).",
)
@click.option("--horizon-days", type=click.IntRange(0, 3650), default=180, show_default=True)
@registry_option
def analyze_command(
    file: Path,
    source_format: str | None,
    outputs: tuple[str, ...],
    isolate: tuple[str, ...],
    fail: tuple[str, ...],
    remove_vendor: tuple[str, ...],
    today: dt.datetime | None,
    horizon_days: int,
    url: str | None,
) -> None:
    """Analyse the environment in FILE."""
    from assay.environment import Scenario, analyze, what_if
    from assay.environment.actions import rank
    from assay.environment.render import to_html, to_json, to_markdown

    targets = [_target(o) for o in outputs] or [("md", None)]
    env = _load(file, source_format, url)
    result: dict[str, Any] = analyze(env, today.date() if today else None, horizon_days)
    scenario = Scenario(isolate, fail, remove_vendor)
    if scenario:
        result["what_if"] = what_if(env, scenario)
    result["actions"] = rank(result)
    for fmt, dest in targets:
        text = (
            {"json": to_json, "md": to_markdown}[fmt](result)
            if fmt != "html"
            else to_html(result, env)
        )
        if dest is None:
            click.echo(text, nl=False)
        else:
            dest.write_text(text, encoding="utf-8")


def _target(spec: str) -> tuple[str, Path | None]:
    fmt, _, dest = spec.partition("=")
    if fmt not in FORMATS:
        raise UsageError(f"unknown output format {fmt!r}", f"use one of {', '.join(FORMATS)}")
    return fmt, Path(dest) if dest else None


def _load(file: Path, source_format: str | None, url: str | None) -> Any:
    from assay.environment.importers import merge_import
    from assay.environment.load import load
    from assay.environment.model import Environment

    fmt = source_format or SOURCES.get(file.suffix.lower(), "environment")
    if fmt == "environment":
        resolver = _registry_resolver(url) if url else None
        return load(file, resolver)
    env = Environment(name=file.stem)
    merge_import(env, fmt, file, {})
    return env


def _registry_resolver(url: str) -> Any:
    from assay.accountability.registered import current_assessment, resolve
    from assay.environment.inventory import from_document
    from assay.registry import Registry

    registry = Registry.open(url)

    def resolver(reference: str) -> Any:
        components, findings, _ = from_document(
            current_assessment(registry, resolve(registry, reference))
        )
        return components, findings

    return resolver
