"""VEX and advisories: export CSAF 2.0 (VEX and security advisory profiles), OpenVEX and
CycloneDX VEX from an assessment; import any of the three back as statements that mark
vulnerability matches affected / not affected / fixed / under investigation."""

from __future__ import annotations

from assay.present.vex.csaf_export import Publisher, export_csaf
from assay.present.vex.csaf_validate import check_csaf, csaf_problems
from assay.present.vex.cyclonedx import export_cyclonedx_vex
from assay.present.vex.io import detect_format, import_vex, load_vex
from assay.present.vex.model import ProductRef, Status, VexStatement
from assay.present.vex.openvex import export_openvex
from assay.present.vex.statements import Resolution, resolve

__all__ = [
    "ProductRef",
    "Publisher",
    "Resolution",
    "Status",
    "VexStatement",
    "check_csaf",
    "csaf_problems",
    "detect_format",
    "export_csaf",
    "export_cyclonedx_vex",
    "export_openvex",
    "import_vex",
    "load_vex",
    "resolve",
]
