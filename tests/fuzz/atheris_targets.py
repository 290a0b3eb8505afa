"""Coverage-guided fuzzing (atheris, i.e. libFuzzer for Python) of every parser of outside
input. ``make fuzz`` runs each target for ``FUZZ_SECONDS``; by hand::

    python tests/fuzz/atheris_targets.py TARGET [libFuzzer options, e.g. -max_total_time=60]

Targets: yaml, json, declaration, assessment, feed, vex, header, tar. The corpus of each
grows in ``.fuzz/<target>/`` (seeded from real files on the first run); an input that makes a
target raise anything but Assay's own one-line error is saved there as ``crash-*`` and
becomes a regression test (``@example``) in the Hypothesis tests beside this file.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["assay", "yaml"], enable_loader_override=False):
    from assay.errors import AssayError, FeedError, InputError
    from assay.extract.headers import identify_header
    from assay.extract.safe_tar import is_tar
    from assay.extract.unpack import unpack
    from assay.present.vex.io import import_vex
    from assay.registry.inputs import parse_assessment, parse_declaration
    from assay.safeload import load_json, load_yaml
    from assay.vulns.feeds import read_path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data"
SCRATCH = Path(tempfile.mkdtemp(prefix="assay-fuzz-"))
SEEDS = {
    "yaml": [ROOT / "data/declarations/openwrt-wr703n.sample.yaml"],
    "json": [DATA / "vulns/cve5/sample/CVE-2023-52425.json"],
    "declaration": [ROOT / "data/declarations/openwrt-wr703n.sample.yaml"],
    "assessment": [],
    "feed": [DATA / "vulns/cve5/sample/CVE-2023-52425.json",
             DATA / "vulns/osv/oss-fuzz/vulns/zstd/OSV-2022-110.yaml",
             DATA / "vulns/nvd/iot-subset/nvd_iot_sample.json"],
    "vex": [DATA / "vex/openvex-vexctl/examples/csaf/openvex.json",
            DATA / "sbom/cyclonedx-bom-examples/VEX/vex.json"],
    "header": [],
    "tar": [],
}  # fmt: skip


def _file(data: bytes, name: str) -> Path:
    path = SCRATCH / name
    path.write_bytes(data)
    return path


def _feed(data: bytes) -> None:
    try:
        for doc in read_path(_file(data, "feed.json")):
            list(doc.items)
    except FeedError:
        pass


def _tar(data: bytes) -> None:
    path = _file(data, "image.tar")
    if not is_tar(path):
        return
    work = SCRATCH / "work"
    shutil.rmtree(work, ignore_errors=True)
    try:
        unpack(path, work, timeout=10, max_depth=2, max_size=1 << 20)
    except AssayError:
        pass


def _expect(errors: type[Exception], parse: Callable[[bytes], object]) -> Callable[[bytes], None]:
    def run(data: bytes) -> None:
        try:
            parse(data)
        except errors:
            pass

    return run


TARGETS: dict[str, Callable[[bytes], None]] = {
    "yaml": _expect(InputError, lambda d: load_yaml(d, "doc")),
    "json": _expect(InputError, lambda d: load_json(d, "doc")),
    "declaration": _expect(InputError, lambda d: parse_declaration(d, "d.yaml")),
    "assessment": _expect(InputError, lambda d: parse_assessment(d, "a.json")),
    "feed": _feed,
    "vex": _expect(
        InputError, lambda d: import_vex(load_json(d, "vex", max_depth=100), strict=True)
    ),
    "header": lambda d: (identify_header(_file(d, "image.bin")), None)[1],
    "tar": _tar,
}


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in TARGETS:
        sys.exit(f"usage: {sys.argv[0]} {{{','.join(TARGETS)}}} [libFuzzer options]")
    target = sys.argv[1]
    corpus = ROOT / ".fuzz" / target
    corpus.mkdir(parents=True, exist_ok=True)
    for seed in SEEDS[target]:
        if seed.is_file() and not (corpus / seed.name).exists():
            shutil.copy(seed, corpus / seed.name)
    args = [sys.argv[0], *sys.argv[2:], f"-artifact_prefix={corpus}/", str(corpus)]
    atheris.Setup(args, TARGETS[target])
    try:
        atheris.Fuzz()
    finally:
        shutil.rmtree(SCRATCH, ignore_errors=True)


if __name__ == "__main__":
    main()
