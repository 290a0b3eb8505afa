"""Norms as data: EN 303 645, CRA Annex I, UK PSTI and NIST IR 8425, with verdicts.

``load_catalog()`` reads and validates ``data/*.yaml``; ``evaluate(assessment)`` gives every
requirement of every norm a ``RequirementVerdict`` with the evidence or missing input behind it.
"""

from assay.norms.catalog import Catalog, Norm, Requirement, load_catalog
from assay.norms.evaluate import evaluate

__all__ = ["Catalog", "Norm", "Requirement", "evaluate", "load_catalog"]
