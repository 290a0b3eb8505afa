"""Output formats by name, as ``-o/--output FORMAT[@VERSION][=FILE]`` names them.

``parse("cyclonedx-json@1.5=sbom.json")`` gives an :class:`Output`; :func:`render` makes its
text, :func:`write` writes it to its file (the label: SVG at FILE, PNG and ``label.json``
beside it); :func:`write_set` writes the full set ``--out DIR`` has always written;
:func:`write_all` writes what a scan asks for, both.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from assay.errors import AssayError, UsageError
from assay.model.assessment import Assessment

FORMATS = {
    "table": "the vulnerability and failed-check tables (default on a terminal)",
    "json": "assessment.json, Assay's own document",
    "cyclonedx-json": "CycloneDX SBOM with vulnerabilities (1.6; @1.5, @1.4)",
    "cyclonedx-xml": "the same as CycloneDX XML (1.6; @1.5, @1.4)",
    "spdx-json": "SPDX 2.3 JSON",
    "spdx-tag-value": "SPDX 2.3 tag-value",
    "spdx3-json": "SPDX 3.0.1 JSON-LD",
    "sarif": "SARIF 2.1.0 (failed checks and vulnerabilities, located in the image)",
    "html": "the developer report (self-contained HTML)",
    "md": "the developer report (Markdown)",
    "label": "the security label (SVG; with =FILE also PNG and label.json beside it)",
}
ALIASES = {
    "cyclonedx": "cyclonedx-json",
    "cdx": "cyclonedx-json",
    "cdx-json": "cyclonedx-json",
    "cdx-xml": "cyclonedx-xml",
    "spdx": "spdx-json",
    "spdx-tv": "spdx-tag-value",
    "markdown": "md",
    "svg": "label",
}
VERSIONED = {"cyclonedx-json": "1.6", "cyclonedx-xml": "1.6"}
HELP = (
    "Output FORMAT[@VERSION][=FILE], repeatable; without FILE to stdout. Formats: "
    + ", ".join(FORMATS)
    + "."
)


@dataclass(frozen=True)
class Output:
    format: str
    version: str = ""
    path: Path | None = None  # None: standard output

    def __str__(self) -> str:
        version = f"@{self.version}" if self.version else ""
        return f"{self.format}{version}" + (f"={self.path}" if self.path else "")


def parse(spec: str) -> Output:
    """An ``-o`` value as an :class:`Output`; ``UsageError`` names what is wrong."""
    name, _, file = spec.partition("=")
    name, _, version = name.strip().lower().partition("@")
    name = ALIASES.get(name, name)
    if name not in FORMATS:
        raise UsageError(f"-o {spec}: unknown format {name!r}", f"use one of {', '.join(FORMATS)}")
    if version and name not in VERSIONED:
        raise UsageError(f"-o {spec}: {name} has no versions", f"use -o {name}")
    if name in VERSIONED:
        from assay.present.cyclonedx_versions import VERSIONS

        version = version or VERSIONED[name]
        if version not in VERSIONS:
            raise UsageError(
                f"-o {spec}: CycloneDX {version} is not offered",
                f"use one of {', '.join('@' + v for v in VERSIONS)}",
            )
    if "=" in spec and not file.strip():
        raise UsageError(f"-o {spec}: no file after '='", f"use -o {name}=FILE or -o {name}")
    return Output(name, version, Path(file.strip()) if file.strip() else None)


def render(output: Output, assessment: Assessment, registry_url: str = "", lang: str = "en") -> str:
    """The text of ``output`` (the label: its SVG, its words in ``lang``; the table: text)."""
    if output.format == "label":
        return _label(assessment, output.version, registry_url, lang)
    renderer = _RENDERERS[output.format]
    return renderer(assessment, output.version, registry_url)


def write(
    output: Output, assessment: Assessment, registry_url: str = "", lang: str = "en"
) -> list[Path]:
    """Write ``output`` to its file; return the paths written."""
    if output.path is None:
        raise UsageError(f"-o {output}: no file given")
    path = output.path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if output.format == "label":
            return _write_label(assessment, path, registry_url, lang)
        if output.format in _ENCODED:  # JSON made as bytes: not decoded to be encoded again
            path.write_bytes(_ENCODED[output.format](assessment, output.version))
        else:
            path.write_text(render(output, assessment, registry_url), encoding="utf-8")
    except OSError as err:
        raise AssayError(f"cannot write {path}: {err.strerror}", "check the -o path") from None
    return [path]


def write_set(
    assessment: Assessment, out_dir: Path, registry_url: str = "", lang: str = "en"
) -> list[Path]:
    """The full set ``--out DIR`` writes: sbom.cdx.json, assessment.json, report.html,
    report.md, label.svg, label.png, label.json."""
    from assay.present import cyclonedx, native
    from assay.present.label import write_label
    from assay.present.report import write_reports

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [cyclonedx.write(assessment, out_dir), native.write(assessment, out_dir)]
    paths.extend(write_reports(assessment, out_dir))
    paths.extend(write_label(assessment, out_dir, registry_url, lang=lang))
    return paths


def write_all(
    assessment: Assessment,
    out_dir: Path | None,
    outputs: Iterable[Output] = (),
    registry_url: str = "",
    lang: str = "en",
) -> list[Path]:
    """What a scan writes: the full set into ``out_dir`` (none when None) and each of
    ``outputs`` that names a file; return the paths written. The garbage collector is paused
    meanwhile (see :func:`paused_collector`)."""
    with paused_collector():
        paths = write_set(assessment, out_dir, registry_url, lang) if out_dir else []
        for output in outputs:
            if output.path is not None:
                paths.extend(write(output, assessment, registry_url, lang))
    return paths


@contextmanager
def paused_collector() -> Iterator[None]:
    """No cyclic garbage collection inside. Writing the outputs of the WR703N leaves some
    33,000 new containers alive (the documents that several outputs share, kept until the
    next scan's): ~45 collections of the young objects (~3 ms), and as they count towards the
    next full collection, often one full collection through every object of the scan, none of
    them garbage (40-50 ms in ``benchmarks/bench_outputs.py``; a third of the outputs' time).
    The documents hold no reference cycles and are freed by reference counting; the few
    cycles made meanwhile (CairoSVG's parsed tree) wait for the next collection after it."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _write_label(assessment: Assessment, path: Path, registry_url: str, lang: str) -> list[Path]:
    from assay.present.label import write_label_as

    return write_label_as(assessment, path, registry_url, lang=lang)


def _table(assessment: Assessment, version: str, registry_url: str) -> str:
    from assay.present.table import render as table

    return table(assessment)


def _json(assessment: Assessment, version: str, registry_url: str) -> str:
    from assay.present.native import text

    return text(assessment)


def _cdx_json(assessment: Assessment, version: str, registry_url: str) -> str:
    from assay.present.cyclonedx import render as cdx

    return cdx(assessment, "json", version or "1.6")


def _cdx_xml(assessment: Assessment, version: str, registry_url: str) -> str:
    from assay.present.cyclonedx import render as cdx

    return cdx(assessment, "xml", version or "1.6")


def _sarif(assessment: Assessment, version: str, registry_url: str) -> str:
    from assay.present.sarif import render as sarif

    return sarif(assessment)


def _html(assessment: Assessment, version: str, registry_url: str) -> str:
    from assay.present.report import render_html

    return render_html(assessment)


def _md(assessment: Assessment, version: str, registry_url: str) -> str:
    from assay.present.report import render_markdown

    return render_markdown(assessment)


def _label(assessment: Assessment, version: str, registry_url: str, lang: str = "en") -> str:
    from assay.present.label import build_label, language, product_url, render_svg
    from assay.present.native import document

    data = document(assessment)
    return render_svg(build_label(data, product_url(data, registry_url)), language(lang))


def _spdx(kind: str) -> Callable[[Assessment, str, str], str]:
    def renderer(assessment: Assessment, version: str, registry_url: str) -> str:
        from assay.present.spdx import render as spdx

        return spdx(assessment, kind)

    return renderer


def _spdx3(assessment: Assessment, version: str, registry_url: str) -> str:
    from assay.present.spdx3 import render as spdx3

    return spdx3(assessment)


def _json_bytes(assessment: Assessment, version: str) -> bytes:
    from assay.present.native import document, json_bytes

    return json_bytes(document(assessment))


def _cdx_json_bytes(assessment: Assessment, version: str) -> bytes:
    from assay.present.cyclonedx import json_bytes

    return json_bytes(assessment, version or "1.6")


def _spdx_json_bytes(assessment: Assessment, version: str) -> bytes:
    from assay.present.spdx import json_bytes

    return json_bytes(assessment)


def _spdx3_json_bytes(assessment: Assessment, version: str) -> bytes:
    from assay.present.spdx3 import json_bytes

    return json_bytes(assessment)


def _sarif_bytes(assessment: Assessment, version: str) -> bytes:
    from assay.present.sarif import json_bytes

    return json_bytes(assessment)


# the formats written to a file as the bytes their encoder makes
_ENCODED: dict[str, Callable[[Assessment, str], bytes]] = {
    "json": _json_bytes,
    "cyclonedx-json": _cdx_json_bytes,
    "spdx-json": _spdx_json_bytes,
    "spdx3-json": _spdx3_json_bytes,
    "sarif": _sarif_bytes,
}
_RENDERERS: dict[str, Callable[[Assessment, str, str], str]] = {
    "table": _table,
    "json": _json,
    "cyclonedx-json": _cdx_json,
    "cyclonedx-xml": _cdx_xml,
    "spdx-json": _spdx("json"),
    "spdx-tag-value": _spdx("tag-value"),
    "spdx3-json": _spdx3,
    "sarif": _sarif,
    "html": _html,
    "md": _md,
    "label": _label,
}
