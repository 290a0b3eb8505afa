"""``assay corpus``: scan many images on a Dask cluster, and report on the corpus."""

from __future__ import annotations

import json
from pathlib import Path

import click

from assay.cli.options import registry_option
from assay.errors import UsageError

REPORTS = ("html", "parquet", "csv", "json")


@click.group("corpus")
def command() -> None:
    """Corpus-scale audits on Dask (pip install 'assay[dask]')."""


@command.command("scan")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path, exists=True))
@click.option(
    "--list",
    "list_files",
    multiple=True,
    type=click.Path(path_type=Path, exists=True),
    help="A file naming one image per line. Repeatable.",
)
@registry_option
@click.option(
    "--scheduler",
    default=None,
    metavar="ADDRESS",
    help="A running Dask scheduler (tcp://HOST:PORT); default: a local cluster.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 512),
    default=2,
    show_default=True,
    help="Worker processes of the local cluster.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(1),
    default=600.0,
    show_default=True,
    help="Seconds of extraction per image.",
)
@click.option(
    "--work-root",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Where workers make their work directories (default: the system's temp).",
)
@click.option(
    "--declaration",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    default=None,
    help="Declaration for images without their own (IMAGE.declaration.yaml beside the image).",
)
@click.option("--retry-failed", is_flag=True, help="Scan again the images recorded as failed.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def scan_command(
    paths: tuple[Path, ...],
    list_files: tuple[Path, ...],
    url: str | None,
    scheduler: str | None,
    workers: int,
    timeout: float,
    work_root: Path | None,
    declaration: Path | None,
    retry_failed: bool,
    as_json: bool,
) -> None:
    """Scan every image in PATHS (files or folders) and store the results in the registry."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from assay.corpus.inputs import expand
    from assay.corpus.run import corpus_scan

    images = expand(list(paths), list_files)
    if not images:
        raise UsageError("no images to scan", "give image files, folders or --list files")
    console = Console(stderr=True)
    options = {
        "timeout": timeout,
        "work_root": str(work_root) if work_root else None,
        "declaration": str(declaration.resolve()) if declaration else None,
    }
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as bar:
        task = bar.add_task("scanning", total=len(images))

        def progress(done: int, total: int, name: str) -> None:
            bar.update(task, total=total, completed=done, description=f"scanning {name[:30]}")

        summary = corpus_scan(
            images,
            url,
            scheduler=scheduler,
            workers=workers,
            options=options,
            retry_failed=retry_failed,
            progress=progress,
        )
    if as_json:
        click.echo(json.dumps(summary.to_dict(), indent=2))
        return
    if summary.dashboard:
        console.print(f"Dask dashboard was at {summary.dashboard}")
    click.echo(
        f"{summary.done} assessed, {summary.failed} failed, {summary.skipped} skipped "
        f"(already in the registry) in {summary.seconds:.1f} s"
    )
    for path, reason in summary.failures:
        click.echo(f"failed: {path}: {reason}")


@command.command("report")
@registry_option
@click.option(
    "-o",
    "--output",
    "outputs",
    multiple=True,
    required=True,
    metavar="FORMAT=FILE",
    help="html, parquet, csv or json, each to a file. Repeatable.",
)
def report_command(url: str | None, outputs: tuple[str, ...]) -> None:
    """The component × firmware table and the corpus summary."""
    from assay.corpus.report import questions, rows, write_csv, write_parquet
    from assay.corpus.summary_html import render
    from assay.registry import Registry

    targets = []
    for spec in outputs:
        fmt, _, name = spec.partition("=")
        if fmt not in REPORTS or not name:
            raise UsageError(
                f"bad output {spec!r}", f"use FORMAT=FILE with FORMAT one of {REPORTS}"
            )
        targets.append((fmt, Path(name)))
    with Registry.open(url) as registry:
        table = rows(registry)
        answers = questions(registry, table) if {"html", "json"} & {f for f, _ in targets} else {}
    for fmt, dest in targets:
        if fmt == "parquet":
            write_parquet(table, dest)
        elif fmt == "csv":
            write_csv(table, dest)
        elif fmt == "json":
            dest.write_text(json.dumps(answers, indent=2) + "\n", encoding="utf-8")
        else:
            dest.write_text(render(answers), encoding="utf-8")
