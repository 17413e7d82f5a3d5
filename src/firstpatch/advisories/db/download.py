"""`firstpatch db update`: download OSV's per-ecosystem exports, CISA KEV and FIRST EPSS, then
import them all in one transaction (downloads go to a temporary folder first, so a failed or
interrupted download changes nothing). The HTTP client is injected: tests hand in one whose
transport is a local stand-in speaking HTTP."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote

import httpx

from firstpatch.advisories.db import feeds
from firstpatch.advisories.db.importer import ImportSummary
from firstpatch.advisories.db.store import AdvisoryStore
from firstpatch.advisories.interface import AdvisoryError
from firstpatch.model import Ecosystem

OSV_EXPORTS = "https://osv-vulnerabilities.storage.googleapis.com"
KEV_URL = "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"
EPSS_URL = "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz"
DEFAULT_ECOSYSTEMS = tuple(e.value for e in Ecosystem)
TIMEOUT = httpx.Timeout(30.0, read=300.0)


def update_store(
    store: AdvisoryStore,
    *,
    ecosystems: Sequence[str] = DEFAULT_ECOSYSTEMS,
    kev: bool = True,
    epss: bool = True,
    client: httpx.Client | None = None,
    osv_base: str = OSV_EXPORTS,
    kev_url: str = KEV_URL,
    epss_url: str = EPSS_URL,
) -> ImportSummary:
    """Download, then import everything in one transaction; AdvisoryError on a failed download."""
    wanted = [(f"{osv_base}/{quote(e)}/all.zip", f"{_safe(e)}-all.zip") for e in ecosystems]
    if kev:
        wanted.append((kev_url, "known_exploited_vulnerabilities.json"))
    if epss:
        wanted.append((epss_url, "epss_scores.csv.gz"))
    own = client is None
    http = client or httpx.Client(timeout=TIMEOUT, follow_redirects=True)
    try:
        with tempfile.TemporaryDirectory(prefix="firstpatch-db-") as folder:
            files = [_download(http, url, Path(folder) / name) for url, name in wanted]
            inputs = feeds.gather(files)
            return store.import_inputs(inputs, ", ".join(url for url, _ in wanted))
    finally:
        if own:
            http.close()


def _download(client: httpx.Client, url: str, path: Path) -> Path:
    try:
        with client.stream("GET", url) as response:
            if response.status_code != 200:
                raise AdvisoryError(f"{url}: HTTP {response.status_code}")
            with path.open("wb") as handle:
                for chunk in response.iter_bytes():
                    handle.write(chunk)
    except httpx.HTTPError as exc:
        raise AdvisoryError(f"{url}: download failed: {exc}") from exc
    return path


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in ".-" else "_" for c in name)
