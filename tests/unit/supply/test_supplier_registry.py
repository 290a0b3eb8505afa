"""The registry keeps a supplier's SBOM with the product and shows how it compares with the
firmware's registered assessment: CLI, JSON API and product page, on the bundled image."""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from assay.cli import main
from assay.errors import InputError
from assay.registry import Forbidden, NotFound, Registry
from assay.registry import supplier as registry_supplier
from assay.registry import tables as t
from assay.supply.inventory import Inventory
from assay.web import Settings, create_app

sys.path.insert(0, str(Path(__file__).resolve().parent))
from supplier import cyclonedx, package_list  # noqa: E402


@pytest.fixture(scope="module")
def packages(wr703n_inventory: Inventory) -> list[dict[str, Any]]:
    return package_list(wr703n_inventory)


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'registry.sqlite'}"


@pytest.fixture
def stored(url: str, wr703n_inventory: Inventory) -> Iterator[tuple[Registry, str]]:
    """A registry holding the bundled image's assessment (as measured, scanned here)."""
    registry = Registry.open(url)
    slug = registry.add(copy.deepcopy(wr703n_inventory.assessment), scanned=True).product_slug
    yield registry, slug
    registry.close()


def _manifest(packages: list[dict[str, Any]], drop: str = "") -> bytes:
    lines = [f"{p['name']} - {p['version']}\n" for p in packages if p["name"] != drop]
    return "".join(lines).encode()


def _rows(registry: Registry) -> int:
    with registry.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(t.SupplierSbomRow)) or 0)


def test_a_faithful_manifest_is_kept_and_passes(
    stored: tuple[Registry, str], packages: list[dict[str, Any]]
) -> None:
    registry, slug = stored
    assert registry.supplier_sbom(slug) is None
    found = registry.attach_supplier_sbom(slug, _manifest(packages), "openwrt.manifest")
    c = found["comparison"]
    assert c["verdict"] == "FAITHFUL" and c["fidelity"] == 1.0 and c["measured"] == 82
    assert c["requirement"] == {
        "id": "cra:II(1)",
        "verdict": "PASS",
        "reasons": [
            "openwrt.manifest states 82 of 82 components correctly (fidelity 1.00, minimum 0.95)"
        ],
    }
    again = registry.supplier_sbom(slug)
    assert again == found and again["format"] == "openwrt-manifest"
    history = registry.product(slug).history
    assert history[0].kind == "supplier-sbom" and "FAITHFUL, fidelity 1.0" in history[0].detail


def test_hashes_cannot_be_checked_from_the_assessment_and_say_so(
    stored: tuple[Registry, str], packages: list[dict[str, Any]]
) -> None:
    registry, slug = stored
    data = json.dumps(cyclonedx(packages)).encode()
    c = registry.attach_supplier_sbom(slug, data, "supplier.cdx.json")["comparison"]
    assert c["verdict"] == "INCONCLUSIVE" and c["fidelity"] == 1.0
    assert c["unchecked_hashes"] == sum("sha256" in p for p in packages)
    assert c["requirement"]["verdict"] == "PASS"
    assert "declared hashes not checked" in c["requirement"]["reasons"][-1]


def test_an_sbom_that_leaves_a_package_out_fails(
    stored: tuple[Registry, str], packages: list[dict[str, Any]]
) -> None:
    registry, slug = stored
    found = registry.attach_supplier_sbom(slug, _manifest(packages, "dropbear"), "m.txt")
    c = found["comparison"]
    assert c["verdict"] == "UNFAITHFUL" and c["counts"]["undeclared"] == 1
    assert [m["name"] for m in c["mismatches"]] == ["dropbear"]
    assert "dropbear" in c["mismatches"][0]["evidence"]
    assert c["requirement"]["verdict"] == "FAIL"


def test_bad_input_is_refused_and_nothing_is_stored(
    stored: tuple[Registry, str], packages: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    registry, slug = stored
    with pytest.raises(InputError, match="notes.txt: format not recognised"):
        registry.attach_supplier_sbom(slug, b"release notes, not an SBOM\n", "notes.txt")
    with pytest.raises(InputError, match="is not valid JSON"):
        registry.attach_supplier_sbom(slug, b'{"bomFormat": "CycloneDX", ', "cut.json")
    with pytest.raises(InputError, match="the file is empty"):
        registry.attach_supplier_sbom(slug, b"", "empty.json")
    with pytest.raises(NotFound):
        registry.attach_supplier_sbom("no-such-product", _manifest(packages), "m")
    with pytest.raises(NotFound, match="no firmware '9.9'"):
        registry.attach_supplier_sbom(slug, _manifest(packages), "m", firmware="9.9")
    with pytest.raises(Forbidden):
        registry.attach_supplier_sbom(slug, _manifest(packages), "m", as_manufacturer="Other")
    monkeypatch.setattr(registry_supplier, "MAX_SBOM_BYTES", 100)
    with pytest.raises(InputError, match="is over the limit of 100"):
        registry.attach_supplier_sbom(slug, _manifest(packages), "big.manifest")
    assert _rows(registry) == 0
    assert all(e.kind != "supplier-sbom" for e in registry.product(slug).history)


def test_api_and_product_page(stored: tuple[Registry, str], packages: list[dict[str, Any]]) -> None:
    registry, slug = stored
    maker = registry.product(slug).summary.manufacturer
    token = registry.create_token(maker)
    app = create_app(Settings(reaudit_interval=0), registry)
    with TestClient(app) as client:
        api = f"/api/v1/products/{slug}/supplier-sbom"
        missing = client.get(api)
        assert missing.status_code == 404
        assert "no supplier SBOM" in missing.json()["error"]["message"]
        assert "No supplier SBOM is attached" in client.get(f"/products/{slug}").text
        files = {"sbom": ("m.manifest", _manifest(packages, "dropbear"), "text/plain")}
        assert client.post(api, files=files).status_code == 401
        auth = {"Authorization": f"Bearer {token}"}
        bad = {"sbom": ("notes.txt", b"not an sbom", "text/plain")}
        refused = client.post(api, files=bad, headers=auth)
        assert refused.status_code == 400
        assert "format not recognised" in refused.json()["error"]["message"]
        assert client.get(api).status_code == 404  # still nothing stored
        made = client.post(api, files=files, headers=auth)
        assert made.status_code == 201, made.text
        shown = client.get(api).json()
        assert shown["comparison"]["verdict"] == "UNFAITHFUL"
        assert shown["comparison"]["requirement"]["verdict"] == "FAIL"
        page = client.get(f"/products/{slug}").text
        assert 'id="supplier-sbom"' in page and "UNFAITHFUL" in page
        assert "81 of the 82 components" in page and "<strong>dropbear</strong>" in page


def test_cli_attach_and_show(
    stored: tuple[Registry, str],
    url: str,
    packages: list[dict[str, Any]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _registry, slug = stored
    sbom = tmp_path / "openwrt.manifest"
    sbom.write_bytes(_manifest(packages))
    assert main(["registry", "attach-sbom", slug, str(sbom), "--registry", url]) == 0
    out = capsys.readouterr().out
    assert "FAITHFUL, fidelity 1.000 (82 of 82)" in out and "cra:II(1): PASS" in out
    assert main(["registry", "supplier-sbom", slug, "--registry", url, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["comparison"]["fidelity"] == 1.0
    notes = tmp_path / "notes.txt"
    notes.write_text("not an SBOM\n")
    assert main(["registry", "attach-sbom", slug, str(notes), "--registry", url]) == 3
    assert "format not recognised" in capsys.readouterr().err
