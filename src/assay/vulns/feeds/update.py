"""``assay feeds update``: download the official feeds and import them in one transaction.

* NVD CVE API 2.0, incrementally: the first run pages through every CVE; later runs ask only
  for CVEs modified since the previous successful update (``lastModStartDate`` /
  ``lastModEndDate``, in windows of at most 120 days as the API requires). An API key (the
  ``--api-key`` option or ``NVD_API_KEY``) allows shorter pauses between pages.
* CISA KEV (JSON) and FIRST EPSS (the daily ``epss_scores-current.csv.gz``).

Every file is downloaded into a temporary folder first; the import runs only when all
downloads succeeded, so a dropped connection leaves the store as it was.
"""

from __future__ import annotations

import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from assay import __version__
from assay.errors import FeedError
from assay.safeload import load_json

NVD_URL = "https://services.nvd.nist.gov/rest/json/cves/2.0"
KEV_URL = "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"
EPSS_URL = "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz"
PAGE = 2000
WINDOW = timedelta(days=120)
_FMT = "%Y-%m-%dT%H:%M:%S.000"
MAX_DOWNLOAD = 512 << 20  # one response; an NVD page is about 30 MB, the KEV file about 1 MB


@dataclass(frozen=True)
class UpdatePlan:
    nvd_url: str = NVD_URL
    kev_url: str = KEV_URL
    epss_url: str = EPSS_URL
    api_key: str = ""
    nvd: bool = True
    kev: bool = True
    epss: bool = True
    delay: float | None = None  # seconds between NVD pages; None = NVD's advice
    timeout: float = 60.0


def _get(url: str, plan: UpdatePlan, headers: dict[str, str] | None = None) -> bytes:
    request = urllib.request.Request(
        url, headers={"User-Agent": f"assay/{__version__}", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=plan.timeout) as response:
            data: bytes = response.read(MAX_DOWNLOAD + 1)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise FeedError(
            f"cannot download {url} ({reason})",
            "check the network, or fetch the feeds elsewhere and run: assay feeds import FILE...",
        ) from exc
    if len(data) > MAX_DOWNLOAD:
        raise FeedError(
            f"{url} sent more than {MAX_DOWNLOAD >> 20} MiB (refused)",
            "check the URL; the official feeds are far smaller",
        )
    return data


def _windows(since: datetime | None, until: datetime) -> list[tuple[datetime, datetime] | None]:
    if since is None:
        return [None]
    out: list[tuple[datetime, datetime] | None] = []
    start = min(since, until)
    while True:  # at least one window, even when the last update was a moment ago
        end = min(start + WINDOW, until)
        out.append((start, end))
        if end >= until:
            return out
        start = end


def download(
    plan: UpdatePlan,
    dest: Path,
    since: datetime | None,
    now: datetime,
    progress: Callable[[str], None] = lambda _m: None,
) -> list[Path]:
    """Download what ``plan`` asks for into ``dest``; return the files in import order."""
    files: list[Path] = []
    if plan.nvd:
        headers = {"apiKey": plan.api_key} if plan.api_key else {}
        delay = plan.delay if plan.delay is not None else (0.6 if plan.api_key else 6.0)
        n = 0
        for window in _windows(since, now):
            start = 0
            while True:
                params: dict[str, str | int] = {"startIndex": start, "resultsPerPage": PAGE}
                if window is not None:
                    params["lastModStartDate"] = window[0].strftime(_FMT)
                    params["lastModEndDate"] = window[1].strftime(_FMT)
                url = f"{plan.nvd_url}?{urllib.parse.urlencode(params)}"
                progress(f"NVD page {n + 1}: {url}")
                data = _get(url, plan, headers)
                doc = load_json(data, url, error=FeedError, max_bytes=MAX_DOWNLOAD, max_depth=None)
                try:
                    total, got = int(doc["totalResults"]), len(doc["vulnerabilities"])
                except (ValueError, KeyError, TypeError) as exc:
                    raise FeedError(f"{url}: not an NVD API 2.0 response ({exc!r})") from exc
                path = dest / f"nvd-{n:04d}.json"
                path.write_bytes(data)
                files.append(path)
                n += 1
                start += got
                if got == 0 or start >= total:
                    break
                time.sleep(delay)
    if plan.kev:
        progress(f"KEV: {plan.kev_url}")
        path = dest / "kev.json"
        path.write_bytes(_get(plan.kev_url, plan))
        files.append(path)
    if plan.epss:
        progress(f"EPSS: {plan.epss_url}")
        path = dest / "epss.csv.gz"
        path.write_bytes(_get(plan.epss_url, plan))
        files.append(path)
    return files


def parse_time(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def run(
    store_import: Callable[[list[Path]], object],
    plan: UpdatePlan,
    since: datetime | None,
    progress: Callable[[str], None] = lambda _m: None,
) -> tuple[object, datetime]:
    """Download, then import everything in one transaction; return (report, update time)."""
    now = datetime.now(UTC).replace(microsecond=0)
    with tempfile.TemporaryDirectory(prefix="assay-feeds-") as tmp:
        files = download(plan, Path(tmp), since, now, progress)
        return store_import(files), now
