"""The API's lists on a registry with thousands of findings, built from real data: the WR703N's
real package list matched by the real matcher against the real NVD records of the IoT subset
(2002-2016) and the real CISA KEV catalogue, registered as three firmware of one product (a
later one with a newer dropbear, another with a newer kernel) and as four more models, then
re-audited by the web app's own poller."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "unit" / "vex"))
sys.path.insert(0, str(HERE.parent / "unit" / "accountability"))
from reaudit_world import World, split_feeds  # noqa: E402

from assay.extract.rootfs import RootFS  # noqa: E402
from assay.vulns.counts import counts  # noqa: E402
from assay.web import Settings, create_app  # noqa: E402

SLUG = "tp-link-tl-wr703n-v1"
OLD, NEWER_DROPBEAR, NEWER_KERNEL = (
    "OpenWrt 12.09 r36088",
    "OpenWrt 12.09 r40000",
    "OpenWrt 12.09 r41000",
)
MODELS = ("TL-MR3020", "TL-MR3040", "TL-WR802N", "TL-WR902AC")


def declaration(model: str) -> dict[str, Any]:
    return {
        "manufacturer": {"name": "TP-Link"},
        "product": {"name": model, "model": model},
        "support": {"end_date": "2027-06-30"},
        "update_policy": {"fix_time_days": 30},
    }


@pytest.fixture(scope="module")
def triage_world(
    tmp_path_factory: pytest.TempPathFactory, wr703n_rootfs: RootFS, shared_data: Path
) -> Iterator[tuple[World, dict[str, Any]]]:
    folder = tmp_path_factory.mktemp("triage")
    early, late = split_feeds(shared_data, folder)
    world = World(folder, wr703n_rootfs, early)
    epss = shared_data / "vulns/epss/emba-epss-per-year"
    world.store.import_paths(
        [
            late,
            shared_data / "vulns/kev/known_exploited_vulnerabilities.json",
            *(epss / f"CVE_{year}_EPSS.csv.xz" for year in range(2010, 2017)),
        ]
    )
    first = world.scan()
    world.registry.add(first, declaration("TL-WR703N"))
    world.registry.add(
        world.scan(build="r40000", comps=world.with_dropbear("2012.55-1")),
        declaration("TL-WR703N"),
    )
    newer = world.with_dropbear("2012.55-1")
    kernel = [  # the newer dropbear and a newer kernel
        k if k.name in ("kernel", "linux") else d
        for d, k in zip(newer, world.with_kernel("3.18.20"), strict=True)
    ]
    world.registry.add(world.scan(build="r41000", comps=kernel), declaration("TL-WR703N"))
    for model in MODELS:
        world.registry.add(world.scan(model=model), declaration(model))
    yield world, first
    world.registry.close()


@pytest.fixture(scope="module")
def api(triage_world: tuple[World, dict[str, Any]]) -> Iterator[TestClient]:
    world, _doc = triage_world
    settings = Settings(vuln_store=Path(str(world.store.location)), reaudit_interval=0)
    app = create_app(settings, world.registry)
    assert app.state.poller.step().ran  # the re-audit enrols every firmware
    with TestClient(app) as client:
        yield client


def every(client: TestClient, url: str, size: int, **params: Any) -> tuple[int, list[Any]]:
    """All rows of a list, fetched ``size`` at a time; and the total each page announced."""
    rows: list[Any] = []
    totals = set()
    while True:
        page = client.get(url, params={**params, "limit": size, "offset": len(rows)})
        assert page.status_code == 200, page.text
        data = page.json()
        totals.add(data["total"])
        assert data["limit"] == size and data["offset"] == len(rows)
        rows += data["items"]
        if not data["items"]:
            break
    assert len(totals) == 1
    return totals.pop(), rows


def key(row: dict[str, Any]) -> tuple[str, str, str]:
    return (row["firmware"], row["component"], row["vulnerability"])


def test_thousands_of_findings_page_through_completely(api: TestClient) -> None:
    url = f"/api/v1/products/{SLUG}/findings"
    total, rows = every(api, url, 1000)
    assert total == len(rows) > 2000  # three firmware of ~700 findings (some in two components)
    assert len({key(r) for r in rows}) == total  # no row twice, none lost between pages
    small_total, small = every(api, url, 137, sort="cvss")
    assert small_total == total and {key(r) for r in small} == {key(r) for r in rows}
    assert {r["firmware"] for r in rows} == {OLD, NEWER_DROPBEAR, NEWER_KERNEL}
    # a limit above the cap is capped, and the answer says so
    capped = api.get(url, params={"limit": 100_000}).json()
    assert capped["limit"] == 1000 and len(capped["items"]) == 1000 and capped["total"] == total


def test_findings_sort_and_filter_on_the_server(api: TestClient) -> None:
    url = f"/api/v1/products/{SLUG}/findings"
    everything = api.get(url, params={"limit": 1000}).json()
    by_status = everything["by_status"]
    assert sum(by_status.values()) == everything["all"] == everything["total"]
    for status, count in by_status.items():
        assert api.get(url, params={"status": status, "limit": 1}).json()["total"] == count
    fixed = every(api, url, 500, status="fixed")[1]
    dropbear = [r for r in fixed if r["vulnerability"] == "CVE-2012-0920"]
    assert {(r["firmware"], r["fixed_in"]) for r in dropbear} == {(OLD, NEWER_DROPBEAR)}
    assert all(r["fixed_in"] and r["detail"].startswith("not in firmware") for r in fixed)
    kev = every(api, url, 500, kev="yes", firmware=OLD)[1]
    assert kev and all(r["kev"] and r["firmware"] == OLD for r in kev)
    assert {"CVE-2016-5195", "CVE-2014-3153"} <= {r["vulnerability"] for r in kev}
    critical = every(api, url, 500, severity="critical", component="linux")[1]
    assert critical and all(r["severity"] == "critical" for r in critical)
    assert all("linux" in r["component_label"] for r in critical)
    for sort in ("-cvss", "cvss", "-epss"):
        rows = api.get(url, params={"sort": sort, "limit": 1000}).json()["items"]
        field = sort.lstrip("-")
        values = [r[field] for r in rows if r[field] is not None]
        assert values == sorted(values, reverse=sort.startswith("-"))
        assert values and all(r[field] is None for r in rows[len(values) :])  # unknown last
    sev = api.get(url, params={"sort": "-severity", "limit": 50}).json()["items"]
    assert sev[0]["severity"] == "critical"
    # CVSS and EPSS are there for what the scan matched and for what only the re-audit found
    assert sum(r["cvss"] is not None for r in rows) > 0.9 * len(rows)


def test_one_row_per_vulnerability(api: TestClient) -> None:
    url = f"/api/v1/products/{SLUG}/findings"
    total, rows = every(api, url, 250, group="vulnerability")
    ids = [r["vulnerability"] for r in rows]
    assert len(ids) == len(set(ids)) == total
    flat = every(api, url, 1000)[1]
    assert set(ids) == {r["vulnerability"] for r in flat}
    dropbear = next(r for r in rows if r["vulnerability"] == "CVE-2012-0920")
    assert dropbear["status"] == "fixed" and dropbear["fixed_in"] == [NEWER_DROPBEAR]
    assert dropbear["firmware"] == []  # it affects no firmware now
    dirty_cow = next(r for r in rows if r["vulnerability"] == "CVE-2016-5195")
    assert dirty_cow["kev"] and dirty_cow["status"] == "affected"
    assert {OLD, NEWER_DROPBEAR} <= set(dirty_cow["firmware"])
    assert dirty_cow["cvss"] == 7.0 and dirty_cow["epss"] is not None  # from the real feeds
    # the default order: known exploited first, then by CVSS
    first_plain = next(i for i, r in enumerate(rows) if not r["kev"])
    assert all(r["kev"] for r in rows[:first_plain])


@pytest.mark.parametrize(
    ("params", "status", "words"),
    [
        ({"limit": 0}, 422, "limit"),
        ({"limit": "ten"}, 422, "limit"),
        ({"offset": -1}, 422, "offset"),
        ({"sort": "nonsense"}, 400, "sort: unknown key 'nonsense'"),
        ({"sort": "cvss;drop"}, 422, "sort"),
        ({"status": "pwned"}, 400, "status: unknown value 'pwned'"),
        ({"severity": "urgent"}, 400, "severity: unknown value 'urgent'"),
        ({"kev": "maybe"}, 400, "kev: 'maybe' is not yes or no"),
        ({"group": "manufacturer"}, 422, "group"),
    ],
)
def test_bad_list_input_gets_one_line(
    api: TestClient, params: dict[str, Any], status: int, words: str
) -> None:
    response = api.get(f"/api/v1/products/{SLUG}/findings", params=params)
    assert response.status_code == status
    error = response.json()["error"]
    assert words in error["message"] and "\n" not in error["message"] and error["hint"]


def test_every_list_endpoint_pages_sorts_and_counts(
    api: TestClient, triage_world: tuple[World, dict[str, Any]]
) -> None:
    world, _doc = triage_world
    latest = world.registry.product(SLUG).latest
    assert latest is not None
    lists = {
        "/api/v1/products": ("name", 5),
        f"/api/v1/products/{SLUG}/firmware": ("version", 3),
        f"/api/v1/products/{SLUG}/events": ("kind", 0),
        f"/api/v1/products/{SLUG}/assessments": ("firmware", 3),
        f"/api/v1/products/{SLUG}/findings": ("vulnerability", None),
        f"/api/v1/products/{SLUG}/components": ("name", len(world.components)),
        f"/api/v1/assessments/{latest.id}/components": ("name", len(world.components)),
    }
    for url, (sort, expected) in lists.items():
        total, rows = every(api, url, 2 if expected else 400, sort=sort)
        assert total == len(rows) and total > 2, url
        if expected:
            assert total == expected, url
        second = api.get(url, params={"sort": sort, "limit": 1, "offset": 1}).json()
        assert second["items"] == rows[1:2] and second["total"] == total, url
        response = api.get(url, params={"sort": "bogus"})
        assert response.status_code == 400 and "sort" in response.json()["error"]["message"]
        assert api.get(url, params={"limit": -5}).status_code == 422, url
    names = [
        p["name"] for p in api.get("/api/v1/products", params={"sort": "-name"}).json()["items"]
    ]
    assert names == sorted(names, reverse=True)
    # the portfolio search pages the same way
    total, hits = every(api, "/api/v1/search", 2, component="dnsmasq")
    assert total == len(hits) == 7  # three firmware of the WR703N and four more models
    assert api.get("/api/v1/products/nope/findings").status_code == 404


def test_inventory_and_downloads(
    api: TestClient, triage_world: tuple[World, dict[str, Any]]
) -> None:
    world, _doc = triage_world
    latest = world.registry.product(SLUG).latest
    assert latest is not None
    document = world.registry.assessment(latest.id).document
    url = f"/api/v1/assessments/{latest.id}/components"
    rows = every(api, url, 1000)[1]
    expected: dict[str, set[str]] = {}
    for v in document["vulnerabilities"]:
        if counts(v):
            expected.setdefault(v["component"], set()).add(v["id"])
    got = {r["purl"] or f"{r['name']}@{r['version']}": r["vulnerabilities"] for r in rows}
    assert got == {ref: len(expected.get(ref, ())) for ref in got}
    assert sum(got.values()) == sum(len(v) for v in expected.values())
    opkg = [r for r in rows if r["purl"].startswith("pkg:opkg")]
    assert opkg and all(r["found_by"] for r in rows)
    for row, component in zip(rows, document["components"], strict=True):  # the document's order
        assert row["name"] == component["name"] and row["version"] == component["version"]
        assert row["supplier"] == component["supplier"]
        assert row["license"] == component["license"]
        assert row["found_by"] == ", ".join(component["found_by"])
    dnsmasq = api.get(url, params={"q": "dnsmasq"}).json()
    assert dnsmasq["total"] == 1 and dnsmasq["items"][0]["name"] == "dnsmasq"
    most = api.get(url, params={"sort": "-vulnerabilities", "limit": 5}).json()["items"]
    assert [r["vulnerabilities"] for r in most] == sorted(got.values(), reverse=True)[:5]
    vulnerable = api.get(url, params={"vulnerable": True, "limit": 1000}).json()
    assert vulnerable["total"] == sum(1 for n in got.values() if n) < len(rows)

    cdx = api.get(f"/assessments/{latest.id}/sbom.cdx.json")
    assert cdx.status_code == 200 and "attachment" in cdx.headers["content-disposition"]
    bom = json.loads(cdx.text)
    assert bom["bomFormat"] == "CycloneDX" and len(bom["components"]) >= len(rows) - 1
    spdx = json.loads(api.get(f"/assessments/{latest.id}/sbom.spdx.json").text)
    assert spdx["spdxVersion"] == "SPDX-2.3"
    assert {"dnsmasq"} <= {p["name"] for p in spdx["packages"]}
    assert api.get(f"/assessments/{latest.id}/sbom.cdx.xml").text.lstrip().startswith("<?xml")
    assert "SPDXVersion: SPDX-2.3" in api.get(f"/assessments/{latest.id}/sbom.spdx").text
    report = api.get(f"/assessments/{latest.id}/report.html")
    assert (
        report.status_code == 200
        and "script-src 'none'" in report.headers["content-security-policy"]
    )
    assert api.get(f"/assessments/{latest.id}/report.md").text.startswith("#")
    assert api.get("/assessments/999999/sbom.cdx.json").status_code == 404


def test_openapi_describes_the_list_parameters(api: TestClient) -> None:
    paths = api.get("/openapi.json").json()["paths"]
    for path in (
        "/api/v1/products",
        "/api/v1/products/{slug}/firmware",
        "/api/v1/products/{slug}/events",
        "/api/v1/products/{slug}/assessments",
        "/api/v1/products/{slug}/findings",
        "/api/v1/products/{slug}/components",
        "/api/v1/assessments/{assessment_id}/components",
    ):
        names = {p["name"] for p in paths[path]["get"]["parameters"]}
        assert {"limit", "offset", "sort"} <= names, path


def test_checks_of_the_real_image_one_row_per_check(
    client: TestClient, registry: Any, wr703n_assessment: dict[str, Any]
) -> None:
    stored = registry.add(wr703n_assessment, scanned=True)
    url = f"/api/v1/assessments/{stored.assessment_id}/checks"
    document = wr703n_assessment["findings"]
    total, rows = every(client, url, 3)
    assert total == len(document) > 3
    assert [r["check"] for r in rows] == sorted(f["check"] for f in document)
    failed = client.get(url, params={"verdict": "FAIL", "limit": 1000}).json()
    assert failed["total"] == sum(f["verdict"] == "FAIL" for f in document) > 0
    assert {r["verdict"] for r in failed["items"]} == {"FAIL"}
    by_title = client.get(url, params={"sort": "-title", "limit": 1000}).json()["items"]
    assert [r["title"] for r in by_title] == sorted((f["title"] for f in document), reverse=True)
    assert client.get(url, params={"verdict": "MAYBE"}).status_code == 422
    assert client.get("/api/v1/assessments/424242/checks").status_code == 404
    assert client.get("/api/v1/assessments/99999999999999/checks").status_code == 404
