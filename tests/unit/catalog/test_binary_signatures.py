"""Every binary signature against real snippets (tests/data/binaries) and near misses."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from vendor_bytes import vendor_bytes

from assay.catalog.binary import SignatureEngine, load_signatures
from assay.catalog.binary.signatures import Signature
from assay.errors import InputError

DATA = Path(__file__).resolve().parents[2] / "data" / "binaries"
CASES: dict[str, Any] = yaml.safe_load((DATA / "cases.yaml").read_text())
SIGNATURES = load_signatures()
ENGINE = SignatureEngine(SIGNATURES)
INDEX = {s.id: i for i, s in enumerate(SIGNATURES)}


def _positives() -> list[tuple[str, int, dict[str, Any]]]:
    return [
        (sig_id, n, pos)
        for sig_id, case in CASES.items()
        for n, pos in enumerate(case["positives"], start=1)
    ]


def _snippet(sig_id: str, n: int, pos: dict[str, Any]) -> bytes:
    if pos["origin"] == "source":
        return str(pos["text"]).encode("latin-1")
    if pos["origin"] == "vendor":
        return _vendor_snippet(sig_id, pos)
    return (DATA / f"{sig_id}-{n}.bin").read_bytes()


def _vendor_snippet(sig_id: str, pos: dict[str, Any]) -> bytes:
    """The bytes around the hit in a vendor-corpus file, cut in memory (like cut_snippets.py
    does for Debian binaries): vendor firmware is read in place and never stored here."""
    data = vendor_bytes(pos["image"], pos.get("file", ""))
    if data is None:
        pytest.skip(f"vendor corpus file {pos['image']}:{pos.get('file', '')} is not here")
    sig = SIGNATURES[INDEX[sig_id]]
    path = pos.get("path", pos.get("file")) or "/firmware.bin"
    only = [INDEX[sig_id]]
    hits = list(ENGINE.scan(data, path, only=only, check_format=False))
    wanted = [h for h in hits if h.version == pos["version"]]
    assert wanted, f"{sig_id}: {pos['version']} not in {pos['image']} (found {hits})"
    pieces = []
    for pattern in sig.patterns:
        m = re.compile(pattern).match(data, wanted[0].offset)
        if m:
            pieces.append(data[max(0, m.start() - 48) : m.end() + 48])
            break
    for anchor in sig.requires:
        m = re.compile(anchor).search(data)
        assert m is not None
        pieces.append(data[max(0, m.start() - 16) : m.end() + 16])
    return b"".join(pieces)


def _versions(sig_id: str, data: bytes, path: str) -> list[str]:
    hits = ENGINE.scan(data, path, only=[INDEX[sig_id]], check_format=False)
    return [h.version for h in hits]


def test_every_signature_has_a_positive_and_a_negative_case() -> None:
    ids = {s.id for s in SIGNATURES}
    missing = sorted(i for i in ids if not CASES.get(i, {}).get("positives"))
    no_negative = sorted(i for i in ids if not CASES.get(i, {}).get("negatives"))
    assert missing == [], f"signatures without a test case: {missing}"
    assert no_negative == [], f"signatures without a negative case: {no_negative}"
    assert sorted(set(CASES) - ids) == [], "cases for signatures that do not exist"


def test_at_least_sixty_products() -> None:
    assert len({s.product for s in SIGNATURES}) >= 60


def test_real_snippets_outnumber_string_forms() -> None:
    origins = [pos["origin"] for _, _, pos in _positives()]
    assert origins.count("source") <= 8
    assert origins.count("vendor") <= origins.count("wr703n") + origins.count("debian")
    assert origins.count("wr703n") + origins.count("debian") >= 60


@pytest.mark.parametrize(("sig_id", "n", "pos"), _positives(), ids=lambda v: str(v)[:40])
def test_positive_snippet_gives_exact_version(sig_id: str, n: int, pos: dict[str, Any]) -> None:
    data = _snippet(sig_id, n, pos)
    if pos["origin"] != "source":
        assert 40 <= len(data) <= 400, "snippets stay small"
    path = pos.get("path", pos.get("file"))
    assert _versions(sig_id, data, path) == [pos["version"]]


@pytest.mark.parametrize(("sig_id", "n", "pos"), _positives(), ids=lambda v: str(v)[:40])
def test_snippet_without_its_version_does_not_match(
    sig_id: str, n: int, pos: dict[str, Any]
) -> None:
    """The same bytes with the version replaced by a format directive are a near miss."""
    sig = SIGNATURES[INDEX[sig_id]]
    if sig.path_version:
        pytest.skip("version comes from the file name (see the path negatives)")
    if sig.presence:
        pytest.skip("a presence signature shows no version (see its near misses)")
    data = _snippet(sig_id, n, pos)
    version = pos["version"].encode()
    assert version in data
    assert _versions(sig_id, data.replace(version, b"%s"), pos.get("path", pos.get("file"))) == []


def _negatives() -> list[tuple[str, str]]:
    return [(sig_id, neg) for sig_id, case in CASES.items() for neg in case["negatives"]]


@pytest.mark.parametrize(("sig_id", "text"), _negatives(), ids=lambda v: str(v)[:40])
def test_near_miss_does_not_match(sig_id: str, text: str) -> None:
    sig = SIGNATURES[INDEX[sig_id]]
    path = "/" + sig.files[0].replace("**/", "usr/sbin/").replace("*", "x")
    if sig.path_version:
        path = "/lib/libuClibc-1.0.45.so" if sig_id == "uclibc-ng" else "/lib/libuClibc-0.9.33.2.so"
    assert _versions(sig_id, text.encode("latin-1"), path) == []


@pytest.mark.parametrize("sig_id", ["uclibc", "uclibc-ng"])
def test_path_version_needs_a_versioned_file_name(sig_id: str) -> None:
    data = (DATA / f"{sig_id}-1.bin").read_bytes()
    for path in CASES[sig_id]["path_negatives"]:
        assert _versions(sig_id, data, path) == []


def test_each_signature_sees_only_its_files() -> None:
    dropbear = INDEX["dropbear"]
    assert dropbear in ENGINE.applicable("/usr/sbin/dropbear")
    assert dropbear not in ENGINE.applicable("/usr/sbin/dnsmasq")
    assert ENGINE.wants_path("/usr/lib/libcrypto.so.1.0.0")
    assert not ENGINE.wants_path("/etc/config/network")
    data = (DATA / "dropbear-1.bin").read_bytes()
    assert ENGINE.scan(data, "/usr/sbin/dnsmasq", check_format=False) == []


def test_elf_only_signatures_skip_other_files_and_kernel_signature_does_not() -> None:
    dropbear = (DATA / "dropbear-1.bin").read_bytes()
    assert ENGINE.scan(dropbear, "/usr/sbin/dropbear") == []  # not an ELF file
    assert [h.version for h in ENGINE.scan(b"\x7fELF" + dropbear, "/usr/sbin/dropbear")] == [
        "2011.54"
    ]
    kernel = (DATA / "linux-kernel-1.bin").read_bytes()
    assert [h.version for h in ENGINE.scan(kernel, "/boot/vmlinux")] == ["3.3.8"]


def test_cpe_and_purl_follow_nvd_forms() -> None:
    by_id = {s.id: s for s in SIGNATURES}
    assert by_id["openssh"].cpe_for("9.2p1") == "cpe:2.3:a:openbsd:openssh:9.2:p1:*:*:*:*:*:*"
    assert by_id["ntp"].cpe_for("4.2.8p15") == "cpe:2.3:a:ntp:ntp:4.2.8:p15:*:*:*:*:*:*"
    assert by_id["isc-dhcp"].cpe_for("4.4.3-P1") == "cpe:2.3:a:isc:dhcp:4.4.3:p1:*:*:*:*:*:*"
    assert by_id["dnsmasq"].cpe_for("2.62") == "cpe:2.3:a:thekelleys:dnsmasq:2.62:*:*:*:*:*:*:*"
    assert by_id["iproute2"].cpe_for("6.1~rc1").split(":")[5] == "6.1\\~rc1"
    assert by_id["busybox"].purl_for("1.19.4") == "pkg:generic/busybox@1.19.4"
    assert by_id["hostapd"].purl_for("2.0+x") == "pkg:generic/hostapd@2.0%2Bx"


@pytest.mark.slow  # reads every yearly NVD feed (~4 s)
def test_cpe_names_exist_in_nvd_where_the_signature_says_so(shared_data: Path) -> None:
    """Each vendor:product not flagged as absent occurs in the NVD 2002-2016 or later feeds."""
    import lzma

    names: set[str] = set()
    nvd = shared_data / "vulns" / "nvd"
    files = sorted((nvd / "yearly").glob("nvdcve-20*.json.xz"))
    files += sorted((nvd / "modified").glob("*.json.xz"))
    files += [nvd / "iot-subset" / "nvd_iot_subset.json.xz"]
    rx = re.compile(rb"cpe:2\.3:[aoh]:([^:\"]+:[^:\"]+):")
    for f in files:
        with lzma.open(f) as fh:
            names.update(m.decode() for m in rx.findall(fh.read()))
    unchecked = {s.id for s in SIGNATURES if "not in the 2002-2016 feeds" in s.nvd_note}
    missing = sorted(
        s.nvd_name for s in SIGNATURES if s.id not in unchecked and s.nvd_name not in names
    )
    assert missing == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- id: x\n", "field 'type'"),
        ("[]\n", "holds no list"),
        ("- {id: Bad_Id, type: library}\n", "kebab-case"),
        (": : :\n", "not valid YAML"),
    ],
)
def test_broken_signature_files_get_one_line_errors(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "sigs.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        load_signatures(path)
    assert message in info.value.message
    assert "\n" not in info.value.message
    assert info.value.hint


def test_signature_without_version_group_is_refused(tmp_path: Path) -> None:
    entry = {
        "id": "x",
        "product": "X",
        "name": "x",
        "type": "application",
        "files": ["**/x"],
        "patterns": ["X v\\d+"],
        "purl": "pkg:generic/x@{version}",
        "cpe": "cpe:2.3:a:x:x:{version}:*:*:*:*:*:*:*",
    }
    path = tmp_path / "sigs.yaml"
    path.write_text(yaml.safe_dump([entry]))
    with pytest.raises(InputError, match="named group"):
        load_signatures(path)
    entry["patterns"] = ["X v(?P<version>\\d+)"]
    path.write_text(yaml.safe_dump([entry, entry]))
    with pytest.raises(InputError, match="used twice"):
        load_signatures(path)
    path.write_text(yaml.safe_dump([entry]))
    assert isinstance(load_signatures(path)[0], Signature)


def test_missing_signature_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read signature file"):
        load_signatures(tmp_path / "nope.yaml")
