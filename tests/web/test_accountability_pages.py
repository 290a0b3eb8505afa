"""The re-audit in the web app: the poller of ``assay serve``, the product page and the JSON.

Real data: the WR703N's real package list matched by the real matcher against a store holding
the real NVD records of the IoT subset published up to 2012 (``reaudit_world.split_feeds``,
shared with tests/unit/accountability) plus the real CISA KEV catalogue; then the subset's
records of 2013-2016 are imported and the poller's step runs once.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "unit" / "vex"))
sys.path.insert(0, str(HERE.parent / "unit" / "accountability"))
from reaudit_world import World, split_feeds  # noqa: E402

from assay.extract.rootfs import RootFS  # noqa: E402
from assay.vulns.matching import match_components  # noqa: E402
from assay.vulns.store import Store  # noqa: E402
from assay.web import Settings, create_app  # noqa: E402

KEV = "vulns/kev/known_exploited_vulnerabilities.json"
SLUG = "tp-link-tl-wr703n-v1"
DECLARATION = {
    "manufacturer": {"name": "TP-Link"},
    "product": {"name": "TL-WR703N", "model": "TL-WR703N"},
    "support": {"end_date": "2027-06-30"},
    "update_policy": {"fix_time_days": 30},
}


@pytest.fixture(scope="module")
def feeds(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return split_feeds(shared_data, tmp_path_factory.mktemp("feeds"))


@pytest.fixture
def world(
    tmp_path: Path, wr703n_rootfs: RootFS, feeds: tuple[Path, Path], shared_data: Path
) -> World:
    w = World(tmp_path, wr703n_rootfs, feeds[0])
    w.store.import_paths([shared_data / KEV])
    return w


def _app(world: World, interval: float = 0) -> Any:
    path = Path(str(world.store.location))
    return create_app(Settings(vuln_store=path, reaudit_interval=interval), world.registry)


def _table_ids(html: str, table_id: str) -> set[str]:
    found = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.S)
    assert found, f"no table {table_id}"
    return set(re.findall(r"<td><strong>(CVE-\d+-\d+)</strong>", found.group(0)))


def test_feed_update_shows_new_findings(world: World, feeds: tuple[Path, Path]) -> None:
    doc = world.scan()
    before = {v["id"] for v in doc["vulnerabilities"]}
    world.registry.add(doc, DECLARATION)
    app = _app(world)
    poller = app.state.poller
    first = poller.step()
    assert first.ran and first.report is not None and first.report["enrolled"] == 1
    assert not poller.step().ran  # same revision: nothing to do
    world.store.import_paths([feeds[1]])  # the 2013-2016 records arrive
    after = poller.step()
    assert after.ran and after.revision == world.store.revision()
    assert after.report is not None and after.report["firmware_rematched"] == 1
    expected = {m.id for m in match_components(world.components, world.store, world.identity)}
    expected -= before
    assert {"CVE-2014-3153", "CVE-2016-5195"} <= expected  # real KEV entries, kernel 3.3.8

    with TestClient(app) as client:
        found = client.get(f"/api/v1/products/{SLUG}/findings").json()["findings"]
        new = {f["vulnerability"] for f in found if f["lifecycle"] == "new"}
        assert new == expected
        assert {f["vulnerability"] for f in found if f["lifecycle"] == "still_open"} == before
        assert all(f["state"] == "open" for f in found)

        ledger = client.get(f"/api/v1/products/{SLUG}/ledger").json()
        entries = {e["id"]: e for e in ledger["ledger"]["vulnerabilities"]}
        assert set(entries) == before | expected
        assert ledger["ledger"]["support"]["end"] == "2027-06-30"
        dirty_cow = entries["CVE-2016-5195"]
        assert dirty_cow["kev_added"] == "2022-03-03" and dirty_cow["published"] == "2016-11-10"
        assert dirty_cow["fixed_in"] == "" and dirty_cow["open"]
        assert {"CVE-2014-3153", "CVE-2016-5195"} <= set(ledger["ledger"]["unfixed_kev"])
        cases = {c["vulnerability"]: c for c in ledger["report_cases"]}
        assert set(cases) == set(ledger["ledger"]["unfixed_kev"])
        assert cases["CVE-2016-5195"]["next_due"]["stage"] == "early_warning"
        assert "CVE-2016-5195" in cases["CVE-2016-5195"]["text"]

        maker = client.get("/api/v1/manufacturers/TP-Link/ledger").json()
        assert [p["product"] for p in maker["products"]] == [SLUG]
        assert client.get("/api/v1/manufacturers/Nobody/ledger").status_code == 404

        page = client.get(f"/products/{SLUG}").text
        assert _table_ids(page, "new-findings") == expected
        assert _table_ids(page, "ledger-kev-table") == {
            e for e, v in entries.items() if v["kev_added"]
        }
        assert _table_ids(page, "cra-cases") == set(cases)
        assert "Promises and deeds" in page and "2027-06-30" in page

        spec = client.get("/openapi.json").json()["paths"]
        for path in ("findings", "ledger"):
            assert f"/api/v1/products/{{slug}}/{path}" in spec
        assert "/api/v1/manufacturers/{name}/ledger" in spec


def test_unknown_product_is_404(world: World) -> None:
    with TestClient(_app(world)) as client:
        response = client.get("/api/v1/products/no-such/ledger")
        assert response.status_code == 404
        assert "no-such" in response.json()["error"]["message"]


def test_failing_reaudit_is_logged_and_retried(world: World, feeds: tuple[Path, Path]) -> None:
    world.registry.add(world.scan(), DECLARATION)
    poller = _app(world).state.poller
    assert poller.step().ran  # creates the audit tables
    with world.registry.engine.begin() as conn:  # a damaged registry: writes fail for real
        conn.execute(text("ALTER TABLE audit_firmware RENAME TO audit_firmware_saved"))
        conn.execute(text("CREATE VIEW audit_firmware AS SELECT * FROM audit_firmware_saved"))
    world.store.import_paths([feeds[1]])
    failed = poller.step()
    assert not failed.ran and "audit_firmware" in failed.error
    with world.registry.engine.begin() as conn:
        conn.execute(text("DROP VIEW audit_firmware"))
        conn.execute(text("ALTER TABLE audit_firmware_saved RENAME TO audit_firmware"))
    again = poller.step()  # same revision as the failed step, but that one did not finish
    assert again.ran and again.report is not None and again.report["firmware_rematched"] == 1


def test_thread_survives_failures_and_stops(world: World, tmp_path: Path) -> None:
    missing = tmp_path / "later" / "vulns.sqlite"
    app = create_app(Settings(vuln_store=missing, reaudit_interval=0.05), world.registry)
    poller = app.state.poller
    with TestClient(app):
        assert poller.running
        _wait(lambda: poller.last is not None and "no vulnerability store" in poller.last.error)
        missing.parent.mkdir()
        Store.open(missing, create=True).close()  # the store appears: the next wake-up runs
        _wait(lambda: poller.last is not None and poller.last.ran)
        assert poller.running
    assert not poller.running  # stopped with the app


def _wait(condition: Any, limit: float = 20.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, "the poller did not get there"
        time.sleep(0.02)
