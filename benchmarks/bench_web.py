"""Requests per second of the registry's product page with 10,000 products (loopback only).

    .venv/bin/python benchmarks/bench_web.py [--products 10000] [--requests 2000] [--clients 8]

Fills a fresh SQLite registry (in a temporary directory): one product through
``Registry.add`` with the real assessment of the bundled OpenWrt 12.09 TL-WR703N image and its
sample declaration (``assay.pipeline.assess``: components, vulnerabilities with KEV, findings,
verdicts), then copies of its rows for the other products (bulk SQL, so filling takes
seconds). Each copy carries the real assessment summary and its brief (``summary.brief``, the
ids of the 255 matches that count, which is what the product page reads: it re-checks them
against KEV and renders the label and verdicts), but a stub in place of the full 2 MB
document: 3.4 GB of SQLite instead of 20 GB. The page reads the full document only to write
CRA report texts for known exploited matches; with the stub that read is cheap, so products
with such matches cost more than measured here (the script prints how long parsing the real
document takes). The copies have no vulnerability rows either, so their ledger looks up no
publication dates (the real product's does, 245 of them). Then starts ``assay serve`` on
127.0.0.1 (re-audit off unless --reaudit-interval) and fetches random product pages with
``--clients`` concurrent keep-alive clients, ``--requests`` in all. Also times the search page
and label.png. Besides requests per second and latencies, each line gives the server
process's CPU time per request (``/proc``), which depends less on the machine's other load.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert, select

from assay import __version__
from assay.registry import Registry
from assay.registry import tables as t
from assay.registry.summary import brief, summarize

ROOT = Path(__file__).resolve().parent.parent
IMAGE = ROOT / "data" / "firmware" / "openwrt-12.09-tl-wr703n-v1-squashfs-factory.bin.xz"
DECLARATION = ROOT / "data" / "declarations" / "openwrt-wr703n.sample.yaml"


def real_document(work: Path) -> dict[str, Any]:
    """The assessment of the bundled image with the sample declaration (``assay.pipeline``)."""
    from assay.pipeline import ScanOptions, assess

    options = ScanOptions(work_dir=work / "scan", declaration=DECLARATION)
    return assess(IMAGE, options).assessment.to_dict()


def fill(url: str, document: dict[str, Any], count: int) -> list[str]:
    """``count`` products: the first through ``Registry.add``, the rest as copies of its rows."""
    registry = Registry.open(url)
    first = registry.add(document)
    summary = summarize(json.loads(json.dumps(document, default=str)))
    stub = {"note": "benchmark copy: the full document is on the first product"}
    now = datetime.now(UTC)
    slugs = [first.product_slug]
    with registry.engine.begin() as conn:
        product = conn.execute(select(t.Product).where(t.Product.slug == first.product_slug)).one()
        maker_rows = [
            {"name": f"Maker {i}", "slug": f"maker-{i}", "created": now} for i in range(1, count)
        ]
        conn.execute(insert(t.Manufacturer), maker_rows)
        makers = dict(conn.execute(select(t.Manufacturer.name, t.Manufacturer.id)).all())
        batch = 1000
        for start in range(1, count, batch):
            ids = range(start, min(start + batch, count))
            conn.execute(
                insert(t.Product),
                [
                    {
                        "manufacturer_id": makers[f"Maker {i}"],
                        "name": f"Device {i}",
                        "model": f"M-{i}",
                        "hardware_version": "v1",
                        "slug": f"maker-{i}-m-{i}-v1",
                        "created": now,
                        "updated": now,
                        "firmware_version": product.firmware_version,
                        "level": 0,
                        "kev_count": 0,
                        "support_until": product.support_until,
                        "search_text": f"maker {i} device {i} m-{i} v1",
                    }
                    for i in ids
                ],
            )
            pids = dict(
                conn.execute(
                    select(t.Product.slug, t.Product.id).where(
                        t.Product.slug.in_([f"maker-{i}-m-{i}-v1" for i in ids])
                    )
                ).all()
            )
            conn.execute(
                insert(t.Firmware),
                [
                    {
                        "product_id": pids[f"maker-{i}-m-{i}-v1"],
                        "version": "OpenWrt 12.09 r36088",
                        "file_name": "fw.bin",
                        "sha256": "0" * 64,
                        "size": 1,
                        "created": now,
                        "listing_key": t.listing_key(
                            f"Maker {i}", f"maker-{i}-m-{i}-v1", "OpenWrt 12.09 r36088"
                        ),
                    }
                    for i in ids
                ],
            )
            fids = dict(
                conn.execute(
                    select(t.Firmware.product_id, t.Firmware.id).where(
                        t.Firmware.product_id.in_(list(pids.values()))
                    )
                ).all()
            )
            conn.execute(
                insert(t.AssessmentRow),
                [
                    {
                        "firmware_id": fid,
                        "declaration_id": None,
                        "tool_version": __version__,
                        "assessed": document["created"],
                        "stored": now,
                        "level": 0,
                        "kev_count": 0,
                        "vulnerability_count": 0,
                        "document": stub,
                        "summary": summary,
                        "brief": brief(summary),
                    }
                    for fid in fids.values()
                ],
            )
            aids = dict(
                conn.execute(
                    select(t.AssessmentRow.firmware_id, t.AssessmentRow.id).where(
                        t.AssessmentRow.firmware_id.in_(list(fids.values()))
                    )
                ).all()
            )
            for slug, pid in pids.items():
                conn.execute(
                    t.Product.__table__.update()
                    .where(t.Product.id == pid)
                    .values(latest_assessment_id=aids[fids[pid]])
                )
                conn.execute(
                    t.Firmware.__table__.update()
                    .where(t.Firmware.id == fids[pid])
                    .values(latest_assessment_id=aids[fids[pid]])
                )
                slugs.append(slug)
    registry.close()
    return slugs


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def load(base: str, paths: list[str], clients: int) -> tuple[float, list[float]]:
    """Fetch every path (``clients`` at a time); return (seconds, per-request latencies)."""
    latencies: list[float] = []
    chunks = [paths[i::clients] for i in range(clients)]

    def run(chunk: list[str]) -> list[float]:
        out = []
        with httpx.Client(base_url=base, timeout=30) as client:
            for path in chunk:
                start = time.perf_counter()
                response = client.get(path)
                out.append(time.perf_counter() - start)
                assert response.status_code == 200, (path, response.status_code)
        return out

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        for result in pool.map(run, chunks):
            latencies.extend(result)
    return time.perf_counter() - start, latencies


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of process ``pid`` so far (Linux ``/proc``; None elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measured(
    name: str, pid: int, base: str, paths: list[str], clients: int
) -> tuple[float, list[float]]:
    """``load`` and its report, with the server process's CPU time per request: on a shared
    machine the requests per second vary with the other load, the CPU per request less."""
    before = cpu_seconds(pid)
    seconds, latencies = load(base, paths, clients)
    after = cpu_seconds(pid)
    ordered = sorted(latencies)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    cpu = (
        ""
        if before is None or after is None
        else f"   server CPU {(after - before) / len(paths) * 1000:5.1f} ms/req"
    )
    print(
        f"{name:<34} {len(latencies) / seconds:8.1f} req/s   "
        f"median {statistics.median(ordered) * 1000:6.1f} ms   p95 {p95 * 1000:6.1f} ms{cpu}"
    )
    return seconds, latencies


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument(
        "--reaudit-interval",
        type=int,
        default=0,
        help="assay serve's re-audit poll (default 0: off, so only the pages are measured; "
        "60 = as served by default, the first wake-up enrolls every product meanwhile)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="assay-bench-web-") as tmp:
        work = Path(tmp)
        document = real_document(work)
        text = json.dumps(document)
        parse = []
        for _ in range(5):
            started = time.perf_counter()
            json.loads(text)
            parse.append(time.perf_counter() - started)
        print(
            f"parsing the real assessment document ({len(text) / 1e6:.1f} MB), which the page "
            f"reads only for CRA report texts: median {statistics.median(parse) * 1000:.1f} ms"
        )
        url = f"sqlite:///{work / 'registry.sqlite'}"
        start = time.perf_counter()
        slugs = fill(url, document, args.products)
        print(
            f"filled {len(slugs)} products in {time.perf_counter() - start:.1f} s "
            f"({(work / 'registry.sqlite').stat().st_size / 1e6:.0f} MB SQLite)"
        )
        port = free_port()
        env = {**os.environ, "ASSAY_REGISTRY_URL": url}
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "assay",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--reaudit-interval",
                str(args.reaudit_interval),
            ],
            env=env,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    httpx.get(base + "/", timeout=1)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            rng = random.Random(42)
            load(base, [f"/products/{rng.choice(slugs)}" for _ in range(100)], args.clients)
            pages = [f"/products/{rng.choice(slugs)}" for _ in range(args.requests)]
            measured("product page (random of all)", server.pid, base, pages, args.clients)
            searches = [
                f"/?q=device+{rng.randrange(args.products)}" for _ in range(args.requests // 4)
            ]
            measured("search page", server.pid, base, searches, args.clients)
            labels = [
                f"/products/{rng.choice(slugs[:50])}/label.png" for _ in range(args.requests // 4)
            ]
            measured("label.png (50 products, cached)", server.pid, base, labels, args.clients)
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(
        f"machine: {os.cpu_count()} CPUs; server: one uvicorn worker; "
        f"{args.clients} concurrent keep-alive clients on loopback"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
