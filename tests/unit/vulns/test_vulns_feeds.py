"""Feed readers on the real public feed files: every format is recognised by content."""

from __future__ import annotations

import gzip
import json
import lzma
import shutil
import tarfile
import zipfile
from pathlib import Path

import pytest

from assay.errors import FeedError
from assay.vulns.feeds import read_path
from assay.vulns.records import Advisory, EpssScore, KevEntry, Skipped
from assay.vulns.store import Store


def _items(path: Path) -> list[object]:
    return [item for doc in read_path(path) for item in doc.items]


def _formats(path: Path) -> set[str]:
    formats = set()
    for doc in read_path(path):
        list(doc.items)
        formats.add(doc.info.format)
    return formats


def test_nvd_plain_gz_and_xz_agree(vulns_data: Path, tmp_path: Path) -> None:
    sample = vulns_data / "nvd" / "iot-subset" / "nvd_iot_sample.json"
    gz = tmp_path / "sample.json.gz"
    gz.write_bytes(gzip.compress(sample.read_bytes()))
    xz = tmp_path / "sample"  # no suffix: recognised by magic bytes and content
    xz.write_bytes(lzma.compress(sample.read_bytes()))
    ids = [sorted(i.id for i in _items(p) if isinstance(i, Advisory)) for p in (sample, gz, xz)]
    assert len(ids[0]) == 348
    assert ids[0] == ids[1] == ids[2]


def test_nvd_record_fields(vulns_data: Path) -> None:
    items = _items(vulns_data / "nvd" / "iot-subset" / "nvd_iot_sample.json")
    dnsmasq = next(i for i in items if isinstance(i, Advisory) and i.id == "CVE-2005-0876")
    assert dnsmasq.source == "nvd"
    assert dnsmasq.payload["description"].startswith("Off-by-one buffer overflow in Dnsmasq")
    assert dnsmasq.payload["cvss"][0]["vector"] == "AV:N/AC:L/Au:N/C:N/I:N/A:P"
    # exact versions are indexed under their version key
    assert ("dnsmasq", "dnsmasq", "2.14", "", "", "", "") in dnsmasq.cpe_keys
    assert not any(k[2] == "*" for k in dnsmasq.cpe_keys)


def test_cve5_single_folder_and_archive(vulns_data: Path, tmp_path: Path) -> None:
    folder = vulns_data / "cve5" / "sample"
    single = folder / "CVE-1999-0006.json"
    (rec,) = _items(single)
    assert isinstance(rec, Advisory) and rec.source == "cve5"
    assert rec.payload["ssvc"]["Exploitation"] == "none"  # from the CISA ADP container
    assert any(m["source"] == "CISA-ADP" and m["score"] == 9.8 for m in rec.payload["cvss"])
    assert ("qualcomm", "qpopper", "*", "", "", "", "") in rec.cpe_keys  # the ADP's CPE
    in_folder = [i for i in _items(folder) if isinstance(i, Advisory)]
    assert len(in_folder) == len(list(folder.glob("*.json"))) == 211
    archive = tmp_path / "cve.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        for path in sorted(folder.glob("*.json"))[:10]:
            tf.add(path, arcname=f"2024/x/{path.name}")
        tf.add(vulns_data / "SOURCES.md", arcname="README.md")  # not a feed: passed over
    assert len([i for i in _items(archive) if isinstance(i, Advisory)]) == 10


def test_osv_yaml_json_and_zip(vulns_data: Path, tmp_path: Path) -> None:
    yaml_dir = vulns_data / "osv" / "oss-fuzz" / "vulns" / "dnsmasq"
    records = [i for i in _items(yaml_dir) if isinstance(i, Advisory)]
    assert records and all(r.source == "osv" for r in records)
    assert ("oss-fuzz", "dnsmasq") in records[0].purl_keys
    alma = sorted((vulns_data / "osv" / "almalinux" / "sample").glob("*.json"))
    archive = tmp_path / "osv.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in alma:
            zf.write(path, arcname=path.name)
    from_zip = [i for i in _items(archive) if isinstance(i, Advisory)]
    assert len(from_zip) == len(alma) == 29
    assert all(any(k[0] == "almalinux" for k in r.purl_keys) for r in from_zip)


def test_kev_json_and_csv_agree(vulns_data: Path) -> None:
    kev = vulns_data / "kev"
    as_json = list(_items(kev / "known_exploited_vulnerabilities.json"))
    as_csv = list(_items(kev / "known_exploited_vulnerabilities.csv"))
    assert all(isinstance(i, KevEntry) for i in as_json + as_csv)
    assert len(as_json) == len(as_csv) == 1404
    assert {i.cve for i in as_json} == {i.cve for i in as_csv}  # type: ignore[attr-defined]
    dirty_cow = next(i for i in as_json if isinstance(i, KevEntry) and i.cve == "CVE-2016-5195")
    assert dirty_cow.date_added == "2022-03-03"


def test_epss_per_year_and_daily_layouts(vulns_data: Path, tmp_path: Path) -> None:
    per_year = vulns_data / "epss" / "emba-epss-per-year" / "CVE_2016_EPSS.csv.xz"
    scores = [i for i in _items(per_year) if isinstance(i, EpssScore)]
    assert len(scores) > 9000
    # FIRST's daily layout (the real daily file is not in ../shared): the same real scores
    # written with its "#model_version" line and "cve,epss,percentile" header.
    daily = tmp_path / "epss_scores-2026-08-16.csv.gz"
    lines = [
        "#model_version:v2025.03.14,score_date:2026-08-16T00:00:00+0000",
        "cve,epss,percentile",
    ]
    lines += [f"{s.cve},{s.epss},{s.percentile}" for s in scores[:500]]
    daily.write_bytes(gzip.compress("\n".join(lines).encode()))
    docs = list(read_path(daily))
    parsed = [i for i in docs[0].items if isinstance(i, EpssScore)]
    assert [(s.cve, s.epss) for s in parsed] == [(s.cve, s.epss) for s in scores[:500]]
    assert docs[0].info.timestamp.startswith("2026-08-16")
    assert parsed[0].score_date == "2026-08-16"


def test_malformed_records_are_skipped_with_id_and_reason(vulns_data: Path, tmp_path: Path) -> None:
    doc = json.loads((vulns_data / "nvd" / "iot-subset" / "nvd_iot_sample.json").read_text())
    broken_id = doc["vulnerabilities"][3]["cve"]["id"]
    doc["vulnerabilities"][3]["cve"]["configurations"] = "not a list"
    del doc["vulnerabilities"][5]["cve"]["id"]
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(doc))
    store = Store.open(tmp_path / "s.sqlite", create=True)
    report = store.import_paths([path])
    assert report.skipped_total == 2
    reasons = {s.id: s.reason for s in report.skipped}
    assert "configurations" in reasons[broken_id]
    assert any("id" in r for r in reasons.values())
    assert store.count("record", "source='nvd'") == 346


@pytest.mark.parametrize("content", [b"hello world\n", b'{"some": "json"}'])
def test_unrecognised_file_is_an_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "feed.json"
    path.write_bytes(content)
    with pytest.raises(FeedError, match="not a recognised feed"):
        list(read_path(path))


def test_truncated_and_missing_files_are_errors(vulns_data: Path, tmp_path: Path) -> None:
    source = vulns_data / "nvd" / "yearly" / "nvdcve-2003.json.xz"
    truncated = tmp_path / "nvdcve-2003.json.xz"
    truncated.write_bytes(source.read_bytes()[: source.stat().st_size // 2])
    with pytest.raises(FeedError, match="cannot be read"):
        list(read_path(truncated))
    with pytest.raises(FeedError, match="no such file"):
        list(read_path(tmp_path / "absent.json"))
    shutil.copy(source, tmp_path / "ok.json.xz")
    assert _formats(tmp_path / "ok.json.xz") == {"nvd"}
    assert not any(isinstance(i, Skipped) for i in _items(tmp_path / "ok.json.xz"))


# --- hostile feed files: bounded decompression and parsing (issue 10) -----------------------


def _gzip_bomb(path: Path, prefix: bytes, gib: int) -> None:
    """A gzip file of ``gib`` GiB (decompressed) made of concatenated members, built in a
    moment: one 64 MiB member of zeros, written many times."""
    member = gzip.compress(b"\0" * (64 << 20), compresslevel=9)
    with path.open("wb") as fh:
        fh.write(gzip.compress(prefix))
        for _ in range(gib * 16):
            fh.write(member)


@pytest.mark.parametrize("prefix", [b"", b'{"format": "NVD_CVE", "vulnerabilities": ["'])
def test_gzip_bomb_feed_fails_fast_with_exit_5_under_a_memory_limit(
    tmp_path: Path, prefix: bytes
) -> None:
    from bounded import run_bounded

    bomb = tmp_path / "nvdcve-2024.json.gz"
    _gzip_bomb(bomb, prefix, gib=4)
    assert bomb.stat().st_size < 8 << 20
    db = tmp_path / "store.sqlite"
    run = run_bounded(["assay", "feeds", "import", str(bomb), "--db", str(db)], tmp_path)
    assert run.code == 5, run.stderr
    lines = [line for line in run.stderr.splitlines() if not line.startswith("reading ")]
    assert len(lines) == 1 and "compression bomb" in lines[0] and "Traceback" not in run.stderr
    assert run.peak_mib < 200, f"peak {run.peak_mib:.0f} MiB"
    assert run.seconds < 30
    assert Store.open(db).is_empty()


def test_one_document_over_the_size_cap_is_refused(
    vulns_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assay.vulns.feeds import detect

    source = vulns_data / "kev" / "known_exploited_vulnerabilities.json"
    monkeypatch.setattr(detect, "MAX_DOCUMENT", source.stat().st_size - 1)
    with pytest.raises(FeedError, match="larger than"):
        list(read_path(source))
    archive = tmp_path / "kev.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        tf.add(source, arcname="kev.json")
    with pytest.raises(FeedError, match="larger than"):
        list(read_path(archive))


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("deep.json", b"[" * 100_000 + b"]" * 100_000, "nested deeper than 1024 levels"),
        ("bomb.yaml", b"id: &a [x, x, x, x, x, x, x, x, x, x]\n" + b"".join(
            f"k{n}: &{chr(98 + n)} [{', '.join([f'*{chr(97 + n)}'] * 10)}]\n".encode()
            for n in range(8)
        ), "refused as unsafe"),
        ("deep.yaml", b"id: " + b"[" * 5000 + b"]" * 5000, "refused as unsafe"),
    ],
)  # fmt: skip
def test_hostile_documents_are_feed_errors(
    tmp_path: Path, name: str, content: bytes, expected: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(FeedError, match=expected):
        list(read_path(path))


def test_devices_are_not_read_as_feeds() -> None:
    with pytest.raises(FeedError, match="not a regular file"):
        list(read_path(Path("/dev/zero")))
