"""The developer report: ``report.html`` (self-contained) and ``report.md`` from an Assessment.

``write_reports(assessment, out_dir) -> list[Path]``. The HTML has its CSS inlined, no
external assets and no script; every string that came from the image is escaped (Jinja2
autoescape). Layout: a summary a manager can read, the fixes in priority order with evidence
and how to fix, then a compliance matrix per norm.
"""

from assay.present.report.render import render_html, render_markdown, write_reports

__all__ = ["render_html", "render_markdown", "write_reports"]
