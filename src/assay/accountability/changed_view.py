"""The vulnerability store as the re-audit sees it: only the records changed since a
revision exist, names no changed record carries are answered without SQL, and parsed
configurations are cached across the many inventories evaluated against them."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from assay.accountability.enroll import names_of
from assay.model.component import Component
from assay.model.identity import Identity
from assay.vulns.cpe import Cpe, parse_cpe
from assay.vulns.nvdmatch import identity_hardware, normalize_name  # the matcher's rule
from assay.vulns.store import Store

CHUNK = 500


def _touched_names(store: Store, ids: set[str]) -> set[str]:
    names: set[str] = set()
    ordered = sorted(ids)
    for i in range(0, len(ordered), CHUNK):
        part = ordered[i : i + CHUNK]
        marks = ",".join("?" * len(part))
        for vendor, product in store.conn.execute(
            f"SELECT DISTINCT vendor, product FROM cpe_idx WHERE id IN ({marks})", part
        ):
            names.add(f"cpe:{vendor}:{product}")
        for eco, name in store.conn.execute(
            f"SELECT DISTINCT ecosystem, name FROM purl_idx WHERE id IN ({marks})", part
        ):
            names.add(f"purl:{eco}:{name}")
    return names


@lru_cache(maxsize=65536)
def names(component: Component) -> frozenset[str]:
    return frozenset(names_of(component))


class ChangedOnly(Store):
    """The store as matching sees it during a re-audit: only the changed records exist.

    Index look-ups for names no changed record carries return at once (no SQL), and parsed
    configurations are cached: the same records are evaluated for many inventories.
    """

    def __init__(self, store: Store, ids: set[str]) -> None:
        super().__init__(store.conn, store.location, store.origin)
        self.ids = ids
        self.touched = _touched_names(store, ids)
        self._configs: dict[str, list[Any]] = {}
        self._together: dict[str, set[str]] = {}
        self._with_hardware: set[str] = set()
        self._partners: dict[frozenset[str], frozenset[str]] = {}
        self.mentioned, self.hardware = self._criteria()
        self._cpe: dict[tuple[str, str, frozenset[str], str], set[tuple[str, str]]] = {}

    def by_cpe(
        self, vendor: str, product: str, vkeys: Iterable[str], version: str = ""
    ) -> set[tuple[str, str]]:
        if f"cpe:{vendor}:{product}" not in self.touched:
            return set()
        key = (vendor, product, frozenset(vkeys), version)
        if key not in self._cpe:
            if version:
                found = super().by_cpe(vendor, product, key[2], version)
            else:  # the store's signature before it took a version
                found = super().by_cpe(vendor, product, key[2])
            self._cpe[key] = {hit for hit in found if hit[0] in self.ids}
        return self._cpe[key]

    def _criteria(self) -> tuple[set[str], list[tuple[str, Cpe]]]:
        """Every name a changed record's configuration mentions (vulnerable or as a platform),
        and its hardware criteria sorted by normalized product (for prefix look-ups). Also
        notes which names appear together in one record, and in records with hardware."""
        mentioned = set(self.touched)
        hardware: dict[tuple[str, str], Cpe] = {}
        for config in self.configs(self.ids).values():
            record: set[str] = set()
            has_hw = False
            stack: list[Any] = [config]
            while stack:
                item = stack.pop()
                if isinstance(item, list):
                    stack.extend(item)
                elif isinstance(item, dict):
                    if "criteria" in item:
                        cpe = parse_cpe(str(item["criteria"]))
                        if cpe is not None:
                            record.add(f"cpe:{cpe.vendor}:{cpe.product}")
                            if cpe.part == "h":
                                has_hw = True
                                hardware[(normalize_name(cpe.product), str(item["criteria"]))] = cpe
                    stack.extend(v for v in item.values() if isinstance(v, list | dict))
            mentioned |= record
            for name in record:
                self._together.setdefault(name, set()).update(record)
            if has_hw:
                self._with_hardware |= record
        return mentioned, [(k[0], cpe) for k, cpe in sorted(hardware.items())]

    def partners(self, own: frozenset[str]) -> frozenset[str]:
        """Names that share a changed record with one of ``own`` (their components can decide
        a platform criterion of that record)."""
        if own not in self._partners:
            found: set[str] = set()
            for name in own:
                found |= self._together.get(name, set())
            self._partners[own] = frozenset(found - own)
        return self._partners[own]

    def needs_hardware(self, own: frozenset[str]) -> bool:
        """Whether a changed record about one of ``own`` has a hardware criterion."""
        return bool(own & self._with_hardware)

    def hardware_key(self, identity: Identity) -> Any:
        """What the identity makes of the changed records' hardware criteria: the criteria it
        satisfies (only those whose product starts with the model can), or "unknown"."""
        if not self.hardware:
            return ()
        if not identity.model:
            return "unknown"
        model = normalize_name(identity.model)
        start = bisect_left(self.hardware, (model,), key=lambda h: (h[0],))
        true = []
        for product, cpe in self.hardware[start:]:
            if not product.startswith(model):
                break
            if identity_hardware(cpe, identity)[0]:
                true.append(str(cpe))
        return tuple(sorted(true))

    def by_purl(self, ecosystem: str, name: str) -> set[tuple[str, str]]:
        if f"purl:{ecosystem}:{name}" not in self.touched:
            return set()
        return {hit for hit in super().by_purl(ecosystem, name) if hit[0] in self.ids}

    def configs(self, ids: Iterable[str]) -> dict[str, list[Any]]:
        wanted = set(ids)
        missing = wanted - set(self._configs)
        if missing:
            found = super().configs(missing)
            for rid in missing:
                self._configs[rid] = found.get(rid, [])
        return {rid: self._configs[rid] for rid in wanted if self._configs[rid]}
