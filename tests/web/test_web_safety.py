"""Issue 10, the web parts: security headers on every page, ids out of range are 404, heavy
parsing runs off the event loop and the pending-upload limit holds under real concurrency
(a real uvicorn on 127.0.0.1, real HTTP requests from threads)."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from test_app import hostile_document

from assay.registry import Registry
from assay.web import Settings, create_app
from assay.web import api as web_api

HERE = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


TEMPLATES = HERE.parent.parent / "src" / "assay" / "web" / "templates"


@contextmanager
def served(app: Any) -> Iterator[str]:
    """``app`` under a real uvicorn on a free port of 127.0.0.1 (in a thread of this test)."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


def policy(response: Any) -> dict[str, str]:
    text = response.headers["content-security-policy"]
    return {
        part.split()[0]: part.split(None, 1)[1] if " " in part.strip() else ""
        for part in (p.strip() for p in text.split(";"))
        if part
    }


def test_every_html_page_has_the_security_headers(registry: Registry) -> None:
    stored = registry.add(hostile_document())
    app = create_app(Settings(), registry)
    slug = stored.product_slug
    with TestClient(app) as client:
        pages = [
            "/",
            f"/products/{slug}",
            f"/assessments/{stored.assessment_id}",
            "/manufacturers/Acme",
            "/no/such/page",
            "/products/no-such-product",
            "/docs",
            "/redoc",
        ]
        for path in pages:
            response = client.get(path)
            assert response.headers["content-type"].startswith("text/html"), path
            assert response.headers["x-content-type-options"] == "nosniff", path
            assert response.headers["x-frame-options"] == "DENY", path
            rules = policy(response)
            assert rules["frame-ancestors"] == "'none'", path
            script = rules.get("script-src", rules.get("default-src"))
            assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in script, path
            # any inline script a page has is allowed by its hash, never wholesale
            for inline in re.findall(r"<script>(.*?)</script>", response.text, re.S):
                assert path == "/docs" and "'sha256-" in script, path
                assert inline.strip()
            if path not in ("/docs", "/redoc"):
                assert "<script" not in response.text, path
        for path in (f"/products/{slug}/label.svg", "/api/v1/products", "/static/style.css"):
            response = client.get(path)
            assert response.headers["x-content-type-options"] == "nosniff", path
            assert policy(response)["frame-ancestors"] == "'none'", path


def test_templates_carry_no_inline_script_or_style() -> None:
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert "<script" not in text and "<style" not in text, template.name
        assert not re.search(r"\sstyle=|\son[a-z]+=", text), template.name


def test_ids_out_of_range_are_404(registry: Registry) -> None:
    with TestClient(create_app(Settings(), registry)) as client:
        for big in ("99999999999999999999", str(2**31), str(2**63), "0", "-1"):
            for path in (
                f"/api/v1/assessments/{big}",
                f"/assessments/{big}",
                f"/assessments/{big}/assessment.json",
            ):
                response = client.get(path)
                assert response.status_code == 404, (path, response.status_code)


def test_a_slow_parse_does_not_block_the_server(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A declaration whose parse takes 3 s: while it runs, the server answers other requests
    at once (the parse runs in a worker thread, not on the event loop)."""
    real = web_api.parse_declaration

    def slow(data: bytes, name: str) -> dict[str, Any]:
        time.sleep(3)  # a blocking call, as a huge YAML parse is
        return real(data, name)

    monkeypatch.setattr(web_api, "parse_declaration", slow)
    token = registry.create_token("Acme")
    files = {
        "firmware": ("a.json", json.dumps(hostile_document()).encode(), "application/json"),
        "declaration": ("d.yaml", b"schema_version: '1'\n", "text/yaml"),
    }
    with served(create_app(Settings(), registry)) as base:
        started = time.monotonic()
        pool = ThreadPoolExecutor(1)
        uploading = pool.submit(
            httpx.post,
            f"{base}/api/v1/uploads",
            files=files,
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        time.sleep(0.5)
        asked = time.monotonic()
        answer = httpx.get(f"{base}/api/v1/products", timeout=30)
        answered = time.monotonic() - asked
        assert answer.status_code == 200
        assert not uploading.done()  # the parse was still running
        assert answered < 1.5, f"the server took {answered:.1f} s to answer"
        assert uploading.result().status_code == 400  # the declaration is refused, later
        assert time.monotonic() - started >= 3
        pool.shutdown()


def test_the_pending_limit_holds_under_concurrent_uploads(registry: Registry) -> None:
    """40 uploads at once against a limit of 20 while the worker is busy: exactly 20 are
    queued, the rest get 503 (the check and the queueing are one atomic step)."""
    app = create_app(Settings(max_pending=20), registry)
    release = threading.Event()
    app.state.jobs.executor.submit(release.wait, 120)  # the one worker is busy
    token = registry.create_token("Acme")
    body = json.dumps(hostile_document()).encode()

    def one(base: str) -> Callable[[int], int]:
        def post(n: int) -> int:
            files = {"firmware": (f"a{n}.json", body, "application/json")}
            headers = {"Authorization": f"Bearer {token}"}
            return httpx.post(
                f"{base}/api/v1/uploads", files=files, headers=headers, timeout=60
            ).status_code

        return post

    with served(app) as base:
        try:
            with ThreadPoolExecutor(40) as pool:
                codes = list(pool.map(one(base), range(40)))
            assert codes.count(202) == 20, codes
            assert codes.count(503) == 20, codes
            assert app.state.jobs.pending() == 20
        finally:
            release.set()


def test_pages_carry_no_control_characters(registry: Registry) -> None:
    """ESC, BEL, NUL and C1 characters from an image's files (here: its release string, the
    product name and a check's title) never reach a page: they are dropped when shown."""
    document = hostile_document()
    bad = "12.09\x1b]0;pwned\x07\x1b[31mred\x9b\x00"
    document["identity"]["os_version"] = bad
    document["declaration"]["product"]["name"] = f"Cam {bad}"
    document["findings"][0]["title"] = f"Banner {bad}"
    stored = registry.add(document)
    with TestClient(create_app(Settings(), registry)) as client:
        for path in ("/?q=cam", f"/products/{stored.product_slug}"):
            text = client.get(path).text
            assert "Cam 12.09]0;pwned[31mred" in text, path
            assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", text), path


def test_an_error_is_one_short_line(registry: Registry) -> None:
    """A declaration naming 3,000 unknown fields is refused with one line, not 30 KB."""
    token = registry.create_token("Acme")
    fields = "".join(f"k{i:05d}: 1\n" for i in range(3000)).encode()
    files = {
        "firmware": ("a.json", json.dumps(hostile_document()).encode(), "application/json"),
        "declaration": ("d.json", b"{" + fields.replace(b"\n", b",")[:-1] + b"}", "text/json"),
    }
    with TestClient(create_app(Settings(), registry)) as client:
        response = client.post(
            "/api/v1/uploads", files=files, headers={"Authorization": f"Bearer {token}"}
        )
    assert response.status_code == 400
    message = response.json()["error"]["message"]
    assert message.startswith("declaration d.json: ") and len(message) <= 500
    assert "\n" not in message
