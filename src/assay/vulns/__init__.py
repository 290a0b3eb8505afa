"""Vulnerability intelligence: offline feeds, a local SQLite store, exact matching with
reasons, and an SSVC-style priority.

Entry points (the hand-off to ``assay.pipeline``)::

    store = open_store(path)                      # None: default store, else bundled snapshot
    matches = match_assessment(assessment, store)  # list[VulnerabilityMatch]
"""

from assay.vulns.matching import match_assessment, match_components
from assay.vulns.store import Store, open_store

__all__ = ["Store", "match_assessment", "match_components", "open_store"]
