"""The product page reads the brief of the latest assessment's summary (``summary.brief``,
migration 0009), not the summary: on the real WR703N assessment the page must be the same
byte for byte as when it reads the whole summary, and as when the brief is missing."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select, update

from assay.registry import tables as t
from assay.vulns.counts import counts


def test_the_page_from_the_brief_is_the_page_from_the_summary(
    wr703n_assessment: dict[str, Any], registry: Any
) -> None:
    from fastapi.testclient import TestClient

    from assay.web import Settings, create_app

    stored = registry.add(wr703n_assessment)
    # no re-audit: it would enroll the firmware between the requests and change the page
    with TestClient(create_app(Settings(reaudit_interval=0), registry)) as client:
        _same_pages(client, registry, stored)


def _same_pages(client: Any, registry: Any, stored: Any) -> None:
    page = f"/products/{stored.product_slug}"
    with registry.engine.begin() as conn:
        summary, brief = conn.execute(
            select(t.AssessmentRow.summary, t.AssessmentRow.brief).where(
                t.AssessmentRow.id == stored.assessment_id
            )
        ).one()
    counting = [v for v in summary["vulnerabilities"] if counts(v)]
    assert 0 < len(counting) < len(summary["vulnerabilities"])  # some do not count
    assert [v["id"] for v in brief["vulnerabilities"]] == [v["id"] for v in counting]
    assert {v["id"] for v in brief["vulnerabilities"] if v.get("kev")} == {
        v["id"] for v in counting if v.get("kev")
    }
    assert len(str(brief)) < len(str(summary)) / 3
    from_brief = client.get(page)
    assert from_brief.status_code == 200
    assert "known exploited" in from_brief.text

    def page_with(value: Any) -> str:
        with registry.engine.begin() as conn:
            conn.execute(
                update(t.AssessmentRow)
                .where(t.AssessmentRow.id == stored.assessment_id)
                .values(brief=value)
            )
        return moments(client.get(page).text)

    def moments(text: str) -> str:
        """The page with its clock readings as one word (CRA clocks run from the request)."""
        return re.sub(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d)?(\+00:00)?", "MOMENT", text)

    shown = moments(from_brief.text)
    whole = page_with(summary)
    if whole != shown:  # name the first differing line
        import difflib

        diff = difflib.unified_diff(shown.splitlines(), whole.splitlines(), n=0)
        raise AssertionError("\n".join(list(diff)[:12]))
    assert page_with(None) == shown  # no brief (a row written around add): made


def test_the_cra_cases_from_the_kept_facts_are_those_from_the_document(
    wr703n_assessment: dict[str, Any], registry: Any
) -> None:
    """The page keeps ``case_facts`` of an assessment instead of its whole document: the CRA
    cases (and their report texts) made from them are those made from the document, and the
    page is the same when they are kept as when they are read."""
    from datetime import UTC, datetime

    from fastapi.testclient import TestClient

    from assay.web import Settings, create_app
    from assay.web.accountability import case_facts, cases_view, report_cases

    stored = registry.add(wr703n_assessment)
    app = create_app(Settings(reaudit_interval=0), registry)
    brief = registry.product(stored.product_slug).latest.summary
    document = registry.document(stored.assessment_id)
    now = datetime.now(UTC)

    def cases(load: Any) -> Any:
        made = app.state.kev.use(lambda store: report_cases(brief, load, [], store, now))
        return made, cases_view(made, now)  # every fact of each case, and the page's view

    whole = cases(lambda: document)
    assert whole[1] and all(c["text"] for c in whole[1])  # the WR703N has known exploited ones
    assert all(c.description and c.cvss and c.component for c in whole[0])
    assert cases(lambda: case_facts(document)) == whole
    with TestClient(app) as client:
        page = f"/products/{stored.product_slug}"
        first = client.get(page).text  # the facts are read and kept
        assert list(app.state.case_cache) == [stored.assessment_id]
        second = client.get(page).text  # the kept facts
    clock = r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d)?(\+00:00)?"
    assert re.sub(clock, "T", first) == re.sub(clock, "T", second)
    assert whole[1][0]["vulnerability"] in first
