"""``assay feeds import|update|status``: the local vulnerability store."""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import click

from assay.errors import UsageError
from assay.vulns.feeds import update as feed_update
from assay.vulns.importer import ImportReport
from assay.vulns.store import Store, open_store

_DB_HELP = "The store to use (default: vulns.sqlite in $ASSAY_HOME or the user data directory)."


def _open(db: str | None, create: bool) -> Store:
    return open_store(Path(db) if db else None, create=create)


def _print_report(report: ImportReport, as_json: bool) -> None:
    if as_json:
        click.echo(
            json.dumps(
                {
                    "revision": report.revision,
                    "records": report.records,
                    "changed": len(report.changed),
                    "skipped": report.skipped_total,
                    "skipped_examples": [asdict(s) for s in report.skipped[:50]],
                    "feeds": [asdict(f) for f in report.feeds],
                },
                indent=2,
            )
        )
        return
    for feed in report.feeds:
        click.echo(
            f"  {feed.format or '?':<8} {feed.records:>7} records  {feed.changed:>7} changed  "
            f"{feed.skipped:>4} skipped  {feed.path}"
        )
    click.echo(report.summary())
    for skipped in report.skipped[:20]:
        click.echo(f"  skipped {skipped.id}: {skipped.reason} ({skipped.where})")
    if report.skipped_total > 20:
        click.echo(f"  ... and {report.skipped_total - 20} more")


@click.group("feeds")
def command() -> None:
    """Vulnerability feeds: import files, update from the internet, show what is loaded."""


@command.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--db", type=click.Path(dir_okay=False), help=_DB_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print the import report as JSON.")
def import_command(paths: tuple[Path, ...], db: str | None, as_json: bool) -> None:
    """Import feed files, folders or archives (NVD API 2.0, CVE JSON 5, OSV, KEV, EPSS).

    The format of each file is recognised from its content; .gz, .xz, .bz2, .tar.* and .zip
    are opened. The import is one transaction: if any file cannot be read, nothing changes.
    """
    store = _open(db, create=True)
    progress = None if as_json else (lambda m: click.echo(m, err=True))
    report = store.import_paths(list(paths), progress)
    _print_report(report, as_json)


@command.command("update")
@click.option("--db", type=click.Path(dir_okay=False), help=_DB_HELP)
@click.option("--api-key", envvar="NVD_API_KEY", default="", help="NVD API key (or NVD_API_KEY).")
@click.option("--nvd/--no-nvd", default=True, help="Download NVD CVE records.")
@click.option("--kev/--no-kev", default=True, help="Download the CISA KEV catalog.")
@click.option("--epss/--no-epss", default=True, help="Download FIRST EPSS scores.")
@click.option("--full", is_flag=True, help="Download every NVD record, not only changes.")
@click.option("--nvd-url", default=feed_update.NVD_URL, show_default=True)
@click.option("--kev-url", default=feed_update.KEV_URL, show_default=True)
@click.option("--epss-url", default=feed_update.EPSS_URL, show_default=True)
@click.option("--delay", type=float, default=None, help="Seconds between NVD pages.")
@click.option("--json", "as_json", is_flag=True, help="Print the import report as JSON.")
def update_command(
    db: str | None,
    api_key: str,
    nvd: bool,
    kev: bool,
    epss: bool,
    full: bool,
    nvd_url: str,
    kev_url: str,
    epss_url: str,
    delay: float | None,
    as_json: bool,
) -> None:
    """Download NVD (incrementally since the last update), KEV and EPSS, then import them."""
    if not (nvd or kev or epss):
        raise UsageError("nothing to update", "leave at least one of --nvd, --kev, --epss on")
    store = _open(db, create=True)
    since = None if full else feed_update.parse_time(store.meta("nvd_updated"))
    plan = feed_update.UpdatePlan(
        nvd_url, kev_url, epss_url, api_key or os.environ.get("NVD_API_KEY", ""), nvd, kev, epss,
        delay,
    )  # fmt: skip
    progress = (lambda m: None) if as_json else (lambda m: click.echo(m, err=True))
    report, when = feed_update.run(store.import_paths, plan, since, progress)
    if nvd:
        store.set_meta("nvd_updated", when.isoformat())
    assert isinstance(report, ImportReport)
    _print_report(report, as_json)


def _age(timestamp: str) -> str:
    when = feed_update.parse_time(timestamp) if timestamp else None
    if when is None:
        return "age unknown"
    days = (datetime.now(UTC) - when).days
    return f"{days} days old" if days else "less than a day old"


@command.command("status")
@click.option("--db", type=click.Path(dir_okay=False), help=_DB_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status_command(db: str | None, as_json: bool) -> None:
    """Show what the store holds, where each feed came from and how old it is."""
    store = _open(db, create=False)
    status = store.status()
    if as_json:
        data = asdict(status)
        data["nvd_updated"] = store.meta("nvd_updated")
        counts = status.counts
        data["entries_held"] = counts["records"] + counts["kev"] + counts["epss"]
        data["entries_in_files"] = sum(feed.records for feed in status.feeds)
        click.echo(json.dumps(data, indent=2))
        return
    click.echo(f"store:    {status.location} ({status.origin})")
    click.echo(f"revision: {status.revision}")
    counts = status.counts
    held = counts["records"] + counts["kev"] + counts["epss"]
    click.echo(
        f"records:  {counts['records']} ({counts['cve_ids']} CVE ids; nvd {counts['nvd']}, "
        f"cve5 {counts['cve5']}, osv {counts['osv']}); KEV {counts['kev']}; EPSS {counts['epss']}"
    )
    click.echo(
        f"entries:  {held} held = {counts['records']} records + {counts['kev']} KEV + "
        f"{counts['epss']} EPSS"
    )
    updated = store.meta("nvd_updated")
    if updated:
        click.echo(f"NVD last updated: {updated} ({_age(updated)})")
    if status.origin != "store":
        click.echo(
            "Using the bundled snapshot; load full feeds with `assay feeds import` or update."
        )
    for feed in status.feeds:
        click.echo(
            f"  {feed.format:<8} {feed.records:>7} entries  feed date {feed.timestamp or '?'} "
            f"({_age(feed.timestamp)}), imported {feed.imported}  {feed.path}"
        )
    given = sum(feed.records for feed in status.feeds)
    if given != held:
        # each (id, source) is held once: a file that repeats or replaces an entry of an
        # earlier one is counted in both files and once in the store
        click.echo(
            f"files:    {given} entries in all, {held} held: entries the files share are held once"
        )
