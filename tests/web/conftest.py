"""Fixtures for the web tests: a real assessment of the bundled OpenWrt image, a registry with
it, and a running ``assay serve``."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from assay import __version__
from assay.extract.rootfs import RootFS
from assay.registry.inputs import load_declaration

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
DECLARATION = ROOT / "data" / "declarations" / "openwrt-wr703n.sample.yaml"


def real_assessment(image: Path, rootfs: RootFS, declaration: Path) -> dict[str, Any]:
    """The assessment of the real image: ``assay.pipeline.assess`` when it exists, else the
    landed stages (checks, norms) run on the real unpacked root filesystem."""
    import assay.pipeline as pipeline

    if hasattr(pipeline, "assess"):
        work = image.parent / "scan-work"
        options = pipeline.ScanOptions(work_dir=work, declaration=declaration)
        result = pipeline.assess(image, options)
        return getattr(result, "assessment", result).to_dict()  # type: ignore[no-any-return]
    from assay.checks import run_checks
    from assay.model.assessment import Assessment, Target
    from assay.model.identity import Identity
    from assay.norms.evaluate import evaluate

    release = rootfs.read_text("/etc/openwrt_release") or ""
    fields = dict(line.split("=", 1) for line in release.splitlines() if "=" in line)
    version = fields.get("DISTRIB_RELEASE", "").strip("'\"")
    data = image.read_bytes()
    assessment = Assessment(
        target=Target(image.name, "image", hashlib.sha256(data).hexdigest(), len(data)),
        tool_version=__version__,
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        identity=Identity(os_name="OpenWrt", os_version=version, os_id="openwrt"),
        declaration=load_declaration(declaration),
    )
    assessment.findings = run_checks([rootfs], assessment)
    assessment.verdicts = evaluate(assessment)
    return assessment.to_dict()


@pytest.fixture(scope="session")
def declaration_path() -> Path:
    """The sample declaration for the bundled image (data/declarations)."""
    return DECLARATION


@pytest.fixture(scope="session")
def wr703n_assessment(wr703n_image: Path, wr703n_rootfs: RootFS) -> dict[str, Any]:
    return real_assessment(wr703n_image, wr703n_rootfs, DECLARATION)


def assay_command() -> list[str]:
    """The real command line: ``python -m assay``."""
    return [sys.executable, "-m", "assay"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def served_registry(
    tmp_path_factory: pytest.TempPathFactory, wr703n_assessment: dict[str, Any]
) -> Iterator[tuple[str, str]]:
    """``assay serve`` on 127.0.0.1 with a SQLite registry holding the real assessment, signed
    by a scanner key the registry trusts (``assay keys generate``, ``assay registry
    trust-key``) and filled through ``assay registry add``; yields (base URL, product slug)."""
    import json

    from assay.present.signing import load_private, sign

    folder = tmp_path_factory.mktemp("served")
    env = {**os.environ, "ASSAY_HOME": str(folder / "home")}
    env.pop("ASSAY_REGISTRY_URL", None)
    key = folder / "scanner.pem"
    for args in (
        ["keys", "generate", "--out", str(key)],
        ["registry", "trust-key", str(key.with_suffix(".pub")), "--name", "test scanner"],
    ):
        done = subprocess.run(
            [*assay_command(), *args], env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
    signed = sign(wr703n_assessment, load_private(key))
    (folder / "assessment.json").write_text(json.dumps(signed), encoding="utf-8")
    added = subprocess.run(
        [
            *assay_command(),
            "registry",
            "add",
            str(folder / "assessment.json"),
            "--declaration",
            str(DECLARATION),
            "--json",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert added.returncode == 0, added.stderr
    slug = json.loads(added.stdout)["product_slug"]
    with serving(env) as base:
        yield base, slug


@contextmanager
def serving(env: dict[str, str], *args: str) -> Iterator[str]:
    """``assay serve`` (with ``args``) on a free port of 127.0.0.1 until the block ends;
    yields its base URL once it answers."""
    port = free_port()
    server = subprocess.Popen(
        [*assay_command(), "serve", "--host", "127.0.0.1", "--port", str(port), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(base + "/", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                _out, err = server.communicate(timeout=5)
                pytest.fail(f"assay serve did not start: {err.decode()[-2000:]}")
            time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def serve() -> Any:
    """``serving`` for test modules (importing it from ``conftest`` depends on the order)."""
    return serving


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's headless Chromium, driven by Playwright."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed (make test-system-deps installs it)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[Any]:
    """An empty SQLite registry for one test."""
    from assay.registry import Registry

    reg = Registry.open(f"sqlite:///{tmp_path / 'registry.sqlite'}")
    yield reg
    reg.close()


@pytest.fixture
def client(registry: Any) -> Iterator[Any]:
    """The web app on that registry, through Starlette's test client (3 MiB upload limit)."""
    from fastapi.testclient import TestClient

    from assay.web import Settings, create_app

    app = create_app(Settings(max_upload=3 * 1024 * 1024), registry)
    with TestClient(app) as test_client:
        yield test_client
