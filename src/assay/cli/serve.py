"""``assay serve``: the registry web app on a local address (uvicorn)."""

from __future__ import annotations

import click

from assay.cli.options import registry_option
from assay.errors import UsageError


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@registry_option
@click.option(
    "--public-url",
    default="",
    envvar="ASSAY_PUBLIC_URL",
    help="The site's public base URL, used in QR codes (default: as requested).",
)
@click.option(
    "--max-upload",
    default=256,
    show_default=True,
    type=click.IntRange(1, 4096),
    help="Largest upload in MiB.",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 16),
    help="Background upload workers.",
)
@click.option(
    "--reaudit-interval",
    default=60,
    show_default=True,
    type=click.IntRange(0, 86400),
    help="Seconds between checks of the vulnerability store; when its revision changed "
    "(after assay feeds import/update) the registry is re-audited. 0 = off.",
)
@click.option(
    "--selfassess-days",
    default=7.0,
    show_default=True,
    type=click.FloatRange(0.01, 365),
    help="Days a free self-assessment's private link (/self-assessment) stays valid.",
)
def command(
    host: str,
    port: int,
    url: str | None,
    public_url: str,
    max_upload: int,
    workers: int,
    reaudit_interval: int,
    selfassess_days: float,
) -> None:
    """Serve the product registry (pages, label images and the JSON API at /api/v1)."""
    import uvicorn

    from assay.web import Settings, create_app

    if not 0 < port < 65536:
        raise UsageError(f"port {port} is out of range", "use 1-65535")
    settings = Settings(
        registry_url=url,
        public_url=public_url.rstrip("/"),
        max_upload=max_upload * 1024 * 1024,
        workers=workers,
        reaudit_interval=float(reaudit_interval),
        selfassess_days=selfassess_days,
    )
    app = create_app(settings)
    click.echo(f"Assay registry on http://{host}:{port}/ (Ctrl-C to stop)", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


if __name__ == "__main__":
    command()
