"""What `firstpatch db import` reads: OSV records, the CISA KEV catalog and FIRST EPSS scores,
from files, folders and zip archives (OSV's `all.zip` exports).

Inputs are recognised by name and by their first bytes, never by running anything: a `.zip`
holds OSV records; `*.csv.gz` / `*.csv` starting with EPSS's `#model_version` line or its
`cve,epss,percentile` header is EPSS; a JSON object with `catalogVersion` is KEV; a JSON or
YAML document is an OSV record; JSON Schema documents and other files are passed over.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from firstpatch.advisories.interface import AdvisoryError

RECORD_SUFFIXES = (".json", ".yaml", ".yml")
MAX_RECORD_BYTES = 16 * 1024 * 1024  # the largest real OSV records are well under 1 MiB
MAX_FEED_BYTES = 512 * 1024 * 1024  # a whole feed (EPSS uncompressed is about 15 MiB)
_SNIFF = 512


@dataclass(frozen=True, slots=True)
class RecordBytes:
    """One OSV record as stored in its file or archive member."""

    origin: str  # path, or `archive.zip:member`, for messages
    data: bytes

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True, slots=True)
class FeedFile:
    """A whole-file feed (KEV or EPSS)."""

    kind: str  # "kev" or "epss"
    origin: str
    data: bytes

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True, slots=True)
class KevEntry:
    cve: str
    vendor: str
    product: str
    name: str
    date_added: str
    due_date: str | None
    ransomware: bool


EpssScore = tuple[str, float, float]  # cve, probability, percentile: 360,000 of them, kept light


@dataclass(frozen=True, slots=True)
class Inputs:
    records: list[RecordBytes]
    feeds: list[FeedFile]
    passed_over: list[str]  # files that are none of the three, named for the summary


def gather(paths: list[Path]) -> Inputs:
    """Every record and feed under `paths` (files, folders, zip archives); raises
    AdvisoryError for a path that does not exist or cannot be read."""
    inputs = Inputs([], [], [])
    for path in paths:
        if path.is_dir():
            for file in sorted(p for p in path.rglob("*") if p.is_file() and not p.is_symlink()):
                _one_file(file, inputs)
        elif path.is_file():
            _one_file(path, inputs)
        else:
            raise AdvisoryError(f"{path}: no such file or folder")
    return inputs


def _read(path: Path, limit: int) -> bytes:
    try:
        if path.stat().st_size > limit:
            raise AdvisoryError(f"{path}: larger than {limit // (1024 * 1024)} MiB")
        return path.read_bytes()
    except OSError as exc:
        raise AdvisoryError(f"{path}: cannot read: {exc.strerror}") from exc


def _one_file(path: Path, inputs: Inputs) -> None:
    name = path.name.lower()
    if name.endswith(".zip"):
        inputs.records.extend(zip_records(path))
    elif name.endswith((".csv.gz", ".csv")):
        data = _read(path, MAX_FEED_BYTES)
        if _is_epss(data, name.endswith(".gz")):
            inputs.feeds.append(FeedFile("epss", str(path), data))
        else:
            inputs.passed_over.append(str(path))
    elif name.endswith(RECORD_SUFFIXES):
        data = _read(path, MAX_FEED_BYTES)
        start = data[:_SNIFF]
        if b'"$schema"' in start:
            inputs.passed_over.append(
                str(path)
            )  # a JSON Schema (the KEV and OSV schemas ship beside their data)
        elif b'"catalogVersion"' in start:
            inputs.feeds.append(FeedFile("kev", str(path), data))
        elif len(data) > MAX_RECORD_BYTES:
            inputs.passed_over.append(str(path))  # a JSON Schema, or too large to be one record
        else:
            inputs.records.append(RecordBytes(str(path), data))
    else:
        inputs.passed_over.append(str(path))


def zip_records(path: Path) -> Iterator[RecordBytes]:
    """The OSV records of a zip archive (OSV's `<ecosystem>/all.zip` holds `<ID>.json` files)."""
    try:
        with zipfile.ZipFile(path) as archive:
            for member in sorted(archive.infolist(), key=lambda m: m.filename):
                if member.is_dir() or not member.filename.lower().endswith(RECORD_SUFFIXES):
                    continue
                if member.file_size > MAX_RECORD_BYTES:
                    raise AdvisoryError(f"{path}:{member.filename}: larger than 16 MiB")
                yield RecordBytes(f"{path}:{member.filename}", archive.read(member))
    except (zipfile.BadZipFile, OSError) as exc:
        raise AdvisoryError(f"{path}: not a readable zip archive: {exc}") from exc


def _is_epss(data: bytes, compressed: bool) -> bool:
    try:
        head = gzip.GzipFile(fileobj=io.BytesIO(data)).read(_SNIFF) if compressed else data[:_SNIFF]
    except (OSError, EOFError):
        return False
    text = head.decode("utf-8", errors="replace").lstrip()
    return text.startswith(("#model_version", "cve,epss"))


def record_data(record: RecordBytes) -> object:
    """The decoded JSON/YAML value of a record file; AdvisoryError naming it when it is neither."""
    import yaml

    from firstpatch.advisories.osv import yaml_loader

    try:
        text = record.data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise AdvisoryError(f"{record.origin}: not UTF-8 text: {exc.reason}") from exc
    try:
        if text.lstrip().startswith("{"):
            return json.loads(text)
        return yaml.load(text, Loader=yaml_loader())  # noqa: S506 - a safe loader (C or Python)
    except json.JSONDecodeError as exc:
        raise AdvisoryError(f"{record.origin}:{exc.lineno}: not valid JSON: {exc.msg}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise AdvisoryError(f"{record.origin}{line}: not valid YAML: {exc}") from exc


def as_json(data: object) -> str:
    """The record as compact JSON (YAML timestamps become RFC 3339 text)."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False, default=_iso)


def _iso(value: object) -> str:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"not JSON: {value!r}")


def kev_entries(feed: FeedFile) -> tuple[list[KevEntry], datetime | None]:
    """The catalog's entries and its release time."""
    try:
        catalog = json.loads(feed.data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise AdvisoryError(f"{feed.origin}: not valid JSON: {exc}") from exc
    if not isinstance(catalog, dict) or not isinstance(catalog.get("vulnerabilities"), list):
        raise AdvisoryError(f"{feed.origin}: not a CISA KEV catalog (no vulnerabilities list)")
    entries: list[KevEntry] = []
    for index, item in enumerate(catalog["vulnerabilities"]):
        if not isinstance(item, dict) or not isinstance(item.get("cveID"), str):
            raise AdvisoryError(f"{feed.origin}: vulnerabilities[{index}] has no cveID")
        entries.append(
            KevEntry(
                cve=item["cveID"],
                vendor=str(item.get("vendorProject", "")),
                product=str(item.get("product", "")),
                name=str(item.get("vulnerabilityName", "")),
                date_added=str(item.get("dateAdded", "")),
                due_date=str(item["dueDate"]) if item.get("dueDate") else None,
                ransomware=str(item.get("knownRansomwareCampaignUse", "")).lower() == "known",
            )
        )
    return entries, _timestamp(catalog.get("dateReleased"))


def epss_scores(feed: FeedFile) -> tuple[list[EpssScore], datetime | None]:
    """The scores and their date (from the `#model_version:…,score_date:…` line)."""
    try:
        raw = gzip.decompress(feed.data) if feed.origin.lower().endswith(".gz") else feed.data
        text = raw.decode("utf-8")
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise AdvisoryError(f"{feed.origin}: not a readable EPSS file: {exc}") from exc
    lines = io.StringIO(text)
    scored_on: datetime | None = None
    first = lines.readline()
    if first.startswith("#"):
        for field in first[1:].strip().split(","):
            key, _, value = field.partition(":")
            if key == "score_date":
                scored_on = _timestamp(value.replace("+0000", "+00:00"))
        header = lines.readline()
    else:
        header = first
    if [h.strip() for h in header.split(",")][:3] != ["cve", "epss", "percentile"]:
        raise AdvisoryError(f"{feed.origin}: not an EPSS file (header {header.strip()!r})")
    scores: list[EpssScore] = []
    for number, row in enumerate(csv.reader(lines), start=3 if first.startswith("#") else 2):
        if not row:
            continue
        try:
            scores.append((row[0], float(row[1]), float(row[2])))
        except (IndexError, ValueError) as exc:
            raise AdvisoryError(f"{feed.origin}:{number}: not a cve,epss,percentile row: {row!r}") from exc
    return scores, scored_on


def _timestamp(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
