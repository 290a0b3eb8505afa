"""Load ``rules.yaml``: which verdicts, findings and declaration fields decide the label."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from assay.safeload import packaged_yaml

RULES_FILE = Path(__file__).with_name("rules.yaml")


@dataclass(frozen=True)
class VerdictRule:
    """Verdicts of ``norm`` whose "requirement title" matches ``pattern``."""

    norm: str
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class FactRule:
    verdicts: tuple[VerdictRule, ...]
    findings: tuple[str, ...]  # fragments of check ids


@dataclass(frozen=True)
class Rules:
    norms: dict[str, tuple[str, ...]]
    facts: dict[str, FactRule]
    mandatory_en303645: tuple[str, ...]
    level3_evidence: frozenset[str]
    level4_evidence: frozenset[str]
    declaration_fields: dict[str, tuple[str, ...]]
    yes_words: frozenset[str]
    no_words: frozenset[str]

    def norm_key(self, name: str) -> str:
        """The rules' key of a norm name ("ETSI EN 303 645" -> "en303645"), or ""."""
        flat = re.sub(r"[^a-z0-9]", "", name.lower())
        for key, fragments in self.norms.items():
            if any(fragment in flat for fragment in fragments):
                return key
        return ""


@cache
def load_rules(path: Path = RULES_FILE) -> Rules:
    raw: dict[str, Any] = packaged_yaml(path.read_text(encoding="utf-8"))
    facts = {
        name: FactRule(
            verdicts=tuple(
                VerdictRule(v["norm"], re.compile(v["requirement"])) for v in spec["verdicts"]
            ),
            findings=tuple(spec.get("findings") or ()),
        )
        for name, spec in raw["facts"].items()
    }
    return Rules(
        norms={k: tuple(v) for k, v in raw["norms"].items()},
        facts=facts,
        mandatory_en303645=tuple(str(x) for x in raw["mandatory_en303645"]),
        level3_evidence=frozenset(raw["level3_evidence"]),
        level4_evidence=frozenset(raw["level4_evidence"]),
        declaration_fields={k: tuple(v) for k, v in raw["declaration_fields"].items()},
        yes_words=frozenset(raw["yes_words"]),
        no_words=frozenset(raw["no_words"]),
    )


RULES = load_rules()
