"""A supplier's SBOM in a scan: compare it with what the scan measured, keep the comparison in
the assessment (``facts["supplier_sbom"]``) and judge the norms again, so that the CRA's SBOM
requirement sees it (``assay scan --supplier-sbom FILE``; docs/supply-chain.md)."""

from __future__ import annotations

import json
from typing import Any

from assay.extract.rootfs import RootFS
from assay.model.assessment import Assessment
from assay.supply.compare import Comparison, compare
from assay.supply.declared import SupplierSbom
from assay.supply.inventory import Inventory

FACT = "supplier_sbom"


def inventory_of(assessment: Assessment | dict[str, Any], roots: list[RootFS]) -> Inventory:
    """The measured inventory of an assessment (object or its JSON form)."""
    data = assessment if isinstance(assessment, dict) else assessment.to_dict()
    plain = json.loads(json.dumps({k: data.get(k) for k in ("target", "components")}))
    return Inventory.from_assessment(plain, roots)


def attach(assessment: Assessment, roots: list[RootFS], sbom: SupplierSbom) -> Comparison:
    """Compare ``sbom`` with the scanned image (hashing its files while ``roots`` exist), store
    the summary in the assessment and evaluate the norms again."""
    from assay.norms import evaluate

    comparison = compare(sbom, inventory_of(assessment, roots))
    assessment.facts[FACT] = comparison.summary()
    assessment.verdicts = evaluate(assessment)
    return comparison
