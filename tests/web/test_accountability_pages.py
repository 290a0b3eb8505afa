"""The re-audit in the web app: the poller of ``assay serve``, the product page and the JSON.

Real data: the WR703N's real package list matched by the real matcher against a store holding
the real NVD records of the IoT subset published up to 2012 (``reaudit_world.split_feeds``,
shared with tests/unit/accountability) plus the real CISA KEV catalogue; then the subset's
records of 2013-2016 are imported and the poller's step runs once.
"""

from __future__ import annotations

import re
import socket
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
from reaudit_world import World, counted, split_feeds  # noqa: E402

from assay.extract.rootfs import RootFS  # noqa: E402
from assay.vulns.counts import kev_ids  # noqa: E402
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


def _every(get: Any, url: str) -> dict[str, Any]:
    """Every page of a findings list (``get``: the client's GET), as one answer."""
    answer: dict[str, Any] = {}
    rows: list[dict[str, Any]] = []
    while not answer or len(rows) < answer["total"]:
        answer = get(url, params={"limit": 1000, "offset": len(rows)}).json()
        if not answer.get("findings"):
            break
        rows += answer["findings"]
    return {**answer, "findings": rows}


def _table_ids(html: str, table_id: str) -> set[str]:
    found = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.S)
    assert found, f"no table {table_id}"
    return set(re.findall(r"<td><strong>(CVE-\d+-\d+)</strong>", found.group(0)))


def test_feed_update_shows_new_findings(world: World, feeds: tuple[Path, Path]) -> None:
    doc = world.scan()
    before = {v["id"] for v in counted(doc)}
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
    expected = {m.id for m in world.rematch()}
    expected -= before
    assert {"CVE-2014-3153", "CVE-2016-5195"} <= expected  # real KEV entries, kernel 3.3.8
    # 1,060 new (CVE, component) pairs match on the version; decided on the scan's kernel
    # evidence, 776 kernel pairs are not affected and 8 name no version: they do not count.
    # 200 affected, 68 unknown (counted: unsettled is not a pass) and 8 probable (the
    # hostapd/wpa_supplicant 2.0-devel snapshot between the 1.1 and 2.0 these 2014-2015
    # records enumerate) make 148 new CVEs
    assert len(expected) == 148
    probable = {m.id for m in world.rematch() if m.status == "probable"}
    assert "CVE-2015-4141" in probable and probable <= expected

    with TestClient(app) as client:
        found = _every(client.get, f"/api/v1/products/{SLUG}/findings")["findings"]
        new = {f["vulnerability"] for f in found if f["lifecycle"] == "new"}
        assert new == expected
        assert {f["vulnerability"] for f in found if f["lifecycle"] == "still_open"} == before
        assert all(f["state"] == "open" for f in found if f["lifecycle"] != "not_counted")

        ledger = client.get(f"/api/v1/products/{SLUG}/ledger").json()
        entries = {e["id"]: e for e in ledger["ledger"]["vulnerabilities"]}
        assert set(entries) == before | expected
        assert "CVE-2013-6282" not in entries  # ARM only: never a finding of this router
        assert ledger["ledger"]["support"]["end"] == "2027-06-30"
        dirty_cow = entries["CVE-2016-5195"]
        assert dirty_cow["kev_added"] == "2022-03-03" and dirty_cow["published"] == "2016-11-10"
        assert dirty_cow["fixed_in"] == "" and dirty_cow["open"]
        # the re-audit decides new kernel CVEs on the scan's kernel evidence, by the rule of
        # the label and the clocks: the ARM-only CVE-2013-6282 is not the MIPS router's
        kev_now = set(kev_ids(world.rematch()))
        assert {"CVE-2014-3153", "CVE-2016-5195"} <= kev_now and "CVE-2013-6282" not in kev_now
        assert set(ledger["ledger"]["unfixed_kev"]) == kev_now
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

        # a re-audit that changes nothing (run by hand: same store, same firmware) is a no-op
        # for the lifecycle words too: the new findings stay new
        from assay.accountability.reaudit import reaudit

        noop = reaudit(world.registry, world.store)
        assert noop.counts() == {} and noop.firmware_rematched == 0
        again = _every(client.get, f"/api/v1/products/{SLUG}/findings")
        assert {f["vulnerability"] for f in again["findings"] if f["lifecycle"] == "new"} == new


def test_fixed_in_a_later_firmware_and_escaping(world: World) -> None:
    """A later firmware without the vulnerable dropbear fixes CVE-2012-0920; text from the
    database is escaped on the page."""
    world.registry.add(world.scan(), DECLARATION)
    newer = world.with_dropbear("2012.55-1")
    world.registry.add(world.scan(build="r40000", comps=newer), DECLARATION)
    app = _app(world)
    assert app.state.poller.step().ran
    with world.registry.engine.begin() as conn:
        other = conn.scalar(
            text("SELECT vuln_id FROM audit_finding WHERE component NOT LIKE '%dropbear%'")
        )
        conn.execute(
            text("UPDATE audit_finding SET detail = :d WHERE vuln_id = :v"),
            {"d": "<script>alert(1)</script> found by the scan", "v": other},
        )
    with TestClient(app) as client:
        found = _every(client.get, f"/api/v1/products/{SLUG}/findings")["findings"]
        dropbear = [f for f in found if f["vulnerability"] == "CVE-2012-0920"]
        assert {(f["firmware"], f["lifecycle"]) for f in dropbear} == {
            ("OpenWrt 12.09 r36088", "fixed")
        }
        ledger = client.get(f"/api/v1/products/{SLUG}/ledger").json()["ledger"]
        entry = next(e for e in ledger["vulnerabilities"] if e["id"] == "CVE-2012-0920")
        assert entry["fixed_in"] == "OpenWrt 12.09 r40000" and not entry["open"]
        page = client.get(f"/products/{SLUG}").text
        assert "<script>alert(1)" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt; found by the scan" in page
        assert "not in firmware OpenWrt 12.09 r40000" in page
        assert '<td class="life-fixed">fixed</td>' in page


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
        conn.execute(text("ALTER TABLE audit_inventory RENAME TO audit_inventory_saved"))
        conn.execute(text("CREATE VIEW audit_inventory AS SELECT * FROM audit_inventory_saved"))
    world.store.import_paths([feeds[1]])
    failed = poller.step()
    assert not failed.ran and "audit_inventory" in failed.error
    with world.registry.engine.begin() as conn:
        conn.execute(text("DROP VIEW audit_inventory"))
        conn.execute(text("ALTER TABLE audit_inventory_saved RENAME TO audit_inventory"))
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


@pytest.mark.browser
@pytest.mark.slow
def test_page_in_a_browser(world: World, feeds: tuple[Path, Path], page: Any) -> None:
    """Chromium renders the accountability section (screenshot in tests/artifacts)."""
    import threading

    import uvicorn

    artifacts = HERE.parent / "artifacts"

    doc = world.scan()
    world.registry.add(doc, DECLARATION)
    app = _app(world)
    app.state.poller.step()
    world.store.import_paths([feeds[1]])
    assert app.state.poller.step().ran
    expected = {m.id for m in world.rematch()}
    expected -= {v["id"] for v in counted(doc)}
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        _wait(lambda: server.started)
        page.goto(f"http://127.0.0.1:{port}/products/{SLUG}")
        section = page.locator("#accountability")
        assert section.is_visible()
        assert not page.locator("#new-findings").is_visible()  # a long list starts folded
        artifacts.mkdir(exist_ok=True)
        section.screenshot(path=str(artifacts / "product-accountability.png"))
        page.locator("#accountability summary", has_text="new vulnerabilities").click()
        assert page.locator("#new-findings").is_visible()
        assert page.locator("#new-findings tbody tr").count() == len(expected)
        assert "CVE-2016-5195" in page.locator("#cra-cases").inner_text()
        # the manufacturer's page: every product's promises and deeds
        page.click("#manufacturer-link")
        page.wait_for_url("**/manufacturers/TP-Link")
        rows = page.locator("#manufacturer-products tbody tr").all_inner_texts()
        assert len(rows) == 1 and "until 2027-06-30 (supported)" in rows[0]
        unfixed = page.locator("#unfixed-kev").inner_text()
        assert "Still sold or supported with a known exploited vulnerability" in unfixed
        page.screenshot(path=str(artifacts / "manufacturer.png"), full_page=True)
    finally:
        server.should_exit = True
        thread.join(10)


def test_serve_option() -> None:
    from click.testing import CliRunner

    from assay.cli.serve import command

    assert "--reaudit-interval" in CliRunner().invoke(command, ["--help"]).output
    bad = CliRunner().invoke(command, ["--reaudit-interval", "-1"])
    assert bad.exit_code != 0 and "--reaudit-interval" in bad.output


@pytest.mark.slow
def test_assay_serve_reaudits_after_feeds_import(
    tmp_path: Path, feeds: tuple[Path, Path], shared_data: Path, wr703n_image: Path
) -> None:
    """The real commands: the image scanned by ``assay registry add`` against a store of the
    records up to 2012, then ``assay feeds import`` of 2013-2016 while ``assay serve
    --reaudit-interval 1`` runs; the product's findings gain the new CVEs by themselves."""
    import json
    import os
    import subprocess

    import httpx

    # (not ``from conftest import``: which conftest that names depends on the test order)
    sample = HERE.parent.parent / "data" / "declarations" / "openwrt-wr703n.sample.yaml"

    def assay_command() -> list[str]:
        return [sys.executable, "-m", "assay"]

    env = {**os.environ, "ASSAY_HOME": str(tmp_path / "home")}
    env.pop("ASSAY_REGISTRY_URL", None)

    def run(*args: str) -> str:
        done = subprocess.run(
            [*assay_command(), *args], env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    run("feeds", "import", str(feeds[0]), str(shared_data / KEV))
    added = run("registry", "add", str(wr703n_image), "--declaration", str(sample), "--json")
    slug = json.loads(added)["product_slug"]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    server = subprocess.Popen(
        [*assay_command(), "serve", "--port", str(port), "--reaudit-interval", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}/api/v1/products/{slug}/findings"

    def findings() -> dict[str, Any] | None:
        try:
            data: dict[str, Any] = _every(lambda u, **kw: httpx.get(u, timeout=5, **kw), url)
        except httpx.TransportError:
            return None
        return data if data.get("last_reaudit") else None

    try:
        _wait(lambda: findings() is not None, 60)
        first = findings()
        assert first is not None
        assert not [f for f in first["findings"] if f["lifecycle"] == "new"]
        run("feeds", "import", str(feeds[1]))
        _wait(lambda: (findings() or {})["last_reaudit"] != first["last_reaudit"], 60)
        after = findings()
        assert after is not None
        new = {f["vulnerability"] for f in after["findings"] if f["lifecycle"] == "new"}
        known = {f["vulnerability"] for f in first["findings"]}
        # the scan layers the bundled snapshot under the partial store, so the kernel's KEV
        # entries are there from the start; the import brings the rest as new findings
        assert {"CVE-2014-3153", "CVE-2016-5195"} <= new | known
        # the re-audit (which does not layer the snapshot) finds the imported records as new
        # findings, though the scan had them already from the snapshot
        assert new
    finally:
        server.terminate()
        assert server.wait(timeout=30) is not None


def test_manufacturer_page_and_its_errors(world: World) -> None:
    world.registry.add(world.scan(), DECLARATION)
    app = _app(world)
    assert app.state.poller.step().ran
    with TestClient(app) as client:
        page = client.get("/manufacturers/TP-Link")
        assert page.status_code == 200
        assert f'href="/products/{SLUG}"' in page.text and "30 days" in page.text
        data = client.get("/api/v1/manufacturers/TP-Link/ledger").json()
        open_ = sum(1 for v in data["products"][0]["vulnerabilities"] if v["open"])
        assert f"{open_} of {data['totals']['vulnerabilities']}" in page.text
        missing = client.get("/manufacturers/No%20Such%20Maker")
        assert missing.status_code == 404 and "no manufacturer" in missing.text


def test_cra_reports_recorded_and_the_fix_starts_the_final_clock(
    world: World, feeds: tuple[Path, Path]
) -> None:
    """The manufacturer records the early warning on Dirty COW (a real KEV entry in kernel
    3.3.8): its clock moves to the notification. A later firmware with kernel 4.9.0, which
    the 2013-2016 records do not match for it, makes a fix available: the final report gets
    its due date, 14 days on."""
    world.registry.add(world.scan(), DECLARATION)
    app = _app(world)
    assert app.state.poller.step().ran
    world.store.import_paths([feeds[1]])
    assert app.state.poller.step().ran
    token = world.registry.create_token("TP-Link")
    other = world.registry.create_token("Another Maker")
    url = f"/api/v1/products/{SLUG}/reports/CVE-2016-5195/early_warning"

    def case(client: TestClient) -> dict[str, Any]:
        cases = client.get(f"/api/v1/products/{SLUG}/ledger").json()["report_cases"]
        return next(c for c in cases if c["vulnerability"] == "CVE-2016-5195")

    with TestClient(app) as client:
        assert case(client)["next_due"]["stage"] == "early_warning"
        assert client.post(url).status_code == 401
        bad = client.post(url, headers={"Authorization": f"Bearer {other}"})
        assert bad.status_code == 403 and "Another Maker" in bad.json()["error"]["message"]
        auth = {"Authorization": f"Bearer {token}"}
        assert client.post(url.replace("early_warning", "teaser"), headers=auth).status_code == 422
        unknown = client.post(url.replace("CVE-2016-5195", "CVE-1999-9999"), headers=auth)
        assert unknown.status_code == 400 and "no re-audit finding" in unknown.text
        future = client.post(url, headers=auth, params={"submitted_at": "2999-01-01T00:00:00Z"})
        assert future.status_code == 400 and "in the future" in future.text
        ancient = client.post(url, headers=auth, params={"submitted_at": "2000-01-01T00:00:00Z"})
        assert ancient.status_code == 400 and "precedes the case" in ancient.text
        sent = client.post(url, headers=auth, params={"reference": "ENISA-123"})
        assert sent.status_code == 201 and sent.json()["reference"] == "ENISA-123"
        again = client.post(url, headers=auth)
        assert again.status_code == 400 and "already recorded" in again.text
        after = case(client)
        assert after["next_due"]["stage"] == "notification"
        early = next(d for d in after["deadlines"] if d["stage"] == "early_warning")
        assert early["state"] in ("submitted", "submitted_late")
        final = next(d for d in after["deadlines"] if d["stage"] == "final_report")
        assert final["due"] is None and final["state"] == "waiting_for_fix"
    # the next firmware ships a kernel the records no longer match for Dirty COW
    world.registry.add(world.scan(build="r50000", comps=world.with_kernel("4.9.0")), DECLARATION)
    assert app.state.poller.step().ran
    with TestClient(app) as client:
        fixed = case(client)
        assert fixed["versions_affected"] == ["OpenWrt 12.09 r36088"]
        final = next(d for d in fixed["deadlines"] if d["stage"] == "final_report")
        assert final["due"] is not None and final["state"] == "open"
        found = _every(client.get, f"/api/v1/products/{SLUG}/findings")["findings"]
        dirty = {f["firmware"]: f for f in found if f["vulnerability"] == "CVE-2016-5195"}
        assert set(dirty) == {"OpenWrt 12.09 r36088"}
        assert dirty["OpenWrt 12.09 r36088"]["fixed_in"] == "OpenWrt 12.09 r50000"
