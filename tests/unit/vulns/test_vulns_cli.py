"""``assay feeds import|update|status`` end to end; ``update`` against a local HTTP server
that serves recorded real feed files (there is no internet here)."""

from __future__ import annotations

import gzip
import json
import lzma
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from click.testing import CliRunner

from assay.cli import main
from assay.cli.feeds import command
from assay.vulns.store import Store


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(command, list(args), catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def test_import_status_and_reimport(vulns_data: Path, tmp_path: Path) -> None:
    db = str(tmp_path / "v.sqlite")
    paths = [
        str(vulns_data / "nvd" / "iot-subset" / "nvd_iot_sample.json"),
        str(vulns_data / "kev" / "known_exploited_vulnerabilities.json"),
        str(vulns_data / "epss" / "emba-epss-per-year" / "CVE_2016_EPSS.csv.xz"),
    ]
    code, out = _run("import", *paths, "--db", db, "--json")
    assert code == 0
    report = json.loads(out)
    assert report["revision"] == 1 and report["skipped"] == 0
    assert {f["format"]: f["records"] for f in report["feeds"]} == {
        "nvd": 348,
        "kev": 1404,
        "epss": 9367,
    }
    code, out = _run("import", *paths, "--db", db, "--json")
    assert json.loads(out)["changed"] == 0 and json.loads(out)["revision"] == 1
    code, out = _run("status", "--db", db)
    assert code == 0
    assert "records:  348" in out and "KEV 1404" in out and "revision: 1" in out
    assert "nvd_iot_sample.json" in out and "feed date 2024-10-25" in out
    # the header's counts and the files' counts agree (records + KEV + EPSS entries)
    assert "entries:  11119 held = 348 records + 1404 KEV + 9367 EPSS" in out
    assert "files:" not in out
    data = json.loads(_run("status", "--db", db, "--json")[1])
    assert data["entries_held"] == data["entries_in_files"] == 11119
    # a second file repeating the same records: both files count them, the store once
    copy = tmp_path / "again.json"
    copy.write_bytes(Path(paths[0]).read_bytes())
    assert _run("import", str(copy), "--db", db)[0] == 0
    code, out = _run("status", "--db", db)
    assert "files:    11467 entries in all, 11119 held" in out


def test_errors_through_the_assay_entry_point(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "notes.txt"
    bad.write_text("just some notes\n")
    db = str(tmp_path / "v.sqlite")
    assert main(["feeds", "import", str(bad), "--db", db]) == 5
    err = capsys.readouterr().err
    assert "not a recognised feed" in err and err.count("\n") == 1
    assert main(["feeds", "status", "--db", str(tmp_path / "none.sqlite")]) == 6
    assert "no vulnerability store" in capsys.readouterr().err


class _Recorded:
    """What the fake NVD/KEV/EPSS server serves, and the queries it received."""

    def __init__(self, nvd_pages: list[list[dict[str, Any]]], kev: bytes, epss: bytes) -> None:
        self.nvd_pages = nvd_pages
        self.kev, self.epss = kev, epss
        self.queries: list[dict[str, list[str]]] = []
        self.headers: list[str] = []
        self.fail_kev = False


@pytest.fixture
def feed_server(vulns_data: Path) -> Iterator[tuple[str, _Recorded]]:
    sample = json.loads((vulns_data / "nvd" / "iot-subset" / "nvd_iot_sample.json").read_text())
    records = list(sample["vulnerabilities"])
    pages = [records[:200], records[200:]]
    kev = (vulns_data / "kev" / "known_exploited_vulnerabilities.json").read_bytes()
    scores = lzma.decompress(
        (vulns_data / "epss" / "emba-epss-per-year" / "CVE_2016_EPSS.csv.xz").read_bytes()
    ).decode()
    rows = [line.replace(";", ",") for line in scores.splitlines()[:1000]]
    epss = gzip.compress(
        "\n".join(
            [
                "#model_version:v2025.03.14,score_date:2026-08-16T00:00:00+0000",
                "cve,epss,percentile",
            ]
            + rows
        ).encode()
    )
    recorded = _Recorded(pages, kev, epss)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            return None

        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            url = urlparse(self.path)
            query = parse_qs(url.query)
            if url.path == "/nvd":
                recorded.queries.append(query)
                recorded.headers.append(self.headers.get("apiKey", ""))
                start = int(query["startIndex"][0])
                flat = [r for page in recorded.nvd_pages for r in page]
                size = len(recorded.nvd_pages[0]) if recorded.nvd_pages else 0
                chunk = flat[start : start + size]
                body = json.dumps(
                    {
                        "resultsPerPage": len(chunk),
                        "startIndex": start,
                        "totalResults": len(flat),
                        "format": "NVD_CVE",
                        "version": "2.0",
                        "timestamp": "2026-08-16T00:00:00.000",
                        "vulnerabilities": chunk,
                    }
                ).encode()
            elif url.path == "/kev" and not recorded.fail_kev:
                body = recorded.kev
            elif url.path == "/epss":
                body = recorded.epss
            else:
                self.send_error(500)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", recorded
    finally:
        server.shutdown()
        server.server_close()


def test_update_full_then_incremental(
    feed_server: tuple[str, _Recorded], vulns_data: Path, tmp_path: Path
) -> None:
    base, recorded = feed_server
    db = tmp_path / "v.sqlite"
    urls = ["--nvd-url", f"{base}/nvd", "--kev-url", f"{base}/kev", "--epss-url", f"{base}/epss"]
    code, out = _run("update", "--db", str(db), "--delay", "0", "--api-key", "k3y", *urls, "--json")
    assert code == 0, out
    report = json.loads(out)
    assert {f["format"]: f["records"] for f in report["feeds"] if f["format"] != "nvd"} == {
        "kev": 1404,
        "epss": 1000,
    }
    assert sum(f["records"] for f in report["feeds"] if f["format"] == "nvd") == 348
    assert len(recorded.queries) == 2  # two pages, no date window on the first run
    assert "lastModStartDate" not in recorded.queries[0] and recorded.headers == ["k3y", "k3y"]
    store = Store.open(db)
    assert store.count("record") == 348 and store.count("kev") == 1404
    revision = store.revision()
    # next run: only what changed since; the server now has three newer real records
    modified = json.loads(
        lzma.decompress(
            (vulns_data / "nvd/modified/nvdcve-modified-2024-10-25.json.xz").read_bytes()
        )
    )
    newer = modified["vulnerabilities"][:3]
    recorded.nvd_pages = [newer]
    code, out = _run("update", "--db", str(db), "--delay", "0", "--no-epss", *urls, "--json")
    assert code == 0, out
    assert "lastModStartDate" in recorded.queries[-1] and "lastModEndDate" in recorded.queries[-1]
    assert store.changed_since(revision) == {v["cve"]["id"] for v in newer}


def test_failed_download_leaves_store_as_it_was(
    feed_server: tuple[str, _Recorded], tmp_path: Path
) -> None:
    base, recorded = feed_server
    db = tmp_path / "v.sqlite"
    recorded.fail_kev = True
    urls = ["--nvd-url", f"{base}/nvd", "--kev-url", f"{base}/kev", "--epss-url", f"{base}/epss"]
    assert main(["feeds", "update", "--db", str(db), "--delay", "0", *urls]) == 5
    store = Store.open(db)
    assert store.count("record") == 0 and store.revision() == 0
    assert store.meta("nvd_updated") == ""


def test_nvd_date_windows_are_at_most_120_days() -> None:
    from datetime import UTC, datetime, timedelta

    from assay.vulns.feeds.update import _windows

    now = datetime(2026, 11, 27, tzinfo=UTC)
    windows = _windows(now - timedelta(days=300), now)
    assert len(windows) == 3
    assert windows[0] is not None and windows[-1] is not None
    assert windows[0][0] == now - timedelta(days=300) and windows[-1][1] == now
    assert all(w is not None and w[1] - w[0] <= timedelta(days=120) for w in windows)
    assert _windows(now, now) == [(now, now)]
    assert _windows(None, now) == [None]
