"""Only evidence Assay produced earns a level: scanned here, or signed by a trusted scanner key.
Everything else is self-asserted (SQLite and PostgreSQL)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from registry_documents import make_document
from sqlalchemy import text

from assay.errors import InputError
from assay.present.label import build_label
from assay.present.label.build import mandatory_en303645
from assay.present.signing import generate, public_text, sign
from assay.registry import NotFound, Registry


def flawless(**extra: Any) -> dict[str, Any]:
    """A hand-edited document: every mandatory EN 303 645 provision PASS, nothing found."""
    doc = make_document(**extra)
    doc["vulnerabilities"], doc["findings"] = [], []
    doc["verdicts"] = [
        {"norm": "en303645", "requirement": r, "verdict": "PASS", "title": "", "reason": "forged"}
        for r in mandatory_en303645()
    ]
    doc["declaration"]["vulnerability_disclosure"] = {"contact": ["mailto:psirt@acme.example"]}
    return doc


def yes_facts(label_dict: dict[str, Any]) -> list[str]:
    return [k for k, v in label_dict["facts"].items() if isinstance(v, dict) and v.get("value")]


def test_the_document_would_earn_level_2_if_believed() -> None:
    assert build_label(flawless()).level.value == 2  # the forgery is a good one


def test_a_forged_document_is_self_asserted_with_no_level_and_no_yes(registry: Registry) -> None:
    stored = registry.add(flawless())
    assert (stored.provenance, stored.level) == ("self-asserted", 0)
    detail = registry.product(stored.product_slug)
    assert detail.summary.level == 0
    assert detail.latest is not None and detail.latest.self_asserted
    assert detail.latest.to_dict()["provenance_text"].startswith("self-asserted by Acme")
    label = build_label(detail.latest.summary, self_asserted_by="Acme").to_dict()
    assert label["level"]["value"] == 0 and yes_facts(label) == []
    assert label["self_asserted_by"] == "Acme"
    assert "Self-asserted by Acme" in label["text"]
    assert "self-asserted" in detail.history[0].detail


def test_signed_by_a_trusted_key_earns_the_level(registry: Registry, tmp_path: Path) -> None:
    key = generate(tmp_path / "lab.pem")
    trusted = registry.trust_key(public_text(key.public_key()), "Acme CI")
    stored = registry.add(sign(flawless(), key))
    assert (stored.provenance, stored.level) == ("signed", 2)
    latest = registry.product(stored.product_slug).latest
    assert latest is not None and latest.signed_by == trusted.key_id
    assert not latest.self_asserted
    # the key file beside it is what `registry trust-key` reads
    assert (tmp_path / "lab.pub").read_text().strip() == trusted.public_key


def test_untrusted_altered_and_distrusted_signatures_are_self_asserted(
    registry: Registry, tmp_path: Path
) -> None:
    trusted = generate(tmp_path / "trusted.pem")
    stranger = generate(tmp_path / "stranger.pem")
    registry.trust_key(public_text(trusted.public_key()))
    assert registry.add(sign(flawless(sha="1" * 64), stranger)).provenance == "self-asserted"
    # a stranger's key that names the trusted key's id and carries its own public key
    forged = sign(flawless(sha="2" * 64), stranger)
    forged["signature"]["key_id"] = registry.trusted_keys()[0].key_id
    assert registry.add(forged).provenance == "self-asserted"
    altered = sign(flawless(sha="3" * 64), trusted)
    altered["verdicts"][0]["reason"] = "changed after signing"
    assert registry.add(altered).provenance == "self-asserted"
    unsigned_block = sign(flawless(sha="4" * 64), trusted)
    unsigned_block["signature"]["value"] = "not base64!"
    assert registry.add(unsigned_block).provenance == "self-asserted"
    good = sign(flawless(sha="5" * 64), trusted)
    assert registry.add(copy.deepcopy(good)).provenance == "signed"
    registry.distrust_key(registry.trusted_keys()[0].key_id)
    assert registry.add(good).provenance == "self-asserted"
    assert registry.product("acme-ac-1-v1").summary.level == 0


def test_a_scanned_document_is_assays_own(registry: Registry) -> None:
    stored = registry.add(flawless(), scanned=True)
    assert (stored.provenance, stored.level) == ("scanned", 2)


def test_an_embedded_declaration_is_checked_against_the_schema(registry: Registry) -> None:
    bad = flawless()
    bad["declaration"]["support"]["end_date"] = "not a date"
    bad["declaration"]["nonsense"] = {"x": 1}
    with pytest.raises(InputError, match="declaration inside the assessment"):
        registry.add(bad)
    assert registry.count_products() == 0


def test_tokens_are_revoked_by_secret_or_number(registry: Registry) -> None:
    first = registry.create_token("Acme", note="CI")
    second = registry.create_token("Acme", note="laptop")
    assert registry.manufacturer_for_token(first) == "Acme"
    assert registry.revoke_token(first).revoked
    with pytest.raises(NotFound, match="revoked"):
        registry.manufacturer_for_token(first)
    number = registry.tokens("Acme")[1].id
    registry.revoke_token(str(number))
    with pytest.raises(NotFound):
        registry.manufacturer_for_token(second)
    assert [x.revoked for x in registry.tokens()] == [True, True]
    with pytest.raises(NotFound):
        registry.revoke_token("assay_unknown")
    with pytest.raises(NotFound):
        registry.revoke_token("99999999999999999999")


def test_upgrade_to_0004_takes_levels_from_unverified_assessments(registry_url: str) -> None:
    """Data stored under 0003 (here: downgraded to it) cannot be told from a forgery: after
    0004 it is self-asserted with no level; the downgrade keeps everything else."""
    from alembic import command
    from alembic.config import Config

    from assay.registry.db import MIGRATIONS

    registry = Registry.open(registry_url)
    stored = registry.add(flawless(), scanned=True)
    assert stored.level == 2
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with registry.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0003")
        assert conn.execute(text("select level from products")).scalar() == 2
        command.upgrade(config, "head")
    detail = registry.product(stored.product_slug)
    assert detail.summary.level == 0
    assert detail.latest is not None and detail.latest.provenance == "self-asserted"
    assert registry.trusted_keys() == []
    registry.close()
