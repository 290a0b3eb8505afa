"""The accountability ledger on real vulnerability dates (NVD, CISA KEV) and fixed dates."""

from __future__ import annotations

from datetime import date

from assay.accountability import (
    Product,
    Release,
    Vulnerability,
    manufacturer_ledger,
    product_ledger,
)

TODAY = date(2026, 11, 27)
ALL = frozenset({"CVE-2012-0920", "CVE-2013-2094", "CVE-2014-3153", "CVE-2016-5195"})


def wr703n_history() -> Product:
    return Product(
        key="tp-link/tl-wr703n/v1",
        manufacturer="TP-Link",
        name="TL-WR703N",
        support_end=date(2023, 12, 31),
        fix_time_days=90,
        on_sale=False,
        releases=(
            Release("12.09", date(2013, 4, 25), ALL),
            Release("12.09.1", date(2013, 10, 1), frozenset({"CVE-2014-3153", "CVE-2016-5195"})),
            Release("14.07", date(2014, 10, 1), frozenset({"CVE-2016-5195"})),
            Release("24.10", date(2024, 3, 1)),
        ),
    )


def mr3020_history() -> Product:
    kevs = frozenset({"CVE-2013-2094", "CVE-2014-3153", "CVE-2016-5195"})
    return Product(
        key="tp-link/tl-mr3020/v1",
        manufacturer="TP-Link",
        name="TL-MR3020",
        support_end=date(2027, 6, 30),
        fix_time_days=30,
        releases=(Release("12.09", date(2013, 4, 25), kevs),),
    )


def test_real_dates_are_loaded(vulns: dict[str, Vulnerability]) -> None:
    assert vulns["CVE-2016-5195"].kev_added == date(2022, 3, 3)
    assert vulns["CVE-2014-3153"].kev_added == date(2022, 5, 25)
    assert vulns["CVE-2013-2094"].kev_added == date(2022, 9, 15)
    assert vulns["CVE-2012-0920"].kev_added is None
    assert vulns["CVE-2016-5195"].published == date(2016, 11, 10)


def test_fixed_product_history(vulns: dict[str, Vulnerability]) -> None:
    ledger = product_ledger(wr703n_history(), vulns, TODAY)
    got = {e.id: e for e in ledger.entries}
    # dropbear: exposure starts with the first release (the CVE was public before it)
    e = got["CVE-2012-0920"]
    assert (e.exposed_from, e.fixed_in, e.fixed_on, e.days_to_fix) == (
        date(2013, 4, 25),
        "12.09.1",
        date(2013, 10, 1),
        159,
    )
    assert e.late is True and e.kev_exposure_days == 0
    # published after the first release: the clock starts at publication
    e = got["CVE-2013-2094"]
    assert (e.exposed_from, e.fixed_in, e.days_to_fix, e.late) == (
        date(2013, 5, 14),
        "12.09.1",
        140,
        True,
    )
    assert e.kev_exposure_days == 0  # fixed years before it entered the KEV catalogue
    e = got["CVE-2014-3153"]
    assert (e.fixed_in, e.days_to_fix) == ("14.07", 116)
    # Dirty COW: fixed only by the release after the support end
    e = got["CVE-2016-5195"]
    assert (e.fixed_in, e.fixed_on, e.days_to_fix) == ("24.10", date(2024, 3, 1), 2668)
    assert e.kev_exposure_days == 729  # 2022-03-03 (KEV) to 2024-03-01 (fix)
    assert ledger.kev_exposure_days == 729
    assert ledger.support_state == "ended" and ledger.support_days_left == -1062
    assert [r.version for r in ledger.releases_after_support_end] == ["24.10"]
    assert ledger.unfixed_kev == () and not ledger.unfixed_kev_while_supported


def test_open_kevs_on_a_supported_product(vulns: dict[str, Vulnerability]) -> None:
    ledger = product_ledger(mr3020_history(), vulns, TODAY)
    assert ledger.support_state == "supported" and ledger.support_days_left == 215
    assert ledger.unfixed_kev == ("CVE-2013-2094", "CVE-2014-3153", "CVE-2016-5195")
    assert ledger.unfixed_kev_while_supported
    days = {e.id: (e.days_to_fix, e.kev_exposure_days, e.late) for e in ledger.entries}
    assert days == {
        "CVE-2013-2094": (4945, 1534, True),
        "CVE-2014-3153": (4556, 1647, True),
        "CVE-2016-5195": (3669, 1730, True),
    }
    assert ledger.kev_exposure_days == 1534 + 1647 + 1730


def test_regression_reopens_and_unknown_fix_time() -> None:
    product = Product(
        "x/y/1",
        "X",
        "Y",
        releases=(
            Release("1", date(2020, 1, 1), frozenset({"CVE-2014-3153"})),
            Release("2", date(2020, 2, 1)),
            Release("3", date(2020, 3, 1), frozenset({"CVE-2014-3153"})),
        ),
    )
    ledger = product_ledger(product, {}, date(2020, 3, 11))
    (entry,) = ledger.entries
    assert entry.open and entry.fixed_in == ""
    assert entry.days_to_fix == 70  # no publication date known: from the first release
    assert entry.late is None  # nothing was declared
    assert ledger.support_state == "undeclared"
    assert not ledger.unfixed_kev  # no KEV date known


def test_manufacturer_totals_and_json(vulns: dict[str, Vulnerability]) -> None:
    out = manufacturer_ledger([wr703n_history(), mr3020_history()], vulns, TODAY)
    totals = out["TP-Link"]["totals"]
    assert totals == {
        "products": 2,
        "vulnerabilities": 7,
        "open": 3,
        "late": 7,
        "kev_exposure_days": 729 + 1534 + 1647 + 1730,
        "products_with_unfixed_kev_while_supported": ["tp-link/tl-mr3020/v1"],
        "releases_after_support_end": 1,
    }
    first = out["TP-Link"]["products"][0]
    assert first["support"] == {"end": "2023-12-31", "state": "ended", "days_left": -1062}
    assert first["releases_after_support_end"] == [{"version": "24.10", "released": "2024-03-01"}]


def test_no_fix_promised_after_the_support_end(vulns: dict[str, Vulnerability]) -> None:
    """The bundled sample declares support until 2016-04-30 and fixes within 90 days: Dirty
    COW (published 2016-11-10) came after the support end, so no promise was broken by it;
    CVE-2014-3153 (published 2014-06-07) was exposed while supported and is late."""
    product = Product(
        "x/wr703n/1",
        "X",
        "TL-WR703N",
        support_end=date(2016, 4, 30),
        fix_time_days=90,
        releases=(Release("12.09", date(2013, 3, 23), frozenset(vulns) - {"CVE-2012-0920"}),),
    )
    entries = {e.id: e for e in product_ledger(product, vulns, TODAY).entries}
    assert entries["CVE-2016-5195"].after_support_end and entries["CVE-2016-5195"].late is None
    assert entries["CVE-2016-5195"].days_to_fix == (TODAY - date(2016, 11, 10)).days  # counted
    assert not entries["CVE-2014-3153"].after_support_end and entries["CVE-2014-3153"].late
