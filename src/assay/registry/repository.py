"""The registry: store assessments with their product, firmware and declaration; look them up.

``Registry.open(url)`` migrates the schema and returns a handle; every method runs in its own
transaction, so a failed ``add`` leaves the registry as it was.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from assay.errors import StoreError
from assay.present.label import build_label
from assay.present.label.declaration import support_until
from assay.present.signing import verify
from assay.registry import tables as t
from assay.registry.db import default_url, make_engine, migrate, plain_json
from assay.registry.identify import ProductKey, product_key
from assay.registry.inputs import check_declaration
from assay.registry.keys import KeysAndTokens, free_slug, manufacturer_row, token_digest
from assay.registry.queries import Queries
from assay.registry.records import SCANNED, SELF_ASSERTED, SIGNED, Forbidden, NotFound, Stored
from assay.registry.summary import brief, summarize
from assay.registry.supplier import SupplierSboms
from assay.vulns.counts import counts


def _now() -> datetime:
    return datetime.now(UTC)


def search_text(key: ProductKey) -> str:
    """What search looks in: the product's names in lower case."""
    return " ".join((key.manufacturer, key.name, key.model, key.hardware_version)).lower()


class Registry(KeysAndTokens, Queries, SupplierSboms):
    """One registry database (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        super().__init__(self.sessions)

    @classmethod
    def open(cls, url: str | None = None) -> Registry:
        """Open (and create or upgrade) the registry at ``url`` (default: ``default_url()``)."""
        engine = make_engine(url or default_url())
        migrate(engine)
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def add(
        self,
        document: dict[str, Any],
        declaration: dict[str, Any] | None = None,
        as_manufacturer: str | None = None,
        scanned: bool = False,
    ) -> Stored:
        """Store one assessment (``Assessment.to_dict()``), its product, firmware and declaration.

        ``declaration`` replaces the one inside the document. ``as_manufacturer`` (from a
        token) must be the product's manufacturer, else ``Forbidden`` and nothing is stored.
        ``scanned``: this registry made the document from the image itself. Otherwise the
        document is Assay's own only when signed by a trusted scanner key; else it is stored
        as self-asserted by its manufacturer, with no level (``docs/registry.md``).
        """
        provenance, signer = (SCANNED, "") if scanned else self._provenance(document)
        if declaration is not None:
            document = {**document, "declaration": declaration}
        elif document.get("declaration") is not None:
            check_declaration(document["declaration"], "inside the assessment")
        key = product_key(document)
        if as_manufacturer is not None and as_manufacturer != key.manufacturer:
            raise Forbidden(
                f"this token belongs to {as_manufacturer!r}, not to {key.manufacturer!r}",
                "upload with a token of the product's manufacturer",
            )
        asserted = key.manufacturer if provenance == SELF_ASSERTED else None
        label = build_label(document, self_asserted_by=asserted)
        origin = (provenance, signer)
        try:
            with self.sessions.begin() as session:
                return self._add(
                    session, document, key, label.level.value, label.kev_unfixed, origin
                )
        except SQLAlchemyError as err:
            raise StoreError(
                f"cannot store the assessment: {err.__class__.__name__}",
                "nothing was stored; check the registry database",
            ) from err

    def _provenance(self, document: dict[str, Any]) -> tuple[str, str]:
        """("signed", key id) for a valid signature of a trusted key, else self-asserted."""
        with self.sessions() as session:
            trusted = dict(
                session.execute(
                    select(t.TrustedKey.key_id, t.TrustedKey.public_key).where(
                        t.TrustedKey.revoked.is_(False)
                    )
                ).all()
            )
        verdict = verify(document, trusted)
        return (SIGNED, verdict.key_id) if verdict.trusted else (SELF_ASSERTED, "")

    def _add(
        self,
        session: Session,
        document: dict[str, Any],
        key: Any,
        level: int,
        kev: int,
        origin: tuple[str, str],
    ) -> Stored:
        now = _now()
        maker = manufacturer_row(session, key.manufacturer, now)
        product = session.scalar(
            select(t.Product).where(
                t.Product.manufacturer_id == maker.id,
                t.Product.model == key.model,
                t.Product.hardware_version == key.hardware_version,
            )
        )
        new_product = product is None
        if product is None:
            product = t.Product(
                manufacturer_id=maker.id,
                name=key.name,
                model=key.model,
                hardware_version=key.hardware_version,
                slug=free_slug(session, t.Product, key.slug),
                created=now,
                updated=now,
            )
            session.add(product)
            session.flush()
            self._event(
                session, product.id, "registered", f"registered {key.manufacturer} {key.name}"
            )
        product.name = key.name
        product.search_text = search_text(key)
        target = _mapping(document.get("target"))
        sha = _s(target.get("sha256"), 64)
        firmware = session.scalar(
            select(t.Firmware).where(
                t.Firmware.product_id == product.id,
                t.Firmware.version == key.firmware_version,
                t.Firmware.sha256 == sha,
            )
        )
        new_firmware = firmware is None
        if firmware is None:
            firmware = t.Firmware(
                product_id=product.id,
                version=key.firmware_version,
                file_name=_s(target.get("name"), 500),
                sha256=sha,
                size=int(target.get("size") or 0),
                created=now,
                listing_key=t.listing_key(maker.name, product.slug, key.firmware_version),
            )
            session.add(firmware)
            session.flush()
            self._event(session, product.id, "firmware", f"firmware {key.firmware_version}")
        declaration_id = self._store_declaration(session, product.id, document.get("declaration"))
        row = self._store_assessment(session, firmware.id, declaration_id, document, level, kev)
        row.provenance, row.signed_by = origin
        firmware.latest_assessment_id = row.id
        product.updated = now
        product.latest_assessment_id = row.id
        product.firmware_version = key.firmware_version
        product.level = level
        product.kev_count = kev
        until = support_until(document.get("declaration"))
        product.support_until = until.isoformat() if until else ""
        self._event(
            session,
            product.id,
            "assessment",
            f"assessment {row.id} of firmware {key.firmware_version} ({_origin_text(origin)}): "
            f"level {level}, {kev} known exploited unfixed",
        )
        return Stored(product.slug, row.id, new_product, new_firmware, origin[0], level)

    def _store_declaration(self, session: Session, product_id: int, content: Any) -> int | None:
        if not isinstance(content, dict):
            return None
        digest = hashlib.sha256(
            json.dumps(content, sort_keys=True, default=str).encode()
        ).hexdigest()
        latest = session.scalar(
            select(t.Declaration)
            .where(t.Declaration.product_id == product_id)
            .order_by(t.Declaration.id.desc())
            .limit(1)
        )
        if latest is not None and latest.sha256 == digest:
            return latest.id
        until = support_until(content)
        row = t.Declaration(
            product_id=product_id,
            sha256=digest,
            content=json.loads(json.dumps(content, default=str)),
            support_until=until.isoformat() if until else "",
            created=_now(),
        )
        session.add(row)
        session.flush()
        self._event(
            session,
            product_id,
            "declaration",
            "new declaration"
            + (f": security updates until {row.support_until}" if row.support_until else ""),
        )
        return row.id

    def _store_assessment(
        self,
        session: Session,
        firmware_id: int,
        declaration_id: int | None,
        document: dict[str, Any],
        level: int,
        kev: int,
    ) -> t.AssessmentRow:
        vulns = [v for v in _dicts(document.get("vulnerabilities")) if counts(v)]
        plain = plain_json(document)
        summary = summarize(plain)
        row = t.AssessmentRow(
            firmware_id=firmware_id,
            declaration_id=declaration_id,
            tool_version=_s(_mapping(document.get("tool")).get("version"), 50),
            assessed=_s(document.get("created"), 40),
            stored=_now(),
            level=level,
            kev_count=kev,
            vulnerability_count=len({str(v.get("id")) for v in vulns}),
            document=plain,
            summary=summary,
            brief=brief(summary),
        )
        session.add(row)
        session.flush()
        for table, rows in _children(row.id, document, vulns):
            if rows:  # one multi-row INSERT per table (the ORM's unit of work took ~4x as long)
                session.execute(insert(table), rows)
        return row

    @staticmethod
    def _event(session: Session, product_id: int, kind: str, detail: str) -> None:
        session.add(t.Event(product_id=product_id, at=_now(), kind=kind, detail=_s(detail, 2000)))


def _origin_text(origin: tuple[str, str]) -> str:
    kind, signer = origin
    return {SCANNED: "scanned here", SIGNED: f"signed by scanner key {signer}"}.get(
        kind, "self-asserted, not verified"
    )


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in value or [] if isinstance(item, dict)]


def _children(
    assessment_id: int, document: dict[str, Any], vulns: list[dict[str, Any]]
) -> list[tuple[Any, list[dict[str, Any]]]]:
    """The queryable rows of one assessment (components, findings, verdicts, vulnerabilities),
    per table."""
    components = [
        {
            "assessment_id": assessment_id,
            "name": _s(c.get("name"), 300),
            "version": _s(c.get("version"), 200),
            "type": _s(c.get("type"), 50),
            "purl": _s(c.get("purl")),
            "cpe": _s(c.get("cpe")),
        }
        for c in _dicts(document.get("components"))
    ]
    findings = [
        {
            "assessment_id": assessment_id,
            "check": _s(f.get("check"), 200),
            "verdict": _s(f.get("verdict"), 30),
            "severity": _s(f.get("severity"), 30),
            "title": _s(f.get("title")),
        }
        for f in _dicts(document.get("findings"))
    ]
    verdicts = [
        {
            "assessment_id": assessment_id,
            "norm": _s(v.get("norm"), 100),
            "requirement": _s(v.get("requirement"), 100),
            "verdict": _s(v.get("verdict"), 30),
            "title": _s(v.get("title")),
            "reason": _s(v.get("reason")),
        }
        for v in _dicts(document.get("verdicts"))
    ]
    vulnerabilities = [
        {
            "assessment_id": assessment_id,
            "vuln_id": _s(v.get("id"), 100),
            "component": _s(v.get("component")),
            "severity": _s(v.get("severity"), 20),
            "cvss_score": _num(v.get("cvss_score")),
            "kev": bool(v.get("kev")),
            "epss": _num(v.get("epss")),
        }
        for v in vulns
    ]
    return [
        (t.ComponentRow, components),
        (t.FindingRow, findings),
        (t.VerdictRow, verdicts),
        (t.VulnerabilityRow, vulnerabilities),
    ]


def _s(value: Any, limit: int | None = None) -> str:
    """A string fit for any database: NUL bytes (hostile images have them) removed, bounded."""
    text = "" if value is None else str(value).replace("\x00", "")
    return text[:limit] if limit else text


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


__all__ = ["Forbidden", "NotFound", "Registry", "token_digest"]
