"""Who may write to the registry and whose signatures it believes: manufacturers' API tokens
(created, listed, revoked) and the scanner keys it trusts (``docs/registry.md``)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from assay.present.signing import key_id, parse_public, public_text
from assay.registry import tables as t
from assay.registry.identify import slugify
from assay.registry.records import NotFound, TokenRecord, TrustedKeyRecord

TOKEN_PREFIX = "assay_"


def token_digest(token: str) -> str:
    """SHA-256 of a token: tokens are 256 random bits, so a fast hash is enough (docs)."""
    return hashlib.sha256(token.strip().encode("utf-8")).hexdigest()


def free_slug(session: Session, table: Any, slug: str) -> str:
    candidate, n = slug, 1
    while session.scalar(select(func.count()).select_from(table).where(table.slug == candidate)):
        n += 1
        candidate = f"{slug}-{n}"
    return candidate


def manufacturer_row(session: Session, name: str, now: datetime) -> t.Manufacturer:
    """The manufacturer called ``name``, created (with a free slug) if new."""
    maker = session.scalar(select(t.Manufacturer).where(t.Manufacturer.name == name))
    if maker is None:
        maker = t.Manufacturer(
            name=name, slug=free_slug(session, t.Manufacturer, slugify(name)), created=now
        )
        session.add(maker)
        session.flush()
    return maker


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds")


class KeysAndTokens:
    """Token and trusted-key management of ``Registry``."""

    sessions: sessionmaker[Session]

    def create_token(self, manufacturer: str, note: str = "") -> str:
        """A new write token for ``manufacturer`` (created if new); only its hash is kept."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        with self.sessions.begin() as session:
            maker = manufacturer_row(session, manufacturer, now)
            session.add(
                t.ApiToken(
                    manufacturer_id=maker.id,
                    token_sha256=token_digest(token),
                    note=note[:200],
                    created=now,
                    revoked=False,
                )
            )
        return token

    def manufacturer_for_token(self, token: str) -> str:
        """The manufacturer a token is bound to; ``NotFound`` for unknown or revoked tokens."""
        with self.sessions() as session:
            name = session.scalar(
                select(t.Manufacturer.name)
                .join(t.ApiToken, t.ApiToken.manufacturer_id == t.Manufacturer.id)
                .where(
                    t.ApiToken.token_sha256 == token_digest(token), t.ApiToken.revoked.is_(False)
                )
            )
        if name is None:
            raise NotFound("unknown or revoked API token", "ask the registry operator for a token")
        return name

    def tokens(self, manufacturer: str = "") -> list[TokenRecord]:
        """Every token (never its secret), oldest first; only ``manufacturer``'s when given."""
        stmt = (
            select(t.ApiToken, t.Manufacturer.name)
            .join(t.Manufacturer, t.ApiToken.manufacturer_id == t.Manufacturer.id)
            .order_by(t.ApiToken.id)
        )
        if manufacturer:
            stmt = stmt.where(t.Manufacturer.name == manufacturer)
        with self.sessions() as session:
            return [
                TokenRecord(tok.id, name, tok.note, _iso(tok.created), tok.revoked)
                for tok, name in session.execute(stmt).all()
            ]

    def revoke_token(self, token_or_id: str) -> TokenRecord:
        """Revoke a token, named by its secret or by its number (``tokens()``); it is refused
        from the next request on. Revoking twice is harmless."""
        text = token_or_id.strip()
        if text.startswith(TOKEN_PREFIX):
            where = t.ApiToken.token_sha256 == token_digest(text)
        elif text.isdigit() and len(text) < 10:
            where = t.ApiToken.id == int(text)
        else:
            raise NotFound(
                f"{text[:40]!r} is neither a token nor a token number",
                "give the token (assay_...) or its number from `assay registry token list`",
            )
        with self.sessions.begin() as session:
            row = session.execute(
                select(t.ApiToken, t.Manufacturer.name)
                .join(t.Manufacturer, t.ApiToken.manufacturer_id == t.Manufacturer.id)
                .where(where)
            ).first()
            if row is None:
                raise NotFound("no such API token", "see `assay registry token list`")
            tok, name = row
            tok.revoked = True
            return TokenRecord(tok.id, name, tok.note, _iso(tok.created), True)

    def trust_key(self, public_key: str, name: str = "") -> TrustedKeyRecord:
        """Trust the scanner key ``public_key`` (``ed25519:BASE64`` or PEM): assessments it
        signed count as Assay's own. Trusting a revoked key again restores it."""
        key = parse_public(public_key)
        kid, text = key_id(key), public_text(key)
        now = datetime.now(UTC)
        with self.sessions.begin() as session:
            row = session.scalar(select(t.TrustedKey).where(t.TrustedKey.key_id == kid))
            if row is None:
                row = t.TrustedKey(key_id=kid, public_key=text, name=name[:200], created=now)
                session.add(row)
            row.revoked = False
            row.name = name[:200] or row.name
            session.flush()
            return TrustedKeyRecord(kid, text, row.name, _iso(row.created), False)

    def distrust_key(self, kid: str) -> TrustedKeyRecord:
        """Stop trusting key ``kid`` for new uploads (stored assessments keep their record)."""
        with self.sessions.begin() as session:
            row = session.scalar(select(t.TrustedKey).where(t.TrustedKey.key_id == kid.strip()))
            if row is None:
                raise NotFound(f"no trusted key {kid!r}", "see `assay registry keys`")
            row.revoked = True
            return TrustedKeyRecord(row.key_id, row.public_key, row.name, _iso(row.created), True)

    def trusted_keys(self) -> list[TrustedKeyRecord]:
        with self.sessions() as session:
            return [
                TrustedKeyRecord(r.key_id, r.public_key, r.name, _iso(r.created), r.revoked)
                for r in session.scalars(select(t.TrustedKey).order_by(t.TrustedKey.id))
            ]
