"""Assay: security assurance for connected products.

The pipeline, one package per stage::

    extract  -> catalog -> vulns -> checks -> norms -> present
    (unblob)   (SBOM)     (match)  (image)   (verdicts) (SBOM, report, label)

``assay.pipeline.assess`` runs it; ``registry``, ``web`` and ``cli`` sit at the edges.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
