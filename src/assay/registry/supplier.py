"""Suppliers' SBOMs kept with the product: attach one to a registered firmware, compare it with
that firmware's assessment (``assay.supply.compare``), and judge the CRA's SBOM requirement
(``assay.norms.supplier``) on it. See docs/supply-chain.md, "The registry".

The comparison uses the assessment's component list, not the image: declared hashes cannot be
checked here and are counted as such (``unchecked_hashes``).
"""

from __future__ import annotations

import functools
import hashlib
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, defer, sessionmaker

from assay.errors import InputError
from assay.registry import tables as t
from assay.registry.queries import product_row
from assay.registry.records import Forbidden, NotFound

MAX_SBOM_BYTES = 32 * 1024 * 1024
REQUIREMENT = "cra:II(1)"


def _now() -> datetime:
    return datetime.now(UTC)


@functools.cache
def minimum_fidelity() -> float:
    """The minimum fidelity CRA II(1) asks for, read from the norms data."""
    from assay.norms import load_catalog
    from assay.norms.expr import leaves
    from assay.norms.supplier import min_fidelity

    requirement = load_catalog().get(REQUIREMENT)
    for leaf in leaves(requirement.decided_by):
        if leaf.kind == "supplier_sbom":
            minimum = min_fidelity(leaf.arg)
            return 1.0 if minimum is None else minimum
    return 1.0


def read_sbom(data: bytes, file_name: str) -> Any:
    """The SBOM in ``data`` (``assay.supply.declared.SupplierSbom``); ``InputError`` when it is
    empty, too big or not an SBOM Assay reads."""
    from assay.supply.declared import load_sbom

    shown = re.sub(r"[^A-Za-z0-9._-]", "_", file_name)[-100:].lstrip(".") or "sbom"
    if not data:
        raise InputError(f"supplier SBOM {shown}: the file is empty", "give the SBOM file")
    if len(data) > MAX_SBOM_BYTES:
        raise InputError(
            f"supplier SBOM {shown}: {len(data)} bytes is over the limit of {MAX_SBOM_BYTES}",
            "give the SBOM of this firmware alone",
        )
    with tempfile.TemporaryDirectory(prefix="assay-sbom-") as folder:
        path = Path(folder) / shown
        path.write_bytes(data)
        try:
            sbom = load_sbom(path)
        except InputError as err:
            message = err.message.replace(str(path), shown)
            raise InputError(message, err.hint) from None
    sbom.path = shown
    return sbom


def compared(sbom: Any, document: dict[str, Any]) -> dict[str, Any]:
    """The comparison of ``sbom`` with one stored assessment, and the CRA II(1) judgement."""
    from assay.norms.supplier import judge
    from assay.supply.compare import compare
    from assay.supply.scan import inventory_of

    summary = compare(sbom, inventory_of(document, [])).summary()
    verdict, reasons, _, _ = judge(summary, minimum_fidelity())
    summary["requirement"] = {"id": REQUIREMENT, "verdict": str(verdict), "reasons": list(reasons)}
    return summary


_ANY_SBOM = (  # built once: the product page asks on every request
    select(t.SupplierSbomRow.id)
    .join(t.Product, t.Product.id == t.SupplierSbomRow.product_id)
    .where(t.Product.slug == bindparam("slug"))
    .limit(1)
)


class SupplierSboms:
    """The registry's supplier-SBOM methods (mixed into ``Registry``)."""

    sessions: sessionmaker[Session]

    def attach_supplier_sbom(
        self,
        slug: str,
        data: bytes,
        file_name: str,
        firmware: str = "",
        as_manufacturer: str | None = None,
    ) -> dict[str, Any]:
        """Store a supplier's SBOM of ``slug``'s firmware (a version or ``sha256:PREFIX``;
        default: the firmware of the latest assessment) with its comparison. Bad input is an
        ``InputError`` and nothing is stored."""
        sbom = read_sbom(data, file_name)
        with self.sessions.begin() as session:
            product, maker = product_row(session, slug)
            if as_manufacturer is not None and as_manufacturer != maker:
                raise Forbidden(
                    f"this token belongs to {as_manufacturer!r}, not to {maker!r}",
                    "attach SBOMs with a token of the product's manufacturer",
                )
            target = _firmware(session, product, firmware)
            assessment = session.scalar(
                select(t.AssessmentRow)
                .where(t.AssessmentRow.firmware_id == target.id)
                .order_by(t.AssessmentRow.id.desc())
                .limit(1)
            )
            comparison = compared(sbom, assessment.document) if assessment else None
            row = t.SupplierSbomRow(
                product_id=product.id,
                firmware_id=target.id,
                assessment_id=assessment.id if assessment else None,
                file_name=sbom.path,
                format=sbom.format,
                sha256=hashlib.sha256(data).hexdigest(),
                size=len(data),
                content=data,
                comparison=comparison,
                created=_now(),
            )
            session.add(row)
            session.flush()
            outcome = (
                f"{comparison['verdict']}, fidelity {comparison['fidelity']}"
                if comparison
                else "not compared: the firmware has no assessment yet"
            )
            detail = f"supplier SBOM {sbom.path} ({sbom.format}) of firmware {target.version}: "
            event = t.Event(product_id=product.id, at=_now(), kind="supplier-sbom")
            event.detail = (detail + outcome)[:2000]
            session.add(event)
            return _record(row, target, slug)

    def has_supplier_sbom(self, slug: str) -> bool:
        """Whether a supplier SBOM is attached to any firmware of the product (one indexed
        read: most products have none, and their page need not look further)."""
        with self.sessions() as session:
            found = session.scalar(_ANY_SBOM, {"slug": slug})
        return found is not None

    def supplier_sbom(self, slug: str, firmware: str = "") -> dict[str, Any] | None:
        """The latest supplier SBOM of the firmware (default: the latest assessment's), with
        its comparison; None when none is attached. When the firmware was assessed again since
        the SBOM was attached, the SBOM is compared with the newest assessment (and kept so)."""
        with self.sessions.begin() as session:
            product, _maker = product_row(session, slug)
            target = _firmware(session, product, firmware)
            row = session.scalar(
                select(t.SupplierSbomRow)
                .where(t.SupplierSbomRow.firmware_id == target.id)
                .options(defer(t.SupplierSbomRow.content))  # up to 32 MiB: only when needed
                .order_by(t.SupplierSbomRow.id.desc())
                .limit(1)
            )
            if row is None:
                return None
            newest = session.scalar(
                select(func.max(t.AssessmentRow.id)).where(t.AssessmentRow.firmware_id == target.id)
            )
            if newest is not None and newest != row.assessment_id:
                _refresh(session, row, newest)
            return _record(row, target, slug)


def _refresh(session: Session, row: t.SupplierSbomRow, assessment_id: int) -> None:
    document = session.scalar(
        select(t.AssessmentRow.document).where(t.AssessmentRow.id == assessment_id)
    )
    try:
        sbom = read_sbom(row.content, row.file_name)
    except InputError:  # stored before a reader changed: keep the comparison it had
        return
    row.comparison = compared(sbom, document or {})
    row.assessment_id = assessment_id


def _firmware(session: Session, product: t.Product, wanted: str) -> t.Firmware:
    query = select(t.Firmware).where(t.Firmware.product_id == product.id)
    if wanted.startswith("sha256:") and len(wanted) > 7:
        prefix = wanted[7:].lower()
        query = query.where(t.Firmware.sha256.startswith(prefix, autoescape=True))
    elif wanted:
        query = query.where(t.Firmware.version == wanted)
    elif product.latest_assessment_id is not None:
        query = query.join(t.AssessmentRow, t.AssessmentRow.firmware_id == t.Firmware.id).where(
            t.AssessmentRow.id == product.latest_assessment_id
        )
    found = session.scalars(query.order_by(t.Firmware.id.desc()).limit(2)).all()
    if not found:
        what = f"firmware {wanted!r}" if wanted else "firmware"
        raise NotFound(f"product {product.slug!r} has no {what}", "see its firmware history")
    if len(found) > 1 and wanted:
        raise InputError(
            f"{wanted!r} names more than one firmware of {product.slug!r}",
            "give a longer sha256: prefix",
        )
    return found[0]


def _record(row: t.SupplierSbomRow, firmware: t.Firmware, slug: str) -> dict[str, Any]:
    created = row.created if row.created.tzinfo else row.created.replace(tzinfo=UTC)
    return {
        "product": slug,
        "firmware": {"version": firmware.version, "sha256": firmware.sha256},
        "file_name": row.file_name,
        "format": row.format,
        "sha256": row.sha256,
        "size": row.size,
        "created": created.astimezone(UTC).isoformat(timespec="seconds"),
        "assessment_id": row.assessment_id,
        "comparison": row.comparison,
    }
