"""Portfolio search on SQLite and PostgreSQL (each test runs on both): version ranges decide as
the matcher's ``compare`` does on the real package versions of the bundled image and on odd
ones; a re-scan moves the firmware's latest-assessment marker; the listing order is Python's
order of (manufacturer, product, firmware); migration 0008 backfills existing registries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from registry_documents import make_document
from sqlalchemy import select, text

from assay.accountability.portfolio import OPS, Query, search
from assay.extract.rootfs import RootFS
from assay.registry import Registry
from assay.registry import tables as t
from assay.vulns.versions import compare

# versions as firmware carry them that a naive comparison gets wrong
ODD = ["2.78rc1", "2.78-rc1", "2.78", "2.78.0", "2.78a", "1.0.1e", "1.0.1", "2013-01-12", "v2.80"]
MAKERS = ["Acme", "acme", "Ärzte Technik", "Zeta", "Acme Labs"]


def real_versions(root: Path) -> list[str]:
    """The distinct package versions of the bundled image (its opkg control files)."""
    out = set()
    for control in (root / "usr/lib/opkg/info").glob("*.control"):
        for line in control.read_text().splitlines():
            if line.startswith("Version:"):
                out.add(line.split(":", 1)[1].strip())
    return sorted(out)


def with_component(doc: dict[str, Any], name: str, version: str) -> dict[str, Any]:
    purl = f"pkg:opkg/openwrt/{name}@{version}"
    return {**doc, "components": [{"name": name, "version": version, "purl": purl}]}


def hits(registry: Registry, query: Query) -> list[dict[str, Any]]:
    found = search(registry, query, limit=500)
    assert found["total"] == len(found["items"])
    return list(found["items"])


def test_version_ranges_decide_as_the_matcher(registry: Registry, wr703n_rootfs: RootFS) -> None:
    versions = real_versions(wr703n_rootfs.root)
    assert len(versions) > 20 and "2.62-2" in versions  # dnsmasq's, among others
    versions += ODD
    model_of = {}
    for i, version in enumerate(versions):
        maker = MAKERS[i % len(MAKERS)]
        doc = make_document(maker, f"M-{i}", firmware=f"1.{i}", sha=f"{i:064x}")
        registry.add(with_component(doc, "pkg", version))
        model_of[version] = f"M-{i}"
    for wanted in ["2.78", "2.78.0", "2.78rc1", "1.0.1f", "2013-01-12", "1.19.4", "0.9.33.2"]:
        for op in OPS:
            got = hits(registry, Query(component=f"pkg{op}{wanted}"))
            expected = {v for v in versions if OPS[op](compare(v, wanted))}
            assert {h["matched"][0].split(" ", 1)[1] for h in got} == expected, (op, wanted)
            assert len(got) == len(expected)
    # the listing order: manufacturer, product, firmware as Python orders the texts
    got = hits(registry, Query(component="pkg"))
    assert len(got) == len(versions)
    keys = [(h["manufacturer"], h["product"], h["firmware"]) for h in got]
    assert keys == sorted(keys)
    # PURLs are decided on the distinct stored ones
    assert len(hits(registry, Query(purl="pkg:opkg/openwrt/pkg@2.78rc1"))) == 1
    assert len(hits(registry, Query(purl="pkg:deb/debian/pkg"))) == 0


def test_a_rescan_moves_the_latest_marker(registry: Registry) -> None:
    first = registry.add(with_component(make_document(kev=True), "dnsmasq", "2.62-2"))
    assert [h["matched"] for h in hits(registry, Query(component="dnsmasq<2.78"))] == [
        ["dnsmasq 2.62-2"]
    ]
    assert len(hits(registry, Query(kev=True))) == 1
    # the same firmware scanned again: its new assessment is what search reads
    again = registry.add(with_component(make_document(kev=False), "dnsmasq", "2.80-1"))
    assert again.assessment_id > first.assessment_id and not again.new_firmware
    with registry.sessions() as session:
        marked = session.scalars(select(t.Firmware.latest_assessment_id)).all()
    assert marked == [again.assessment_id]
    assert hits(registry, Query(component="dnsmasq<2.78")) == []
    assert hits(registry, Query(kev=True)) == []
    assert [h["matched"] for h in hits(registry, Query(component="dnsmasq>=2.78"))] == [
        ["dnsmasq 2.80-1"]
    ]
    # a later firmware of the product: both firmware are listed, each with its own state
    registry.add(with_component(make_document(firmware="1.1", sha="b" * 64), "dnsmasq", "2.62-2"))
    listed = hits(registry, Query(component="dnsmasq"))
    assert [(h["firmware"], h["latest_of_product"]) for h in listed] == [
        ("1.0", False),
        ("1.1", True),
    ]
    found = search(registry, Query(component="dnsmasq<2.78"))
    assert found["total"] == 1 and found["products"] == 1
    assert found["items"][0]["firmware"] == "1.1"


def test_migration_0008_backfills_existing_registries(registry_url: str) -> None:
    from alembic import command
    from alembic.config import Config

    from assay.registry.db import MIGRATIONS

    registry = Registry.open(registry_url)
    registry.add(make_document("Ärzte Technik"))
    registry.add(make_document("Ärzte Technik"))  # a re-scan
    latest = registry.add(make_document("Acme", "AC-2", firmware="2.0", sha="c" * 64))
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with registry.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0007_component_search_index")
        command.upgrade(config, "head")
        rows = conn.execute(
            text(
                "select f.latest_assessment_id, f.listing_key, m.name, p.slug, f.version, "
                "(select max(a.id) from assessments a where a.firmware_id = f.id) "
                "from firmware f join products p on p.id = f.product_id "
                "join manufacturers m on m.id = p.manufacturer_id order by f.id"
            )
        ).all()
    assert [r[0] for r in rows] == [2, latest.assessment_id]
    for marker, key, maker, slug, version, newest in rows:
        assert marker == newest
        assert bytes(key) == t.listing_key(maker, slug, version)
    assert len(hits(registry, Query(component="busybox<1.20"))) == 2
    registry.close()


texts = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=6)


@given(st.lists(st.tuples(texts, texts, texts), max_size=8))
@example([("a", "", ""), ("a\x00", "", ""), ("a\x01", "", ""), ("a", "\x01", ""), ("ab", "", "")])
def test_listing_keys_sort_as_the_texts(triples: list[tuple[str, str, str]]) -> None:
    assert sorted(triples, key=lambda x: t.listing_key(*x)) == sorted(triples)


def test_cpe_prefixes_are_taken_literally(registry: Registry) -> None:
    cpes = ["cpe:2.3:a:dropbear_ssh_project:dropbear_ssh:2011.54", "cpe:2.3:a:dropbearXssh:x:1"]
    cpes += ["cpe:2.3:a:100%_done:x:1", "cpe:2.3:a:100abc:x:1", "cpe:2.3:a:dropbear_ssh_projecz:x"]
    for i, cpe in enumerate(cpes):
        doc = make_document(model=f"C-{i}", sha=f"{i:064x}")
        registry.add({**doc, "components": [{"name": f"c{i}", "version": "1", "cpe": cpe}]})

    def found(prefix: str) -> list[str]:
        return [h["product"] for h in hits(registry, Query(cpe=prefix))]

    assert len(found("cpe:2.3:a:dropbear_ssh_project")) == 1
    assert len(found("cpe:2.3:a:dropbear_ssh_project:*:*")) == 1
    assert len(found("cpe:2.3:a:dropbear")) == 3
    assert len(found("cpe:2.3:a:100%")) == 1
    assert len(found("cpe:2.3:a:")) == len(cpes)
    assert found("cpe:2.3:a:DROPBEAR") == []  # CPEs are lower case; the match is exact


@pytest.mark.parametrize("bad", ["dnsmasq<<2", "<2.78"])
def test_a_range_that_cannot_be_read_is_refused(registry: Registry, bad: str) -> None:
    from assay.errors import UsageError

    with pytest.raises(UsageError, match="cannot read the component query"):
        search(registry, Query(component=bad))
