"""Realistic firmware histories from a real root filesystem: variants of the bundled OpenWrt
image repacked with Debian's mksquashfs, each with packages removed, added or changed in
version in its opkg database (status and info/*.control), as successive vendor releases would.

    .venv/bin/python benchmarks/corpus_variants.py OUT_DIR --count 500

Each image gets a declaration beside it (``IMAGE.declaration.yaml``: the bundled sample with
the release's firmware version), which ``assay corpus scan`` picks up. Used by bench_corpus.py
and the corpus tests. Deterministic for a given seed.
"""

from __future__ import annotations

import argparse
import random
import re
import subprocess
import tempfile
from pathlib import Path

from wr703n import unpack_rootfs

DECLARATION = (
    Path(__file__).resolve().parent.parent
    / "data"
    / "declarations"
    / ("openwrt-wr703n.sample.yaml")
)
BUMPS = {  # real later upstream versions of packages in the image
    "dnsmasq": ["2.62-2", "2.66-3", "2.73-1", "2.78-4"],
    "dropbear": ["2011.54-2", "2013.62-1", "2016.74-1", "2017.75-7"],
    "busybox": ["1.19.4-6", "1.22.1-1", "1.24.2-1", "1.28.3-4"],
    "hostapd-common": ["20130405-1", "2014-10-25-1"],
}


def stanza_version(text: str, name: str, version: str) -> str:
    return re.sub(
        rf"(Package: {re.escape(name)}\n(?:[^\n]+\n)*?Version: )[^\n]+", rf"\g<1>{version}", text
    )


def make_variants(out: Path, count: int, seed: int = 1) -> list[Path]:
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    made = []
    with tempfile.TemporaryDirectory() as work:
        root = unpack_rootfs(Path(work), "root")
        info = root / "usr" / "lib" / "opkg" / "info"
        status_file = root / "usr" / "lib" / "opkg" / "status"
        original = status_file.read_text()
        controls = {p.name: p.read_text() for p in info.glob("*.control")}
        for i in range(count):
            status = original
            changed: dict[str, str] = {}
            for name, versions in BUMPS.items():
                if name == "dnsmasq":  # one package walks through its releases in turn
                    changed[name] = versions[i % len(versions)]
                elif rng.random() < 0.6:
                    changed[name] = rng.choice(versions)
                if name in changed:
                    status = stanza_version(status, name, changed[name])
            for name, text in controls.items():
                pkg = name[: -len(".control")]
                new = stanza_version(text, pkg, changed[pkg]) if pkg in changed else text
                (info / name).write_text(new)
            removed = rng.choice(["ppp", "ppp-mod-pppoe", "kmod-ppp", "luci-proto-ppp"])
            status = re.sub(rf"Package: {removed}\n(?:[^\n]+\n)*\n?", "", status)
            (info / f"{removed}.control").unlink(missing_ok=True)
            status_file.write_text(status)
            (root / "etc" / "openwrt_version").write_text(f"r{36088 + i}\n")
            image = out / f"wr703n-variant-{i:04d}.squashfs"
            (out / f"{image.name}.declaration.yaml").write_text(
                DECLARATION.read_text().replace(
                    "OpenWrt 12.09 r36088", f"OpenWrt 12.09 r{36088 + i}"
                )
            )
            subprocess.run(
                [
                    "mksquashfs",
                    str(root),
                    str(image),
                    "-noappend",
                    "-quiet",
                    "-no-progress",
                    "-comp",
                    "gzip",
                    "-all-root",
                ],
                check=True,
                capture_output=True,
            )
            if f"{removed}.control" in controls:
                (info / f"{removed}.control").write_text(controls[f"{removed}.control"])
            made.append(image)
        status_file.write_text(original)
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    made = make_variants(args.out, args.count, args.seed)
    print(f"{len(made)} images in {args.out} ({sum(p.stat().st_size for p in made) >> 20} MiB)")


if __name__ == "__main__":
    main()
