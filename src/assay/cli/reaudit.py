"""``assay registry reaudit`` and ``assay registry webhook``: incremental re-audit, events.

These commands join the ``registry`` group (``assay.cli.registry`` adds them)."""

from __future__ import annotations

import json
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import click

from assay.accountability.outbox import add_webhook, deliver
from assay.accountability.reaudit import reaudit
from assay.cli.options import registry_option
from assay.present.vex import VexStatement, load_vex
from assay.registry import Registry
from assay.vulns.store import open_store

SHOWN = 3  # firmware named per change in the text output (--json lists them all)


@click.command("reaudit")
@registry_option
@click.option(
    "--db",
    "db",
    type=click.Path(path_type=Path),
    default=None,
    help="Vulnerability store (default: Assay's store).",
)
@click.option(
    "--vex",
    "vex_files",
    multiple=True,
    type=click.Path(path_type=Path),
    help="VEX file(s): suppress the findings they say are not affected or fixed.",
)
@click.option("--deliver/--no-deliver", default=True, help="Send pending events to webhooks.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def reaudit_command(
    url: str | None, db: Path | None, vex_files: tuple[Path, ...], deliver: bool, as_json: bool
) -> None:
    """Re-match registered firmware against what changed in the vulnerability store."""
    statements: list[VexStatement] = []
    for path in vex_files:
        statements.extend(load_vex(path))
    with Registry.open(url) as registry, closing(open_store(db)) as store:
        report = reaudit(registry, store, statements=statements)
        from assay.environment.watch import raise_events, resolver_for

        environment_events = raise_events(registry.engine, resolver_for(registry))
        sent = _deliver(registry) if deliver else None
    if as_json:
        data = report.to_dict()
        data["delivery"] = sent
        data["environment_events"] = environment_events
        click.echo(json.dumps(data, indent=2))
        return
    counts = report.counts()
    click.echo(
        f"store revision {report.store_revision}: {report.changed_records} changed records; "
        f"{report.firmware_rematched} of {report.firmware_audited} firmware re-matched "
        f"({report.inventories_rematched} distinct inventories) in {report.seconds:.2f} s"
    )
    for change in report.changes:
        kev = " [known exploited]" if change.kev else ""
        shown = ", ".join(f"{w.product} {w.firmware}" for w in change.where[:SHOWN])
        more = len(change.where) - SHOWN
        if more > 0:
            shown += f" and {more} more firmware"
        click.echo(
            f"  {change.change:<10} {change.vulnerability:<18} {shown} ({change.component}){kev}"
        )
    summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "no changes"
    click.echo(f"{summary}; {report.still_open} findings open")
    if environment_events:
        click.echo(
            f"environments: {environment_events} event(s) about known exploited "
            "vulnerabilities reaching stored environments (in the outbox)"
        )
    if sent:
        click.echo(f"webhooks: {sent['delivered']} delivered, {sent['retried']} to retry")


def _deliver(registry: Registry) -> dict[str, int]:
    return deliver(registry.engine, datetime.now(UTC)).to_dict()


@click.group("webhook")
def webhook_group() -> None:
    """Webhooks that receive re-audit events (JSON POSTs, retried until delivered)."""


@webhook_group.command("add")
@click.argument("hook_url", metavar="URL")
@registry_option
def webhook_add(hook_url: str, url: str | None) -> None:
    """Send every future re-audit event to URL."""
    with Registry.open(url) as registry:
        hook = add_webhook(registry.engine, hook_url, datetime.now(UTC))
    click.echo(f"webhook {hook}: {hook_url}")


@webhook_group.command("deliver")
@registry_option
def webhook_deliver(url: str | None) -> None:
    """Try every due event delivery once now."""
    with Registry.open(url) as registry:
        click.echo(json.dumps(_deliver(registry)))


@click.command("report")
@click.argument("product")
@click.argument("vulnerability")
@click.argument("stage", type=click.Choice(["early_warning", "notification", "final_report"]))
@click.option(
    "--at",
    "sent_at",
    type=click.DateTime(formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"]),
    default=None,
    help="When it was sent (ISO 8601, UTC unless it says otherwise; default: now).",
)
@click.option("--reference", default="", help="E.g. the case id the authority gave.")
@registry_option
def report_command(
    product: str,
    vulnerability: str,
    stage: str,
    sent_at: datetime | None,
    reference: str,
    url: str | None,
) -> None:
    """Record that the CRA report STAGE on VULNERABILITY in PRODUCT (its slug) was sent."""
    from assay.accountability.submissions import record_submission

    now = datetime.now(UTC)
    when = sent_at or now
    with Registry.open(url) as registry:
        done = record_submission(
            registry, product, vulnerability, stage, submitted_at=when, reference=reference, now=now
        )
    click.echo(f"recorded: {done['stage']} on {done['vulnerability']} sent {done['submitted_at']}")
