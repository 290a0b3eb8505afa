"""Evaluating NVD configurations for one component, in full and with three-valued logic.

A record's ``configurations`` are alternatives (any one suffices). Each configuration joins
its nodes with its ``operator`` (OR when absent); each node joins its ``cpeMatch`` criteria
with its own operator and may be negated. A criterion is:

* about the component (its vendor:product or an alias): true when the component's version
  is the criterion's exact version (``version`` + ``update``) or inside its range
  (``versionStart/End Including/Excluding``); ``*`` and ``-`` match any version;
* about another application in the inventory: true when that component's version fits;
* about an OS (``o:``): true/false from the inventory (a kernel component) or the product's
  identity (OS name/version, kernel version); unknown when the identity does not say;
* about hardware (``h:``): true/false from the identity's vendor and model; unknown when
  the identity does not say.

Unknown propagates (T/F/U logic). A configuration that is true makes a match; one that is
unknown makes a *conditional* match (a "running on" condition Assay could not check). Either
way at least one ``vulnerable`` criterion must be about the component itself — a component
named only as a platform (``vulnerable: false``) is never reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from assay.model.identity import Identity
from assay.vulns.cpe import ANY, NA, Cpe, parse_cpe
from assay.vulns.keys import Lookup, Name, os_families
from assay.vulns.versions import compare, in_range, version_key

T, F, U = True, False, None
Tri = bool | None
RANGE_KEYS = (
    "versionStartIncluding",
    "versionStartExcluding",
    "versionEndIncluding",
    "versionEndExcluding",
)


@dataclass
class Outcome:
    """Why a configuration matched: the criteria about the component, and the platforms."""

    hits: list[dict[str, Any]] = field(default_factory=list)
    platforms: list[dict[str, str]] = field(default_factory=list)
    loose: bool = False  # a criterion with version * or - matched


@dataclass(frozen=True)
class Context:
    lookup: Lookup
    identity: Identity
    inventory: dict[Name, tuple[str, ...]]  # other components: name -> compared versions


def normalize_name(text: str) -> str:
    """A name reduced to lower-case letters and digits (``TL-WR703N`` -> ``tlwr703n``)."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


def version_fits(match: dict[str, Any], cpe: Cpe, version: str) -> bool:
    if len(match) > 3 and any(k in match for k in RANGE_KEYS):
        if cpe.version not in (ANY, NA) and compare(version, cpe.effective_version) != 0:
            return False
        return in_range(version, *(match.get(k, "") for k in RANGE_KEYS))
    if cpe.version in (ANY, NA):
        return True
    return version_key(version) == version_key(cpe.effective_version)


def _describe(match: dict[str, Any]) -> dict[str, Any]:
    out = {"criteria": match.get("criteria", "")}
    out.update({k: match[k] for k in RANGE_KEYS if match.get(k)})
    return out


@lru_cache(maxsize=4096)
def _identity_os(cpe: Cpe, identity: Identity) -> tuple[Tri, str]:
    os_names = {normalize_name(identity.os_name), normalize_name(identity.os_id)} - {""}
    os_label = identity.os_name or identity.os_id
    if cpe.product == "linux_kernel":
        if identity.kernel_version:
            ok = cpe.version in (ANY, NA) or compare(identity.kernel_version, cpe.version) == 0
            return ok, f"identity kernel {identity.kernel_version}"
        if os_names & os_families()[1]:
            return F, f"identity OS is {os_label}, not Linux"
        if os_names & os_families()[0] and cpe.version in (ANY, NA):
            return T, f"identity OS {os_label} runs Linux"
        return U, "identity does not give the kernel version"
    if os_names:
        if normalize_name(cpe.product) in os_names or normalize_name(cpe.vendor) in os_names:
            if cpe.version in (ANY, NA) or not identity.os_version:
                return T, f"identity OS {os_label}"
            ok = compare(identity.os_version, cpe.version) == 0
            return ok, f"identity OS {os_label} {identity.os_version}"
        return F, f"identity OS is {os_label}"
    return U, "identity does not name the OS"


@lru_cache(maxsize=4096)
def identity_hardware(cpe: Cpe, identity: Identity) -> tuple[Tri, str]:
    """Whether a hardware CPE names the identified device, and why (also used by the
    re-audit to tell which inventories a hardware criterion can decide)."""
    if not identity.model:
        return U, "identity does not name the hardware model"
    model = normalize_name(identity.model)
    product = normalize_name(cpe.product)
    same_model = (
        product == model
        or product.startswith(model)
        and product[len(model) :]
        in (
            "",
            "v1",
            "v2",
            "v3",
        )
    )
    vendor_ok = not identity.vendor or normalize_name(cpe.vendor) == normalize_name(identity.vendor)
    return same_model and vendor_ok, f"identity hardware {identity.vendor} {identity.model}"


class Evaluator:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def criterion(self, match: dict[str, Any], out: Outcome) -> Tri:
        cpe = parse_cpe(match.get("criteria", ""))
        if cpe is None:
            return U
        lk = self.ctx.lookup
        if cpe.key in lk.names:
            ok = version_fits(match, cpe, lk.version)
            if ok and match.get("vulnerable", False):
                out.hits.append(_describe(match))
                if cpe.version in (ANY, NA) and not any(match.get(k) for k in RANGE_KEYS):
                    out.loose = True
            return ok
        versions = self.ctx.inventory.get(cpe.key)
        if versions is not None:
            ok = any(version_fits(match, cpe, v) for v in versions)
            out.platforms.append({**_describe(match), "result": str(ok).lower(), "by": "inventory"})
            return ok
        if cpe.part == "a":
            return F
        if cpe.part == "o":
            result, by = _identity_os(cpe, self.ctx.identity)
        else:
            result, by = identity_hardware(cpe, self.ctx.identity)
        if not match.get("vulnerable", False) or result is not F:
            label = "unknown" if result is None else str(result).lower()
            out.platforms.append({**_describe(match), "result": label, "by": by})
        return result

    def node(self, node: dict[str, Any], out: Outcome) -> Tri:
        is_and = str(node.get("operator", "OR")).upper() == "AND"
        result: Tri = T if is_and else F
        for m in node.get("cpeMatch", ()):
            value = self.criterion(m, out)
            if is_and:
                if value is False:
                    result = F
                    break
                if value is None:
                    result = U
            else:
                if value is True:
                    result = T
                    break
                if value is None:
                    result = U
        if node.get("negate"):
            result = None if result is None else not result
        return result

    def configuration(self, conf: dict[str, Any]) -> tuple[Tri, Outcome]:
        out = Outcome()
        values = [self.node(n, out) for n in conf.get("nodes", ())]
        return _join(conf.get("operator", "OR"), values), out


def _join(operator: str, values: list[Tri]) -> Tri:
    if str(operator).upper() == "AND":
        if any(v is False for v in values):
            return F
        return U if any(v is None for v in values) else T
    if any(v is True for v in values):
        return T
    return U if any(v is None for v in values) else F


def evaluate(configurations: list[Any], ctx: Context) -> tuple[Tri, Outcome] | None:
    """The best result over the configurations (true beats unknown), or ``None`` if none
    makes the component vulnerable."""
    ev = Evaluator(ctx)
    best: tuple[Tri, Outcome] | None = None
    for conf in configurations:
        result, out = ev.configuration(conf)
        if result is False or not out.hits:
            continue
        if result is True:
            return result, out
        if best is None:
            best = (result, out)
    return best
