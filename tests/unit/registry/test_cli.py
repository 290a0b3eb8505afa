"""``assay registry add|list|show|token`` through the real CLI entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from registry_documents import make_document

from assay.cli import main

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "data" / "declarations" / "openwrt-wr703n.sample.yaml"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_add_list_show_with_json(
    registry_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "assessment.json"
    source.write_text(json.dumps(make_document()))
    code, out, err = run(
        capsys,
        "registry",
        "add",
        str(source),
        "--declaration",
        str(SAMPLE),
        "--registry",
        registry_url,
        "--json",
    )
    assert code == 0, err
    stored = json.loads(out)
    slug = "sample-router-works-ltd-fictitious-tl-wr703n-v1"
    assert stored["product_slug"] == slug and stored["new_product"] is True

    code, out, _ = run(capsys, "registry", "list", "wr703n", "--registry", registry_url, "--json")
    assert code == 0
    assert [p["slug"] for p in json.loads(out)] == [slug]
    code, out, _ = run(capsys, "registry", "list", "--registry", registry_url)
    assert out.startswith(slug) and "updates until 2016-04-30" in out

    code, out, _ = run(capsys, "registry", "show", slug, "--registry", registry_url, "--json")
    detail = json.loads(out)
    assert detail["support_until"] == "2016-04-30"
    assert detail["declaration"]["product"]["model"] == "TL-WR703N"
    assert detail["latest_assessment"]["id"] == stored["assessment_id"]
    code, out, _ = run(capsys, "registry", "show", slug, "--registry", registry_url)
    assert "security updates until: 2016-04-30" in out
    code, out, _ = run(capsys, "registry", "show", "pocket router", "--registry", registry_url)
    assert code == 0 and "security updates until: 2016-04-30" in out


def test_clear_errors(
    registry_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "registry", "show", "nope", "--registry", registry_url)
    assert code == 3 and "no product 'nope' in the registry" in err
    for model in ("AC-1", "AC-2"):
        doc = tmp_path / f"{model}.json"
        doc.write_text(json.dumps(make_document(model=model)))
        assert run(capsys, "registry", "add", str(doc), "--registry", registry_url)[0] == 0
    code, _, err = run(capsys, "registry", "show", "acme", "--registry", registry_url)
    assert code == 3 and "2 products match 'acme': acme-ac-2-v1, acme-ac-1-v1" in err
    broken = tmp_path / "assessment.json"
    broken.write_text("{ nope")
    code, _, err = run(capsys, "registry", "add", str(broken), "--registry", registry_url)
    assert code == 3 and "not a JSON assessment" in err
    good = tmp_path / "good.json"
    good.write_text(json.dumps(make_document()))
    bad_declaration = tmp_path / "d.yaml"
    bad_declaration.write_text("schema_version: '1'\nmanufacturer: {name: X}\n")
    code, _, err = run(
        capsys,
        "registry",
        "add",
        str(good),
        "--declaration",
        str(bad_declaration),
        "--registry",
        registry_url,
    )
    assert code == 3 and "declaration d.yaml" in err
    code, _, err = run(
        capsys, "registry", "add", str(tmp_path / "missing.bin"), "--registry", registry_url
    )
    assert code == 3 and "no such file" in err
    code, out, _ = run(capsys, "registry", "list", "--registry", registry_url, "--json")
    assert len(json.loads(out)) == 2  # only the two good ones: the failures stored nothing


def test_token(registry_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "registry", "token", "Acme", "--registry", registry_url)
    assert code == 0 and out.strip().startswith("assay_")
    secret = out.strip()
    code, out, _ = run(
        capsys, "registry", "token", "create", "Acme", "--note", "CI", "--registry", registry_url
    )
    assert code == 0 and out.strip().startswith("assay_")
    code, out, _ = run(capsys, "registry", "token", "list", "--registry", registry_url, "--json")
    listed = json.loads(out)
    assert [(x["manufacturer"], x["note"], x["revoked"]) for x in listed] == [
        ("Acme", "", False),
        ("Acme", "CI", False),
    ]
    assert secret not in out
    code, out, _ = run(capsys, "registry", "token", "revoke", secret, "--registry", registry_url)
    assert code == 0 and f"revoked token {listed[0]['id']} of Acme" in out
    code, out, err = run(capsys, "registry", "token", "revoke", "nope", "--registry", registry_url)
    assert code == 3 and "neither a token nor a token number" in err


def test_keys_and_trust(
    registry_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = tmp_path / "k" / "lab.pem"
    code, out, err = run(capsys, "keys", "generate", "--out", str(key))
    assert code == 0, err
    code, out, err = run(capsys, "keys", "generate", "--out", str(key))
    assert code == 2 and "a key is already there" in err  # never overwritten
    code, out, _ = run(capsys, "keys", "list", "--dir", str(key.parent), "--json")
    (listed,) = json.loads(out)
    pub = key.with_suffix(".pub")
    code, out, err = run(capsys, "registry", "trust-key", str(pub), "--registry", registry_url)
    assert code == 0 and listed["key_id"] in out, err
    code, out, err = run(
        capsys, "registry", "trust-key", "ed25519:AAAA", "--registry", registry_url
    )
    assert code == 3 and "not an Ed25519 public key" in err
    code, out, _ = run(capsys, "registry", "keys", "--registry", registry_url, "--json")
    assert [(k["key_id"], k["revoked"]) for k in json.loads(out)] == [(listed["key_id"], False)]
    code, out, _ = run(
        capsys, "registry", "distrust-key", listed["key_id"], "--registry", registry_url
    )
    assert code == 0
    code, out, _ = run(capsys, "registry", "keys", "--registry", registry_url)
    assert "revoked" in out


def test_default_registry_lives_in_assay_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ASSAY_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("ASSAY_REGISTRY_URL", raising=False)
    code, out, _ = run(capsys, "registry", "list", "--json")
    assert code == 0 and json.loads(out) == []
    assert (tmp_path / "home" / "registry.sqlite").is_file()
