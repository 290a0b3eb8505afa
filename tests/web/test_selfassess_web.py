"""The free self-assessment page: the bundled WR703N image uploaded from Chromium, scanned by
the real pipeline, followed to its report and label (screenshots in tests/artifacts/); the
private link's expiry, the rate per client, an SBOM scanned as one, and jobs kept
in the registry across a restart of the app."""

from __future__ import annotations

import re
import shutil
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from assay.registry import Registry
from assay.registry import tables as t
from assay.web import Settings, create_app
from assay.web.selfassess import Bucket, digest

HERE = Path(__file__).resolve().parent
ARTIFACTS = HERE.parent / "artifacts"
MAKER = "Sample Router Works Ltd (fictitious)"


def _settings(tmp: Path, **more: Any) -> Settings:
    return Settings(
        registry_url=f"sqlite:///{tmp / 'registry.sqlite'}",
        reaudit_interval=0,
        selfassess_spool=tmp / "spool",
        **more,
    )


def serious_violations(page: Any, where: str = "main") -> list[str]:
    """axe-core's serious and critical findings inside ``where`` (the page's own content)."""
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page, context=where).response["violations"]
    return [f"{v['id']}: {v['help']}" for v in found if v["impact"] in ("serious", "critical")]


def _wait_done(http: Any, token: str, limit: float = 600) -> tuple[dict[str, Any], set[str]]:
    """Poll the job until it ends; the stages seen on the way."""
    seen: set[str] = set()
    deadline = time.monotonic() + limit
    while True:
        state = http.get(f"/self-assessment/{token}/status.json").json()
        seen.add(state["stage"])
        if state["status"] in ("done", "failed"):
            return state, seen
        assert time.monotonic() < deadline, state
        time.sleep(0.3)


def test_bucket_refills_at_its_rate() -> None:
    now = [0.0]
    bucket = Bucket(burst=2, every=60, clock=lambda: now[0])
    assert bucket.take("a") == 0 and bucket.take("a") == 0
    assert bucket.take("a") == pytest.approx(60)
    assert bucket.take("b") == 0  # per client
    now[0] = 30.0
    assert bucket.take("a") == pytest.approx(30)
    now[0] = 61.0
    assert bucket.take("a") == 0


def test_rate_limit_and_kinds_of_file(tmp_path: Path) -> None:
    app = create_app(_settings(tmp_path, selfassess_burst=2, selfassess_every=3600))
    http = TestClient(app)  # no lifespan: nothing is scanned here
    first = http.post("/self-assessment", files={"firmware": ("b.json", b'{"a": 1}', "text/plain")})
    assert first.status_code == 400  # (an SBOM is accepted: see the test below)
    second = http.post("/self-assessment", files={"firmware": ("a.json", b"{}", "text/plain")})
    assert second.status_code == 400 and "not a firmware image or an SBOM" in second.text
    third = http.post("/self-assessment", files={"firmware": ("x.bin", b"\0" * 10, "a/b")})
    assert third.status_code == 429 and "try again in 60 minutes" in third.text
    app.state.registry.close()


def test_upload_size_is_bounded(tmp_path: Path) -> None:
    app = create_app(_settings(tmp_path, max_upload=1000))
    http = TestClient(app)
    big = http.post("/self-assessment", files={"firmware": ("x.bin", b"\1" * 5000, "a/b")})
    assert big.status_code == 413 and "over the limit of 1000" in big.text
    app.state.registry.close()


def test_link_is_private_and_expires(tmp_path: Path) -> None:
    app = create_app(_settings(tmp_path, selfassess_days=7))
    http = TestClient(app)
    jobs = app.state.selfassess
    folder = jobs.folder()
    (folder / "x.bin").write_bytes(b"\1" * 100)
    token = jobs.record(folder / "x.bin", "x.bin")
    assert len(token) >= 32 and jobs.get(token) is not None
    with app.state.registry.sessions() as session:
        row = session.get(t.SelfAssessJob, digest(token))
        assert row is not None and token not in repr(row.__dict__)  # only its hash is kept
        ttl = row.expires.replace(tzinfo=UTC) - row.created.replace(tzinfo=UTC)
        assert ttl == timedelta(days=7)
    page = http.get(f"/self-assessment/{token}")
    assert page.status_code == 200 and page.headers["refresh"] == "3"
    assert page.headers["cache-control"] == "no-store" and "noindex" in page.headers["x-robots-tag"]
    assert http.get(f"/self-assessment/{token[:-1]}x").status_code == 404
    assert token not in http.get("/?q=x").text  # not listed anywhere
    with app.state.registry.sessions.begin() as session:
        session.execute(
            update(t.SelfAssessJob)
            .where(t.SelfAssessJob.key_sha256 == digest(token))
            .values(expires=datetime.now(UTC) - timedelta(seconds=1))
        )
    busy = create_app(_settings(tmp_path, max_pending=1), app.state.registry)
    full = TestClient(busy).post("/self-assessment", files={"firmware": ("x", b"1", "a/b")})
    assert full.status_code == 503 and "1 self-assessments are already waiting" in full.text
    gone = http.get(f"/self-assessment/{token}")
    assert gone.status_code == 410 and "expired" in gone.text
    assert jobs.purge() == 1 and not folder.exists()  # the row and the upload are deleted
    assert http.get(f"/self-assessment/{token}").status_code == 404
    app.state.registry.close()


@pytest.mark.slow
def test_jobs_survive_a_restart(tmp_path: Path, wr703n_image: Path) -> None:
    """A server that received an upload and stopped before scanning it: the next app on the
    same registry scans it; a job whose upload is gone fails with a reason; a third app sees
    the finished job."""
    settings = _settings(tmp_path)
    first = create_app(settings)  # received, never started its worker (a crash)
    folder = first.state.selfassess.folder()
    shutil.copy(wr703n_image, folder / "router.bin.xz")
    token = first.state.selfassess.record(folder / "router.bin.xz", "router.bin.xz")
    lost = first.state.selfassess.record(tmp_path / "gone" / "x.bin", "x.bin")
    first.state.registry.close()

    with TestClient(create_app(settings)) as http:
        state, seen = _wait_done(http, token)
        assert state["status"] == "done", state
        assert {"extract", "done"} <= seen
        failed = http.get(f"/self-assessment/{lost}/status.json").json()
        assert failed["status"] == "failed" and "restarted" in failed["error"]["message"]

    with TestClient(create_app(settings)) as http:
        page = http.get(f"/self-assessment/{token}")
        assert page.status_code == 200 and "refresh" not in page.headers
        assert "Known vulnerabilities" in page.text
        document = http.get(f"/self-assessment/{token}/assessment.json").json()
        assert document["target"]["name"] == "router.bin.xz"
        assert any(c["name"] == "busybox" for c in document["components"])
        assert http.get(f"/self-assessment/{token}/report").status_code == 200
        assert http.get(f"/self-assessment/{token}/label.svg").text.lstrip().startswith("<")


def test_an_sbom_upload_is_assessed_without_an_image(tmp_path: Path, shared_data: Path) -> None:
    """A real SPDX SBOM (Syft's, of a busybox container image): matched and judged, its
    image checks inconclusive; an SBOM that lists no software fails with the reason."""
    sbom = shared_data / "sbom" / "bom-shelter" / "spdx-syft-rancher_library-busybox.spdx.json"
    empty = b'{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": []}'
    with TestClient(create_app(_settings(tmp_path))) as http:
        sent = {"firmware": ("busybox.spdx.json", sbom.read_bytes(), "application/json")}
        posted = http.post("/self-assessment", files=sent, follow_redirects=False)
        assert posted.status_code == 303
        token = posted.headers["location"].rsplit("/", 1)[1]
        sent = {"firmware": ("bom.json", empty, "application/json")}
        bad = http.post("/self-assessment", files=sent, follow_redirects=False)
        nothing = bad.headers["location"].rsplit("/", 1)[1]
        state, _ = _wait_done(http, token)
        assert state["status"] == "done", state
        document = http.get(f"/self-assessment/{token}/assessment.json").json()
        assert document["target"]["kind"] == "sbom"
        assert any(c["name"] == "busybox" for c in document["components"])
        assert {f["verdict"] for f in document["findings"]} == {"INCONCLUSIVE"}
        failed, _ = _wait_done(http, nothing)
        assert failed["status"] == "failed" and "no software" in failed["error"]["message"]


@pytest.mark.browser
@pytest.mark.slow
def test_upload_from_the_browser_to_report_label_and_publication(
    tmp_path: Path, wr703n_image: Path, declaration_path: Path, page: Any
) -> None:
    import uvicorn

    settings = _settings(tmp_path)
    registry = Registry.open(settings.registry_url)
    api_token = registry.create_token(MAKER)
    app = create_app(settings, registry)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        page.set_viewport_size({"width": 375, "height": 800})
        page.goto(base + "/self-assessment")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        page.set_viewport_size({"width": 1280, "height": 900})
        page.set_input_files("#firmware", str(wr703n_image))
        page.set_input_files("#declaration", str(declaration_path))
        page.screenshot(path=str(ARTIFACTS / "selfassess-form.png"), full_page=True)
        assert serious_violations(page) == []
        page.click("#selfassess-submit")
        page.wait_for_url(re.compile(r".*/self-assessment/[A-Za-z0-9_-]{32}$"))
        token = page.url.rsplit("/", 1)[1]
        assert page.locator("#selfassess-progress").is_visible()
        assert page.locator("#selfassess-progress progress").count() == 1
        page.screenshot(path=str(ARTIFACTS / "selfassess-progress.png"), full_page=True)
        assert serious_violations(page) == []
        # the page reloads itself (Refresh header) until the scan has finished
        page.locator("#selfassess-result").wait_for(timeout=600_000)
        facts = page.locator("#selfassess-facts").inner_text()
        assert "Components found" in facts and "Known vulnerabilities" in facts
        label = page.request.get(f"{base}/self-assessment/{token}/label.svg")
        assert label.status == 200 and label.headers["content-type"] == "image/svg+xml"
        page.wait_for_function("document.querySelector('#selfassess-label').naturalWidth > 0")
        assert "until 2016-04-30" in facts  # the support end the sample declaration gives
        page.screenshot(path=str(ARTIFACTS / "selfassess-result.png"), full_page=True)
        assert serious_violations(page) == []
        page.set_viewport_size({"width": 375, "height": 800})
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        page.set_viewport_size({"width": 1280, "height": 900})

        page.click("#selfassess-report")
        page.wait_for_url(f"**/self-assessment/{token}/report")
        assert "openwrt" in page.content().lower()
        page.screenshot(path=str(ARTIFACTS / "selfassess-report.png"))
        assert registry.products("") == []  # private until published

        other = registry.create_token("Other Maker Ltd")
        for wrong, status in (("assay_wrong", "401"), (other, "403")):
            page.goto(f"{base}/self-assessment/{token}")
            page.fill("#api-token", wrong)
            page.click("#selfassess-publish button")
            page.wait_for_load_state()
            assert page.title().startswith(f"Error {status}"), page.title()
        assert "not to 'Sample Router Works Ltd (fictitious)'" in page.content()
        assert registry.products("") == []
        page.goto(f"{base}/self-assessment/{token}")
        page.fill("#api-token", api_token)
        page.click("#selfassess-publish button")
        page.wait_for_url("**/products/**")
        (product,) = registry.products("")
        assert product.manufacturer == MAKER and page.url.endswith(product.slug)
        assert page.locator("#label-image").is_visible()
    finally:
        server.should_exit = True
        thread.join(10)
        registry.close()


def test_assay_serve_sets_the_link_lifetime(tmp_path: Path, serve: Any) -> None:
    """``assay serve --selfassess-days 2``: the link of an upload lives two days; a file that
    is no image fails with the pipeline's reason."""
    import os

    import httpx
    from click.testing import CliRunner

    from assay.cli.serve import command

    bad = CliRunner().invoke(command, ["--selfassess-days", "0"])
    assert bad.exit_code != 0 and "--selfassess-days" in bad.output
    env = {**os.environ, "ASSAY_HOME": str(tmp_path / "home"), "TMPDIR": str(tmp_path)}
    env.pop("ASSAY_REGISTRY_URL", None)
    with serve(env, "--selfassess-days", "2") as base:
        sent = httpx.post(
            base + "/self-assessment",
            files={"firmware": ("notes.bin", b"just some text, no firmware\n" * 40, "a/b")},
        )
        assert sent.status_code == 303
        token = sent.headers["location"].rsplit("/", 1)[1]
        state, _seen = _wait_done(httpx.Client(base_url=base), token, limit=120)
        assert state["status"] == "failed" and state["error"]["message"]
        expires = datetime.fromisoformat(state["expires"])
        assert timedelta(days=2) - (expires - datetime.now(UTC)) < timedelta(minutes=5)
