"""``assay environment``: analyse a deployment of many devices (see docs/environment.md)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click

from assay.cli.options import registry_option
from assay.errors import UsageError

FORMATS = ("json", "md", "html")
FORMATS_IN = ("graphml", "zigbee2mqtt", "mud", "devices-csv", "brick", "iot-sentinel")
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
    type=click.Choice(["environment", *FORMATS_IN]),
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
    from assay.environment.watch import resolver_for
    from assay.registry import Registry

    return resolver_for(Registry.open(url))


@command.command("add")
@click.argument("file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--name", default=None, help="Name to keep it under (default: its own name).")
@registry_option
def add_command(file: Path, name: str | None, url: str | None) -> None:
    """Keep the environment in FILE in the registry; the re-audit then raises events for it."""
    from assay.environment.watch import store
    from assay.registry import Registry

    with Registry.open(url) as registry:
        label = store(registry.engine, file, name)
    click.echo(f"environment {label!r} stored; re-audits now report what reaches it")


@command.command("list")
@registry_option
def list_command(url: str | None) -> None:
    """The environments kept in the registry."""
    from assay.environment.watch import stored
    from assay.registry import Registry

    with Registry.open(url) as registry:
        for label, document in stored(registry.engine):
            devices = document.get("devices", [])
            watched = sum(1 for d in devices if d.get("registry"))
            click.echo(f"{label}: {len(devices)} device entries, {watched} on registered firmware")
