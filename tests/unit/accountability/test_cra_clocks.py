"""CRA Article 14 clocks with fixed dates, on a real KEV match of the WR703N image."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from assay.accountability import (
    ReportCase,
    case_summary,
    cases_from_assessment,
    deadlines,
    next_due,
    report,
    report_text,
    with_submission,
)

AWARE = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


@pytest.fixture
def dirty_cow(wr703n: dict[str, Any], kev: dict[str, dict[str, Any]]) -> ReportCase:
    cases = cases_from_assessment(wr703n, kev, AWARE, member_states=("DE", "FR"))
    assert [c.vulnerability for c in cases] == ["CVE-2013-2094", "CVE-2014-3153", "CVE-2016-5195"]
    return cases[2]


def test_case_from_a_real_kev_match(dirty_cow: ReportCase) -> None:
    assert dirty_cow.product == "TP-Link TL-WR703N"
    assert dirty_cow.versions_affected == ("OpenWrt 12.09 r36088",)
    assert dirty_cow.component == "linux 3.3.8"
    assert "since 2022-03-03" in dirty_cow.exploitation
    assert dirty_cow.mitigation == "Apply updates per vendor instructions."


def test_deadlines_and_next_due(dirty_cow: ReportCase) -> None:
    ew, note, final = deadlines(dirty_cow)
    assert ew.due == datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    assert note.due == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    assert final.due is None
    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    first = next_due(dirty_cow, now)
    assert first is not None and first.stage == "early_warning"
    assert first.to_dict(now)["hours_left"] == 21.0 and first.state(now) == "open"
    # early warning sent in time; three days later the notification is overdue
    sent = with_submission(dirty_cow, "early_warning", datetime(2026, 11, 28, 8, 0, tzinfo=UTC))
    later = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    nxt = next_due(sent, later)
    assert nxt is not None and (nxt.stage, nxt.state(later)) == ("notification", "overdue")
    assert deadlines(sent)[0].state(later) == "submitted"
    assert deadlines(sent)[2].state(later) == "waiting_for_fix"


def test_final_report_is_due_14_days_after_the_fix(dirty_cow: ReportCase) -> None:
    fixed = replace(
        dirty_cow,
        fix_available_at=datetime(2026, 12, 5, 10, 0, tzinfo=UTC),
        fixed_in="OpenWrt 12.09.1",
    )
    assert deadlines(fixed)[2].due == datetime(2026, 12, 19, 10, 0, tzinfo=UTC)
    late = with_submission(fixed, "early_warning", datetime(2026, 11, 29, tzinfo=UTC))
    assert deadlines(late)[0].state(datetime(2026, 12, 1, tzinfo=UTC)) == "submitted_late"
    done = late
    for stage in ("notification", "final_report"):
        done = with_submission(done, stage, datetime(2026, 12, 10, tzinfo=UTC))
    assert next_due(done, datetime(2026, 12, 10, tzinfo=UTC)) is None


def test_clock_does_not_start_before_the_obligation_applies(dirty_cow: ReportCase) -> None:
    early = replace(dirty_cow, aware_at=datetime(2026, 5, 1, tzinfo=UTC))
    assert deadlines(early)[0].due == datetime(2026, 9, 12, tzinfo=UTC)
    assert deadlines(early)[1].due == datetime(2026, 9, 14, tzinfo=UTC)


def test_report_content_per_stage(dirty_cow: ReportCase) -> None:
    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    ew = report(dirty_cow, "early_warning", now)
    assert set(ew["content"]) == {
        "product",
        "versions_affected",
        "vulnerability",
        "exploitation",
        "member_states",
        "aware_at",
    }
    assert ew["content"]["member_states"] == ["DE", "FR"] and ew["missing"] == []
    note = report(dirty_cow, "notification", now)
    assert note["content"]["component"] == "linux 3.3.8"
    assert note["content"]["cvss"].startswith("CVSS:3.1/")
    final = report(dirty_cow, "final_report", now)
    assert set(final["missing"]) == {"fixed_in", "fix_available_at", "actor"}
    text = report_text(dirty_cow, "early_warning", now)
    assert text.splitlines()[0] == "Early warning: CVE-2016-5195 in TP-Link TL-WR703N"
    assert "Due: 2026-11-28T09:00:00+00:00 (open)" in text
    summary = case_summary(dirty_cow, now)
    assert summary["next_due"]["stage"] == "early_warning"
    with pytest.raises(ValueError):
        report(dirty_cow, "postcard", now)
