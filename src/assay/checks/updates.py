"""Software updates: is there a mechanism, does it verify a signature, over which channel."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources

from assay.checks.context import CheckContext, ImageView
from assay.checks.interface import Outcome, failed, inconclusive, not_applicable, passed
from assay.checks.vendor_updates import VendorUpdater, upgrade_pages, vendor_updaters
from assay.model.check import Evidence, Verdict
from assay.safeload import packaged_yaml

# Names that suggest a vendor's own updater (only used to say "maybe", never to pass).
VENDOR_UPDATER = re.compile(r"(?i)^(fw|firmware|sys|ota)[_-]?(up(grade|date)|flash)|^ota[_-]?\w*$")
UPDATE_URL = re.compile(
    r"""http://[^\s'"<>]*(?:update|upgrade|firmware|/ota\b|\bota\.|fota)[^\s'"<>]*""", re.I
)
SCRIPT_DIRS = ("/bin/", "/sbin/", "/usr/bin/", "/usr/sbin/", "/www/cgi-bin/", "/usr/libexec/")
HANDLED = {"/etc/opkg.conf", "/etc/apt/sources.list", "/etc/mender/mender.conf"}
OPENWRT_SIGNATURE = re.compile(r"\b(usign|ucert|fwtool_check_signature|verify_signature)\b")


@dataclass(frozen=True)
class Updater:
    key: str
    label: str
    kind: str
    path: str  # where it was found


@cache
def _specs() -> dict[str, dict[str, object]]:
    text = resources.files("assay.checks").joinpath("data/updaters.yaml").read_text("utf-8")
    data: dict[str, dict[str, object]] = packaged_yaml(text)
    return data


def updaters(view: ImageView) -> list[Updater]:
    def compute() -> list[Updater]:
        out = []
        for key, spec in _specs().items():
            paths = spec["paths"]
            assert isinstance(paths, list)
            for path in paths:
                if view.rootfs.exists(path):
                    out.append(Updater(key, str(spec["label"]), str(spec["kind"]), path))
                    break
        return out

    return view.memo("updaters", compute)


def _vendor_candidates(view: ImageView) -> list[str]:
    out = []
    for folder in ("/bin", "/sbin", "/usr/bin", "/usr/sbin", "/usr/local/bin"):
        out += [f"{folder}/{n}" for n in view.rootfs.listdir(folder) if VENDOR_UPDATER.search(n)]
    return out


def mechanism(ctx: CheckContext) -> Outcome:
    evidence: list[Evidence] = []
    kinds: set[str] = set()
    maybe: list[Evidence] = []
    for view in ctx:
        for up in updaters(view):
            kinds.add(up.kind)
            evidence.append(view.evidence(up.path, None, "", f"{up.label} ({up.kind} updates)"))
        for vendor in _vendor(view):
            kinds.add("firmware")
            kind = "compiled program" if vendor.compiled else "script"
            note = f"vendor firmware updater ({kind}) that writes flash"
            evidence.append(view.evidence(vendor.path, None, "", note))
        maybe += [
            view.evidence(p, None, "", "looks like a vendor updater")
            for p in _vendor_candidates(view)
        ]
        maybe += [
            view.evidence(p, None, "", "web page for a firmware upgrade")
            for p in upgrade_pages(view)
        ]
    if "firmware" in kinds:
        return passed("The image has a firmware update mechanism.", *evidence)
    if kinds:
        return inconclusive(
            "Only a package manager was found; it may not update the whole firmware.", *evidence
        )
    if maybe:
        return inconclusive(
            "No update mechanism that writes flash was recognised; these may be one.", *maybe[:20]
        )
    return inconclusive(
        "No update mechanism recognised in the image; updates may be done by a compiled "
        "program or by another processor (an RTOS side, the boot loader)."
    )


def signature(ctx: CheckContext) -> Outcome:
    verdicts: list[Outcome] = []
    for view in ctx:
        for up in updaters(view):
            if up.kind != "firmware":
                continue
            judge = _JUDGES.get(up.key)
            verdicts.append(judge(view, up) if judge else _unknown(view, up))
        verdicts += [vendor.outcome for vendor in _vendor(view)]
    if not verdicts:
        return inconclusive(
            "No firmware update mechanism found to examine (see updates.mechanism)."
        )
    evidence = tuple(e for v in verdicts for e in v.evidence)
    for wanted in ("FAIL", "INCONCLUSIVE"):
        hits = [v for v in verdicts if v.verdict == wanted]
        if hits:
            return Outcome(hits[0].verdict, " ".join(v.summary for v in hits), evidence)
    return passed(" ".join(v.summary for v in verdicts), *evidence)


def _vendor(view: ImageView) -> list[VendorUpdater]:
    """Vendor updaters, leaving out the known ones judged on their own (sysupgrade...)."""
    known = {up.path for up in updaters(view)}
    return [v for v in vendor_updaters(view) if v.path not in known]


def _sysupgrade(view: ImageView, up: Updater) -> Outcome:
    files = [up.path] + [f"/lib/upgrade/{n}" for n in view.rootfs.listdir("/lib/upgrade")]
    for path in files:
        for n, line in view.lines(path):
            if OPENWRT_SIGNATURE.search(line) and not line.lstrip().startswith("#"):
                ev = view.evidence(path, n, line.strip(), "signature check before flashing")
                return passed("sysupgrade verifies the image signature before flashing.", ev)
    evidence = [view.evidence(up.path, None, "", "no usign/ucert/fwtool signature check")]
    for path in files:
        for n, line in view.lines(path):
            if re.search(r"platform_check_image\s*\(\)|sysupgrade_image_check=", line):
                note = "the only image check: file format / magic number"
                evidence.append(view.evidence(path, n, line.strip(), note))
            elif re.search(r"-F\s*\|\s*--force\)", line):
                evidence.append(view.evidence(path, n, line.strip(), "even that can be forced"))
    return failed("sysupgrade flashes images without verifying a signature.", *evidence)


def _swupdate(view: ImageView, up: Updater) -> Outcome:
    data = view.rootfs.read_bytes(up.path) or b""
    if b"sw-description.sig" in data:
        ev = view.evidence(up.path, None, "sw-description.sig", "built with signed-image support")
        return passed("SWUpdate is built to verify signed images.", ev)
    ev = view.evidence(up.path, None, "", "no sw-description.sig support in the binary")
    return failed("SWUpdate is built without signed-image support.", ev)


def _rauc(view: ImageView, up: Updater) -> Outcome:
    ev = [view.evidence(up.path, None, "", "RAUC bundles are always signed")]
    for n, line in view.lines("/etc/rauc/system.conf"):
        if line.strip().startswith(("path=", "directory=")):
            ev.append(view.evidence("/etc/rauc/system.conf", n, line.strip(), "keyring"))
    return passed("RAUC verifies bundle signatures against its keyring.", *ev)


def _mender(view: ImageView, up: Updater) -> Outcome:
    for path in ("/etc/mender/mender.conf", "/var/lib/mender/mender.conf"):
        for n, line in view.lines(path):
            if "ArtifactVerifyKey" in line:
                ev = view.evidence(path, n, line.strip(), "artifact signature key")
                return passed("Mender verifies artifact signatures.", ev)
    ev = view.evidence(up.path, None, "", "no ArtifactVerifyKey in mender.conf")
    return failed("Mender accepts unsigned artifacts (no ArtifactVerifyKey).", ev)


def _update_engine(view: ImageView, up: Updater) -> Outcome:
    """update_engine checks payload signatures against the key it is built with; the key file
    in the image shows which one (without it the build may skip the check)."""
    for key in (
        "/etc/update_engine/update-payload-key.pub.pem",
        "/system/etc/update_engine/update-payload-key.pub.pem",
    ):
        if view.rootfs.is_file(key):
            ev = view.evidence(key, None, "", "public key update_engine verifies payloads with")
            return passed(
                "update_engine verifies payload signatures with the key in the image.", ev
            )
    return _unknown(view, up)


def _unknown(view: ImageView, up: Updater) -> Outcome:
    ev = view.evidence(up.path, None, "", f"{up.label}: verification not judged by Assay")
    return inconclusive(f"Cannot tell whether {up.label} verifies signatures.", ev)


_JUDGES = {
    "sysupgrade": _sysupgrade,
    "swupdate": _swupdate,
    "rauc": _rauc,
    "mender": _mender,
    "update_engine": _update_engine,
}


def channel(ctx: CheckContext) -> Outcome:
    bad: list[Evidence] = []
    good: list[Evidence] = []
    signed: bool | None = None  # updates.signature's answer, worked out once when needed
    for view in ctx:
        _opkg(view, bad, good)
        _apt(view, bad, good)
        for n, line in view.lines("/etc/mender/mender.conf"):
            if re.search(r'"ServerURL"\s*:\s*"http://', line):
                bad.append(view.evidence("/etc/mender/mender.conf", n, line.strip(), "plain HTTP"))
        urls = _plain_update_urls(view)
        if urls and signed is None:
            signed = signature(ctx).verdict == Verdict.PASS
        if urls and signed:
            good += [replace(e, note=e.note + "; images are signature-checked") for e in urls]
        else:
            bad += urls
    if bad:
        return failed("Updates are fetched over plain HTTP without a signature check.", *bad)
    if good:
        return passed("Update sources use HTTPS or signed indexes.", *good)
    return not_applicable("No update source is configured in the image.")


def _plain_update_urls(view: ImageView) -> list[Evidence]:
    """http:// URLs that look like update or firmware downloads, in configuration and scripts."""
    out = []
    for entry in view.entries:
        if not entry.is_file or not 0 < entry.size <= 256 * 1024 or entry.path in HANDLED:
            continue
        script = entry.path.startswith(SCRIPT_DIRS)
        if not (entry.path.startswith("/etc/") or script):
            continue
        try:
            data = view.rootfs.read_bytes(entry.path) or b""
        except OSError:
            continue
        if (
            b"http://" not in data
            or b"\0" in data[:4096]
            or (script and not data.startswith(b"#!"))
        ):
            continue
        for n, line in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
            m = UPDATE_URL.search(line)
            if m and not line.lstrip().startswith("#"):
                note = f"update download over plain HTTP: {m.group(0)[:80]}"
                out.append(view.evidence(entry.path, n, line.strip(), note))
    return out


def _opkg(view: ImageView, bad: list[Evidence], good: list[Evidence]) -> None:
    confs = ["/etc/opkg.conf"] + [f"/etc/opkg/{n}" for n in view.rootfs.listdir("/etc/opkg")]
    feeds: list[tuple[str, int, str]] = []
    signed = False
    for path in confs:
        for n, line in view.lines(path):
            words = line.split()
            if len(words) >= 3 and words[0] in ("src", "src/gz") and not line.startswith("#"):
                feeds.append((path, n, line.strip()))
            if words[:2] == ["option", "check_signature"]:
                signed = len(words) < 3 or words[2] not in ("0", "false", "off")
    for path, n, line in feeds:
        url = line.split()[2]
        if url.startswith("https://") or signed:
            good.append(view.evidence(path, n, line, "signed index" if signed else "HTTPS"))
        elif url.startswith(("http://", "ftp://")):
            bad.append(
                view.evidence(path, n, line, "opkg feed over plain HTTP, no check_signature")
            )


def _apt(view: ImageView, bad: list[Evidence], good: list[Evidence]) -> None:
    paths = ["/etc/apt/sources.list"] + [
        f"/etc/apt/sources.list.d/{n}" for n in view.rootfs.listdir("/etc/apt/sources.list.d")
    ]
    for path in paths:
        for n, line in view.lines(path):
            if not line.startswith("deb"):
                continue
            if "trusted=yes" in line or "allow-insecure=yes" in line:
                bad.append(view.evidence(path, n, line.strip(), "APT signature check disabled"))
            else:
                good.append(view.evidence(path, n, line.strip(), "APT checks signed Release files"))
