"""The reproduction of issue 10: a hand-edited assessment.json of the real WR703N image (every
verdict PASS, no vulnerabilities) uploaded with a valid token. Forged, it is self-asserted:
no level, no "Yes" on the label, said so on the page, the API and the label. Signed at scan
time by a scanner key the registry trusts (the real `assay keys`, `assay scan --sign-key` and
`assay registry trust-key` commands), it earns its level; altered after signing, or signed by
a key the registry does not trust, it is self-asserted again."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from test_app import upload, wait_for

from assay.present.label.build import mandatory_en303645
from assay.present.signing import load_private, sign
from assay.registry import Registry
from assay.web import Settings, create_app

MAKER = "Sample Router Works Ltd (fictitious)"
ROOT = Path(__file__).resolve().parents[2]
DECLARATION = ROOT / "data" / "declarations" / "openwrt-wr703n.sample.yaml"


def assay_command() -> list[str]:
    return [sys.executable, "-m", "assay"]


def run(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [*assay_command(), *args], env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def home(tmp_path: Path) -> dict[str, str]:
    env = {**os.environ, "ASSAY_HOME": str(tmp_path / "home")}
    env["ASSAY_REGISTRY_URL"] = f"sqlite:///{tmp_path / 'registry.sqlite'}"
    return env


@pytest.fixture
def client(home: dict[str, str]) -> Iterator[TestClient]:
    registry = Registry.open(home["ASSAY_REGISTRY_URL"])
    with TestClient(create_app(Settings(), registry)) as test_client:
        yield test_client
    registry.close()


def forge(document: dict[str, Any]) -> dict[str, Any]:
    """What the attacker did: every verdict PASS, every mandatory provision present, no
    vulnerabilities, no failed check."""
    forged = copy.deepcopy({k: v for k, v in document.items() if k != "signature"})
    forged["vulnerabilities"] = []
    forged["findings"] = [{**f, "verdict": "PASS"} for f in forged.get("findings") or []]
    forged["verdicts"] = [{**v, "verdict": "PASS"} for v in forged.get("verdicts") or []]
    have = {str(v.get("requirement")) for v in forged["verdicts"] if v.get("norm") == "en303645"}
    forged["verdicts"] += [
        {"norm": "en303645", "requirement": r, "verdict": "PASS", "title": "", "reason": "x"}
        for r in mandatory_en303645()
        if r not in have
    ]
    return forged


def put(client: TestClient, token: str, document: dict[str, Any], name: str) -> dict[str, Any]:
    files = {"firmware": (name, json.dumps(document).encode(), "application/json")}
    accepted = upload(client, token, files)
    assert accepted.status_code == 202, accepted.text
    job = wait_for(client, accepted.json()["status_url"])
    assert job["status"] == "done", job
    return job["result"]  # type: ignore[no-any-return]


def shown(client: TestClient, slug: str) -> tuple[dict[str, Any], dict[str, Any], str, str]:
    """The label as data, the product from the API, the page and the label SVG."""
    label = client.get(f"/products/{slug}/label.json").json()
    assert label == client.get(f"/api/v1/products/{slug}/label").json()
    product = client.get(f"/api/v1/products/{slug}").json()
    page = client.get(f"/products/{slug}").text
    svg = client.get(f"/products/{slug}/label.svg").text
    return label, product, page, svg


def yes(label: dict[str, Any]) -> list[str]:
    return [k for k, v in label["facts"].items() if isinstance(v, dict) and v.get("value")]


@pytest.mark.slow
def test_forged_and_signed_uploads_of_the_real_image(
    client: TestClient, home: dict[str, str], wr703n_image: Path, tmp_path: Path
) -> None:
    key = tmp_path / "keys" / "lab.pem"
    out = run(home, "keys", "generate", "--out", str(key))
    assert "key id:" in out and key.stat().st_mode & 0o077 == 0  # the private key is private
    listed = json.loads(run(home, "keys", "list", "--dir", str(key.parent), "--json"))
    assert [k["file"] for k in listed] == [str(key)]
    out_dir = tmp_path / "out"
    sample = str(DECLARATION)
    run(
        home,
        "scan",
        str(wr703n_image),
        "--out",
        str(out_dir),
        "--declaration",
        sample,
        "--no-vulns",
        "--sign-key",
        str(key),
    )
    scanned = json.loads((tmp_path / "out" / "assessment.json").read_text())
    assert scanned["signature"]["key_id"] == listed[0]["key_id"]
    token = run(home, "registry", "token", MAKER).strip()

    # 1. the reproduction: forged, with a valid token -> self-asserted, no level, no Yes
    forged = forge(scanned)
    result = put(client, token, forged, "assessment.json")
    assert (result["provenance"], result["level"]) == ("self-asserted", 0)
    label, product, page, svg = shown(client, result["product_slug"])
    assert label["level"]["value"] == 0 and yes(label) == []
    assert label["self_asserted_by"] == MAKER and f"Self-asserted by {MAKER}" in label["text"]
    assert product["level"] == 0
    assert product["latest_assessment"]["provenance"] == "self-asserted"
    assert product["latest_assessment"]["provenance_text"].startswith(f"self-asserted by {MAKER}")
    assert "Self-asserted by" in page and "Self-asserted: no level" in page
    assert ">Yes <" not in page.split('id="label-text"')[1].split("</dl>")[0]
    assert f"Self-asserted by {MAKER}" in svg  # in the label's text equivalent (desc)
    assert "YES" not in svg

    # 2. the same document signed by a key the registry does not trust yet
    signed = sign(forged, load_private(key))
    assert put(client, token, signed, "a.json")["provenance"] == "self-asserted"

    # 3. trusted: the level comes, and the page says where the evidence came from
    run(home, "registry", "trust-key", str(key.with_suffix(".pub")), "--name", "lab")
    assert listed[0]["key_id"] in run(home, "registry", "keys")
    result = put(client, token, signed, "b.json")
    assert (result["provenance"], result["level"]) == ("signed", 2)
    label, product, page, _svg = shown(client, result["product_slug"])
    assert label["level"]["value"] == 2 and "no_default_passwords" in yes(label)
    assert label["self_asserted_by"] is None
    assert f"trusted scanner key {listed[0]['key_id']}" in page

    # 4. altered after signing: self-asserted again
    altered = copy.deepcopy(signed)
    altered["target"]["size"] += 1
    assert put(client, token, altered, "c.json")["provenance"] == "self-asserted"
    assert (
        client.get(f"/api/v1/products/{result['product_slug']}/label").json()["level"]["value"] == 0
    )

    # 5. the real scan, signed by `assay scan --sign-key`, is Assay's own
    result = put(client, token, scanned, "d.json")
    assert result["provenance"] == "signed"

    # 6. a revoked token is refused from the next request on
    run(home, "registry", "token", "revoke", token)
    files = {"firmware": ("e.json", json.dumps(scanned).encode(), "application/json")}
    refused = upload(client, token, files)
    assert refused.status_code == 401 and "revoked" in refused.json()["error"]["message"]
    listing = run(home, "registry", "token", "list")
    assert "revoked" in listing and token not in listing


def test_a_forged_embedded_declaration_is_refused(client: TestClient, home: dict[str, str]) -> None:
    from test_app import hostile_document

    token = Registry.open(home["ASSAY_REGISTRY_URL"]).create_token("Acme")
    document = hostile_document()
    document["declaration"] = {**document["declaration"], "support": {"end_date": "soon"}}
    files = {"firmware": ("a.json", json.dumps(document).encode(), "application/json")}
    accepted = upload(client, token, files)
    job = wait_for(client, accepted.json()["status_url"]) if accepted.status_code == 202 else None
    refused = accepted.status_code == 400 or (job is not None and job["status"] == "failed")
    assert refused, accepted.text
    assert client.get("/api/v1/products").json()["total"] == 0
