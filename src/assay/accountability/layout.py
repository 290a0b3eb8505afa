"""The first layout of the re-audit tables kept findings per firmware. A registry that still
has it gets its finding tables renamed ``audit_v1_*`` (kept, readable, never dropped); its
firmware are then enrolled again from their assessments into the per-inventory layout. The
outbox, webhook and delivery tables did not change and stay as they are."""

from __future__ import annotations

from sqlalchemy import Engine, inspect, text

FIRST_LAYOUT = (
    "audit_finding_history",
    "audit_finding",
    "audit_firmware",
    "audit_inventory_name",
    "audit_inventory",
)


def set_aside_first_layout(engine: Engine) -> bool:
    """Rename the first layout's tables, their indexes and constraints; True if it did."""
    inspector = inspect(engine)
    tables = set(inspector.get_table_names())
    if "audit_finding" not in tables:
        return False
    if "firmware_id" not in {c["name"] for c in inspector.get_columns("audit_finding")}:
        return False
    postgres = engine.dialect.name == "postgresql"
    statements = []
    for name in (n for n in FIRST_LAYOUT if n in tables):  # read everything before changing
        aside = "audit_v1_" + name.removeprefix("audit_")
        # index names are global (per database or schema): free them for the new tables
        # (an index that backs a constraint goes with it: renamed below)
        indexes = [i for i in inspector.get_indexes(name) if not i.get("duplicates_constraint")]
        statements += [f'DROP INDEX IF EXISTS "{i["name"]}"' for i in indexes]
        statements.append(f'ALTER TABLE "{name}" RENAME TO "{aside}"')
        if not postgres:
            continue  # SQLite's constraint names live inside the renamed table
        key = inspector.get_pk_constraint(name)
        named = [key.get("name")]
        named += [u["name"] for u in inspector.get_unique_constraints(name)]
        named += [f["name"] for f in inspector.get_foreign_keys(name)]
        statements += [
            f'ALTER TABLE "{aside}" RENAME CONSTRAINT "{c}" TO "v1_{c}"' for c in named if c
        ]
        for column in key.get("constrained_columns") or []:
            sequence = f"{name}_{column}_seq"  # a serial key's sequence is named so
            statements.append(f'ALTER SEQUENCE IF EXISTS "{sequence}" RENAME TO "v1_{sequence}"')
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))
    return True
