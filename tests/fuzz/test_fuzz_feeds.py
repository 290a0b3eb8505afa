"""Fuzzing the feed readers and the importer: NVD API 2.0, CVE JSON 5, OSV (JSON and YAML),
KEV (JSON and CSV), EPSS, and compressed wrappers. Real records from ``../shared/data`` are
mutated; whatever comes out, an import either stores what it can (malformed records become
"skipped") or fails with one ``FeedError`` and leaves the store as it was."""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
from pathlib import Path
from typing import Any

import pytest
import yaml
from fuzzing import json_values, mutated
from hypothesis import example, given
from hypothesis import strategies as st

from assay.errors import FeedError
from assay.vulns.feeds import read_path
from assay.vulns.records import Advisory, EpssScore, KevEntry, Skipped
from assay.vulns.store import Store

VULNS = Path(__file__).resolve().parents[3] / "shared" / "data" / "vulns"
pytestmark = pytest.mark.skipif(not VULNS.is_dir(), reason="../shared/data is not present")


def _seed(relative: str) -> Any:
    path = VULNS / relative
    if not path.is_file():
        return {}
    text = path.read_text(encoding="utf-8")
    return yaml.safe_load(text) if path.suffix == ".yaml" else json.loads(text)


NVD = _seed("nvd/iot-subset/nvd_iot_sample.json")
if NVD:
    NVD["vulnerabilities"] = NVD["vulnerabilities"][:3]
CVE5 = _seed("cve5/sample/CVE-2023-52425.json")
OSV = _seed("osv/oss-fuzz/vulns/zstd/OSV-2022-110.yaml")
KEV = _seed("kev/known_exploited_vulnerabilities.json")
if KEV:
    KEV["vulnerabilities"] = KEV["vulnerabilities"][:3]
NVD_KEYS = ["vulnerabilities", "cve", "id", "configurations", "nodes", "cpeMatch", "criteria",
            "vulnerable", "versionEndExcluding", "versionStartIncluding", "metrics",
            "cvssMetricV31", "cvssData", "baseScore", "descriptions", "lang", "value",
            "weaknesses", "references", "url", "lastModified", "format"]  # fmt: skip
CVE5_KEYS = ["dataType", "cveMetadata", "cveId", "containers", "cna", "adp", "affected",
             "vendor", "product", "versions", "version", "lessThan", "status", "cpes",
             "metrics", "cvssV3_1", "baseScore", "problemTypes"]  # fmt: skip
OSV_KEYS = ["id", "modified", "aliases", "related", "affected", "package", "ecosystem", "name",
            "purl", "ranges", "type", "events", "introduced", "fixed", "versions",
            "severity", "score", "references", "withdrawn"]  # fmt: skip
KEV_KEYS = ["catalogVersion", "vulnerabilities", "cveID", "vendorProject", "product",
            "dateAdded", "dueDate", "knownRansomwareCampaignUse"]  # fmt: skip


def _import(path: Path) -> None:
    """Read every item, then import into a fresh store: only FeedError may escape."""
    try:
        for doc in read_path(path):
            for item in doc.items:
                assert isinstance(item, Advisory | KevEntry | EpssScore | Skipped)
    except FeedError as err:
        assert "\n" not in err.message
        return
    store = Store.memory()
    try:
        store.import_paths([path])
    except FeedError:
        assert store.is_empty() and store.revision() == 0
    finally:
        store.close()


def _write(tmp: pytest.TempPathFactory, name: str, data: bytes) -> Path:
    path = tmp.mktemp("feed") / name
    path.write_bytes(data)
    return path


@given(mutated(NVD, NVD_KEYS))
def test_nvd_mutations(tmp_path_factory: pytest.TempPathFactory, doc: Any) -> None:
    _import(_write(tmp_path_factory, "nvd.json", json.dumps(doc).encode()))


@given(mutated(CVE5, CVE5_KEYS))
def test_cve5_mutations(tmp_path_factory: pytest.TempPathFactory, doc: Any) -> None:
    _import(_write(tmp_path_factory, "CVE-2023-52425.json", json.dumps(doc).encode()))


@given(mutated(OSV, OSV_KEYS), st.booleans())
@example({"id": "OSV-1", "affected": json.loads("[" * 300 + "]" * 300)}, False)
def test_osv_mutations(tmp_path_factory: pytest.TempPathFactory, doc: Any, as_yaml: bool) -> None:
    data = yaml.safe_dump(doc).encode() if as_yaml else json.dumps(doc).encode()
    _import(_write(tmp_path_factory, "osv.yaml" if as_yaml else "osv.json", data))


@given(mutated(KEV, KEV_KEYS))
@example({"catalogVersion": "1", "vulnerabilities": {}})  # found: a ValueError escaped
def test_kev_mutations(tmp_path_factory: pytest.TempPathFactory, doc: Any) -> None:
    _import(_write(tmp_path_factory, "kev.json", json.dumps(doc).encode()))


CSV_CELLS = st.sampled_from(["CVE-2024-0001", "CVE-1-1", "0.5", "-1", "nan", "1e308", "",
                             ";", ",", "#model_version:v1,score_date:2024-01-01", "\x00",
                             '"'])  # fmt: skip


@given(
    st.sampled_from(["cve,epss,percentile\n", "#model_version:x,score_date:y\n",
                     "cveID,vendorProject,product,vulnerabilityName,dateAdded\n", ""]),
    st.lists(st.lists(CSV_CELLS, max_size=6).map(",".join), max_size=8).map("\n".join),
)  # fmt: skip
@example("cveID,vendorProject,product\n", 'CVE-2024-0001,"' + "a" * 200_000 + '",x')  # found
def test_csv_feeds(tmp_path_factory: pytest.TempPathFactory, header: str, body: str) -> None:
    _import(_write(tmp_path_factory, "feed.csv", (header + body).encode()))


@given(
    st.sampled_from([gzip.compress, lzma.compress, bz2.compress]),
    st.binary(max_size=200),
    st.integers(min_value=0, max_value=300),
)
def test_compressed_wrappers_truncated_or_garbage(
    tmp_path_factory: pytest.TempPathFactory, compress: Any, payload: bytes, cut: int
) -> None:
    packed = compress(payload)
    _import(_write(tmp_path_factory, "feed.json.gz", packed[: max(cut, 6)]))


@given(json_values(NVD_KEYS + OSV_KEYS + CVE5_KEYS, max_leaves=40))
def test_any_json_document(tmp_path_factory: pytest.TempPathFactory, value: Any) -> None:
    _import(_write(tmp_path_factory, "feed.json", json.dumps(value).encode()))
