"""Targets that are not firmware images: what the scan target is, decided from its content.

``sbom_format(path)`` says whether a file is an SBOM (CycloneDX JSON/XML, SPDX 2.x JSON or
tag-value, SPDX 3.0 JSON-LD, a Buildroot or OpenWrt manifest) and ``assess_sbom`` assesses it
without an image: the SBOM's components are matched, judged and labelled, and every check
that needs the image's files says so. Container image archives (``docker save``, OCI image
layout) are unpacked by the extraction worker (``assay.extract.container``); a JSON or XML
file that is none of these is refused by ``refuse_document`` with a one-line error.
"""

from __future__ import annotations

from assay.ingest.sbom import assess_sbom, refuse_document, sbom_format

__all__ = ["assess_sbom", "refuse_document", "sbom_format"]
