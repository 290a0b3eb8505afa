"""The registry on SQLite and on a real PostgreSQL server (each test runs on both)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from registry_documents import make_document
from sqlalchemy import func, select, text

from assay.errors import InputError, StoreError, UsageError
from assay.registry import Forbidden, NotFound, Registry
from assay.registry import repository as repo
from assay.registry import tables as t
from assay.registry.summary import brief


def _count(registry: Registry, table: type[t.Base]) -> int:
    with registry.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def test_migrations_create_exactly_the_models(registry: Registry) -> None:
    with registry.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), t.Base.metadata)
        version = conn.execute(text("select version_num from alembic_version")).scalar()
    assert diff == []
    assert version == "0009_assessment_brief"


def test_upgrade_from_0001_fills_search_text(registry_url: str) -> None:
    from alembic import command
    from alembic.config import Config

    from assay.registry.db import MIGRATIONS, make_engine, migrate

    engine = make_engine(registry_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")
        conn.execute(
            text(
                "insert into manufacturers (id, name, slug, created) "
                "values (1, 'Acme GmbH', 'acme-gmbh', CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(
            text(
                "insert into products (manufacturer_id, name, model, hardware_version, slug,"
                " created, updated, firmware_version, level, kev_count, support_until) values"
                " (1, 'Smart Plug', 'SP-2', 'v3', 'acme-gmbh-sp-2-v3', CURRENT_TIMESTAMP,"
                " CURRENT_TIMESTAMP, '1.0', 0, 0, '')"
            )
        )
    migrate(engine)
    registry = Registry(engine)
    assert [p.slug for p in registry.products("acme sp-2")] == ["acme-gmbh-sp-2-v3"]
    with engine.connect() as conn:
        assert conn.execute(text("select search_text from products")).scalar() == (
            "acme gmbh smart plug sp-2 v3"
        )
    registry.close()


def test_summary_drops_the_heavy_parts(registry: Registry) -> None:
    doc = make_document(kev=True)
    doc["vulnerabilities"][0]["why"] = {"feed": "nvd", "criteria": ["x"] * 100}
    doc["findings"][0]["evidence"] = [{"path": "/etc/shadow", "line": 1, "excerpt": "root::0"}]
    doc.setdefault("facts", {})["kernel_evidence"] = {"arch": "mips", "detail": {"symbols": ["a"]}}
    stored = registry.add(doc)
    with registry.sessions() as session:
        kept = session.scalar(
            select(t.AssessmentRow.summary).where(t.AssessmentRow.id == stored.assessment_id)
        )
    summary = registry.product(stored.product_slug).latest
    assert summary is not None and kept is not None
    assert summary.summary["vulnerabilities"] == [{"id": "CVE-2014-0160", "kev": True}]  # brief
    summary = replace(summary, summary=kept)
    assert summary.summary["vulnerabilities"] == [
        {
            "id": "CVE-2014-0160",
            "aliases": None,
            "component": "openssl@1.0.1",
            "severity": "high",
            "cvss_score": 7.5,
            "kev": True,
            "priority": None,
        }
    ]
    assert "evidence" not in summary.summary["findings"][0]
    # a match that does not count keeps the one line that says why
    from assay.registry.summary import summarize
    from assay.vulns.counts import why_not

    decided = {"applicability": {"reason": "arm only; this is mips", "evidence": ["x"] * 50}}
    cut = dict(doc["vulnerabilities"][0], status="not_affected", why=decided)
    (kept,) = summarize({"vulnerabilities": [cut]})["vulnerabilities"]
    assert why_not(kept) == "not affected: arm only; this is mips"
    assert kept["why"] == {"applicability": {"reason": "arm only; this is mips"}}
    assert summary.summary["facts"]["kernel_evidence"] == {"arch": "mips"}  # no symbol lists
    assert registry.assessment(stored.assessment_id).document["facts"]["kernel_evidence"]["detail"]
    assert summary.summary["component_count"] == 1
    assert summary.summary["build_date"] == ""  # no kernel banner in this document
    assert registry.assessment(stored.assessment_id).document["findings"][0]["evidence"]


def test_migration_0009_backfills_the_brief(registry_url: str) -> None:
    from alembic import command
    from alembic.config import Config

    from assay.registry.db import MIGRATIONS

    registry = Registry.open(registry_url)
    doc = make_document(kev=True)
    ignored = dict(doc["vulnerabilities"][0], id="CVE-2000-0001", status="not_affected")
    doc["vulnerabilities"].append(ignored)
    stored = registry.add(doc)
    other = registry.add(make_document("Other", sha="b" * 64))
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with registry.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0008_firmware_latest")
        command.upgrade(config, "head")
        rows = dict(conn.execute(select(t.AssessmentRow.id, t.AssessmentRow.brief)).all())
        summaries = dict(conn.execute(select(t.AssessmentRow.id, t.AssessmentRow.summary)).all())
    assert rows[stored.assessment_id] == brief(summaries[stored.assessment_id])
    assert rows[stored.assessment_id]["vulnerabilities"] == [{"id": "CVE-2014-0160", "kev": True}]
    assert rows[other.assessment_id]["vulnerabilities"] == [{"id": "CVE-2014-0160"}]
    assert rows[stored.assessment_id]["verdicts"] == summaries[stored.assessment_id]["verdicts"]
    latest = registry.product(stored.product_slug).latest
    assert latest is not None and latest.summary == rows[stored.assessment_id]
    registry.close()


def test_open_twice_is_a_no_op(registry_url: str) -> None:
    Registry.open(registry_url).close()
    again = Registry.open(registry_url)
    assert again.products() == []
    again.close()


def test_add_stores_product_firmware_declaration_and_tables(registry: Registry) -> None:
    stored = registry.add(make_document(kev=True))
    assert stored.new_product and stored.new_firmware
    assert stored.product_slug == "acme-ac-1-v1"
    detail = registry.product(stored.product_slug)
    assert detail.summary.manufacturer == "Acme"
    assert detail.summary.name == "Acme Router"
    assert detail.summary.support_until == "2030-06-30"
    assert detail.summary.kev_count == 1
    assert detail.summary.level == 0  # 5.1-1 fails: no level
    assert detail.declaration is not None
    assert detail.declaration["support"]["end_date"] == "2030-06-30"
    assert detail.latest is not None
    assert detail.latest.summary["target"]["sha256"] == "a" * 64
    assert detail.latest.document == {}  # pages read the brief; the document on request
    full = registry.assessment(detail.latest.id)
    assert full.document["findings"][0]["evidence"] == []
    assert brief(full.summary) == detail.latest.summary
    assert [f.version for f in detail.firmware] == ["1.0"]
    for table in (t.ComponentRow, t.FindingRow, t.VerdictRow, t.VulnerabilityRow):
        assert _count(registry, table) == 1
    with registry.sessions() as session:
        kev = session.scalar(select(t.VulnerabilityRow.kev))
        verdict = session.scalar(select(t.VerdictRow.reason))
    assert kev is True
    assert verdict == "root has no password"
    assert {e.kind for e in detail.history} == {
        "registered",
        "firmware",
        "declaration",
        "assessment",
    }


def test_history_across_firmware_versions(registry: Registry) -> None:
    registry.add(make_document(firmware="1.0", sha="a" * 64))
    again = registry.add(make_document(firmware="1.0", sha="a" * 64))
    newer = registry.add(make_document(firmware="1.1", sha="b" * 64))
    assert not again.new_product and not again.new_firmware
    assert newer.new_firmware and not newer.new_product
    detail = registry.product("acme-ac-1-v1")
    assert [f.version for f in detail.firmware] == ["1.1", "1.0"]
    assert detail.firmware[1].assessments == (1, 2)
    assert detail.summary.firmware_version == "1.1"
    assert detail.latest is not None and detail.latest.id == newer.assessment_id
    # the repeated 1.0 declaration is kept once; 1.1 declares another firmware version
    assert _count(registry, t.Declaration) == 2


def test_search_matches_every_word_in_any_field(registry: Registry) -> None:
    registry.add(make_document("Acme", "AC-1"))
    registry.add(make_document("Globex", "GX-9"))
    registry.add(make_document("100% Devices", "P_1"))
    assert [p.model for p in registry.products("acme")] == ["AC-1"]
    assert [p.model for p in registry.products("GLOBEX gx-9")] == ["GX-9"]
    assert registry.products("acme gx-9") == []
    assert [p.model for p in registry.products("100%")] == ["P_1"]  # % is not a wildcard
    assert registry.products("P_") != [] and registry.products("C_") == []
    assert registry.count_products() == 3
    assert len(registry.products(limit=2)) == 2


def test_declaration_argument_replaces_the_embedded_one(registry: Registry) -> None:
    declaration = make_document("Initech", "IN-7")["declaration"]
    stored = registry.add(make_document(), declaration)
    assert stored.product_slug == "initech-in-7-v1"


def test_identity_is_used_without_a_declaration(registry: Registry) -> None:
    doc = make_document(
        declaration=None,
        identity={
            "vendor": "TP-Link",
            "model": "TL-WR703N",
            "os_name": "OpenWrt",
            "os_version": "12.09",
        },
    )
    stored = registry.add(doc)
    detail = registry.product(stored.product_slug)
    assert (detail.summary.manufacturer, detail.summary.model) == ("TP-Link", "TL-WR703N")
    assert detail.summary.firmware_version == "OpenWrt 12.09"
    assert detail.summary.support_until == ""


def test_unknown_product_is_a_clear_input_error(registry: Registry) -> None:
    with pytest.raises(InputError, match="no manufacturer or model"):
        registry.add(make_document(declaration=None))
    assert _count(registry, t.Product) == 0


def test_token_of_another_manufacturer_changes_nothing(registry: Registry) -> None:
    registry.add(make_document("Acme", "AC-1"))
    with pytest.raises(Forbidden, match="belongs to 'Globex'"):
        registry.add(make_document("Acme", "AC-1", firmware="2.0"), as_manufacturer="Globex")
    assert _count(registry, t.AssessmentRow) == 1
    assert _count(registry, t.Firmware) == 1
    registry.add(make_document("Acme", "AC-1", firmware="2.0"), as_manufacturer="Acme")
    assert _count(registry, t.Firmware) == 2


def test_failed_add_leaves_the_registry_as_it_was(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry.add(make_document("Acme", "AC-1"))
    before = {table: _count(registry, table) for table in t.Base.__subclasses__()}

    def orphan_rows(
        assessment_id: int, document: object, vulns: object
    ) -> list[tuple[type, list[dict[str, object]]]]:
        # a real database failure half-way: a finding pointing at no assessment
        finding = {"assessment_id": assessment_id + 1000, "check": "x", "verdict": "FAIL"}
        return [(t.FindingRow, [{**finding, "severity": "low", "title": ""}])]

    monkeypatch.setattr(repo, "_children", orphan_rows)
    with pytest.raises(StoreError, match="nothing was stored|cannot store"):
        registry.add(make_document("Globex", "GX-9"))
    after = {table: _count(registry, table) for table in t.Base.__subclasses__()}
    assert after == before
    assert registry.products("globex") == []


def test_hostile_strings_are_stored_safely(registry: Registry) -> None:
    doc = make_document("Evil\x00 Corp", "<script>alert(1)</script>")
    doc["components"][0]["name"] = "busy\x00box"
    stored = registry.add(doc)
    detail = registry.product(stored.product_slug)
    assert detail.summary.manufacturer == "Evil Corp"
    assert detail.summary.model == "<script>alert(1)</script>"
    assert stored.product_slug == "evil-corp-script-alert-1-script-v1"


def test_tokens_are_stored_hashed_and_bound(registry: Registry) -> None:
    token = registry.create_token("Acme", note="CI uploads")
    assert token.startswith("assay_") and len(token) > 40
    assert registry.manufacturer_for_token(token) == "Acme"
    with registry.sessions() as session:
        stored = session.scalar(select(t.ApiToken.token_sha256))
    assert stored == repo.token_digest(token) and token not in stored
    with pytest.raises(NotFound):
        registry.manufacturer_for_token("assay_not-a-token")


def test_missing_product_and_assessment(registry: Registry) -> None:
    with pytest.raises(NotFound, match="no product 'nope'"):
        registry.product("nope")
    with pytest.raises(NotFound, match="no assessment 7"):
        registry.assessment(7)


def test_verdict_counts_come_from_the_table(registry: Registry) -> None:
    stored = registry.add(make_document())
    assert registry.verdict_counts(stored.assessment_id) == {"en303645": {"FAIL": 1}}


def test_bad_urls_fail_clearly(tmp_path: object) -> None:
    with pytest.raises(UsageError, match="not a database URL"):
        Registry.open("not a url")
    with pytest.raises(UsageError, match="not supported"):
        Registry.open("mysql://localhost/x")
    with pytest.raises(StoreError, match="cannot open the registry"):
        Registry.open("postgresql://nobody:wrong@127.0.0.1:1/none")
