"""`AdvisoryStore`: the advisory tables of a firstpatch database, read and written.

The database is the one the findings go to (SQLite by default, PostgreSQL by URL). Matching
reads each package's compiled records by (ecosystem, normalised name) through `StoreSource`, in
one query per 500 packages, then the findings' fields of the matched records only, by id;
prioritisation reads KEV and EPSS by CVE id through `exploitation`.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, select

from firstpatch.advisories import osv
from firstpatch.advisories.db import compact, feeds, schema, tables
from firstpatch.advisories.db.importer import ImportSummary, ensure_derived, import_inputs
from firstpatch.advisories.facts import AdvisoryFacts
from firstpatch.advisories.interface import AdvisorySource
from firstpatch.advisories.names import normalise
from firstpatch.advisories.package_index import PackageIndex, index_entries
from firstpatch.advisories.symbols import AffectedSymbols, symbols_of
from firstpatch.model import Advisory, AdvisoryId, Ecosystem, Exploitation, SeverityVector
from firstpatch.store.engine import WRITES, open_engine, parse_url, retrying, shown, translated

STALE_AFTER = timedelta(days=7)
_IN_LIMIT = 500


@dataclass(frozen=True, slots=True)
class SourceStatus:
    """One source's records and how old they are."""

    name: str  # osv:<ecosystem>, kev, epss
    records: int
    imported_at: datetime
    data_as_of: datetime | None  # the newest record, the catalog's release, the scores' date
    origin: str

    def age(self, now: datetime) -> timedelta:
        """How old the data is: from its own date when it has one, else from its import."""
        return now - (self.data_as_of or self.imported_at)


class AdvisoryStore:
    """The advisory tables of the database at `url`, created or migrated on opening."""

    def __init__(self, url: str) -> None:
        parsed = parse_url(url)
        self.url = shown(parsed)
        self._engine: Engine = open_engine(parsed)
        try:
            with translated(f"cannot open the advisory tables in {self.url}"):
                schema.upgrade(self._engine)
                ensure_derived(self._engine)
        except Exception:
            self._engine.dispose()
            raise

    @classmethod
    def existing(cls, url: str) -> AdvisoryStore | None:
        """The store at `url` when it already exists: an SQLite file that is not there is not
        created just to find it empty."""
        parsed = parse_url(url)
        database = parsed.database
        on_disk = parsed.get_backend_name() == "sqlite" and database not in (None, "", ":memory:")
        if on_disk and database is not None and not Path(database).is_file():
            return None
        return cls(url)

    def __enter__(self) -> AdvisoryStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._engine.dispose()

    # ---- writing ------------------------------------------------------------------------------

    def import_paths(self, paths: Sequence[Path], now: datetime | None = None) -> ImportSummary:
        """Import OSV records, KEV and EPSS from files, folders and zip archives, atomically."""
        inputs = feeds.gather(list(paths))
        return self.import_inputs(inputs, ", ".join(map(str, paths)), now)

    def import_inputs(self, inputs: feeds.Inputs, origin: str, now: datetime | None = None) -> ImportSummary:
        def attempt() -> ImportSummary:
            with self._engine.connect() as connection, connection.execution_options(**{WRITES: True}).begin():
                return import_inputs(connection, inputs, origin, now)

        with translated(f"cannot import advisories into {self.url}"):
            return retrying(attempt)

    # ---- reading ------------------------------------------------------------------------------

    def status(self) -> tuple[SourceStatus, ...]:
        with (
            translated(f"cannot read advisory sources from {self.url}"),
            self._engine.connect() as connection,
        ):
            rows = connection.execute(select(tables.sources).order_by(tables.sources.c.name)).all()
        return tuple(
            SourceStatus(
                row.name, row.records, _utc(row.imported_at), _utc_or_none(row.data_as_of), row.origin
            )
            for row in rows
        )

    def ecosystems(self) -> frozenset[str]:
        """The ecosystems with imported OSV records (KEV and EPSS alone replace no snapshot)."""
        return frozenset(
            s.name.removeprefix("osv:") for s in self.status() if s.name.startswith("osv:") and s.records
        )

    def stale(self, now: datetime | None = None) -> tuple[str, ...]:
        """A warning for each source older than a week."""
        now = now or datetime.now(UTC)
        return tuple(
            f"advisory source {source.name} is {source.age(now).days} days old; run `firstpatch db update`"
            for source in self.status()
            if source.age(now) > STALE_AFTER
        )

    def source(self) -> StoreSource:
        return StoreSource(self)

    def records(self, ecosystem: str, names: Iterable[str]) -> dict[str, list[tuple[str, str]]]:
        """(record id, JSON) for each of `names` (normalised), in one query per 500 names."""
        found: dict[str, list[tuple[str, str]]] = defaultdict(list)
        wanted = sorted(set(names))
        query = select(tables.packages.c.name, tables.records.c.id, tables.records.c.data).join(
            tables.records, tables.records.c.id == tables.packages.c.record_id
        )
        with translated(f"cannot read advisories from {self.url}"), self._engine.connect() as connection:
            for start in range(0, len(wanted), _IN_LIMIT):
                chunk = wanted[start : start + _IN_LIMIT]
                rows = connection.execute(
                    query.where(tables.packages.c.ecosystem == ecosystem, tables.packages.c.name.in_(chunk))
                )
                for name, record_id, data in rows:
                    found[name].append((record_id, data))
        return found

    def record(self, advisory_id: str) -> str | None:
        """One record's JSON, by id."""
        with translated(f"cannot read advisories from {self.url}"), self._engine.connect() as connection:
            return connection.execute(
                select(tables.records.c.data).where(tables.records.c.id == advisory_id)
            ).scalar_one_or_none()

    def compiled(self, ecosystem: str, names: Iterable[str]) -> dict[str, str]:
        """The compiled form (`compact.py`) of each of `names` (normalised) that has records,
        in one query per 500 names."""
        found: dict[str, str] = {}
        wanted = sorted(set(names))
        query = select(tables.matching.c.name, tables.matching.c.data)
        with translated(f"cannot read advisories from {self.url}"), self._engine.connect() as connection:
            for start in range(0, len(wanted), _IN_LIMIT):
                chunk = wanted[start : start + _IN_LIMIT]
                rows = connection.execute(
                    query.where(tables.matching.c.ecosystem == ecosystem, tables.matching.c.name.in_(chunk))
                )
                found.update((name, data) for name, data in rows)
        return found

    def facts(self, ids: Iterable[str]) -> dict[str, AdvisoryFacts]:
        """What findings quote of each record in `ids`, from its columns (no JSON decoded)."""
        t = tables.records
        query = select(t.c.id, t.c.summary, t.c.details, t.c.aliases, t.c.vectors, t.c.text_severity)
        found: dict[str, AdvisoryFacts] = {}
        wanted = sorted(set(ids))
        with translated(f"cannot read advisories from {self.url}"), self._engine.connect() as connection:
            for start in range(0, len(wanted), _IN_LIMIT):
                rows = connection.execute(query.where(t.c.id.in_(wanted[start : start + _IN_LIMIT])))
                for record_id, summary, details, aliases, vectors, word in rows:
                    found[record_id] = AdvisoryFacts(
                        AdvisoryId(record_id),
                        summary,
                        details,
                        tuple(aliases.split("\n")) if aliases else (),
                        tuple(SeverityVector(*line.split("\x1f", 1)) for line in vectors.split("\n") if line),
                        word,
                    )
        return found

    def exploitation(self, cves: Iterable[str]) -> dict[str, Exploitation]:
        """KEV membership and EPSS scores of the CVE ids that have either."""
        wanted = sorted(set(cves))
        kev: dict[str, tuple[bool, str | None]] = {}
        epss: dict[str, tuple[float, float]] = {}
        with translated(f"cannot read KEV and EPSS from {self.url}"), self._engine.connect() as connection:
            for start in range(0, len(wanted), _IN_LIMIT):
                chunk = wanted[start : start + _IN_LIMIT]
                for cve, ransomware, due in connection.execute(
                    select(tables.kev.c.cve, tables.kev.c.ransomware, tables.kev.c.due_date).where(
                        tables.kev.c.cve.in_(chunk)
                    )
                ):
                    kev[cve] = (bool(ransomware), due)
                for cve, score, percentile in connection.execute(
                    select(tables.epss.c.cve, tables.epss.c.score, tables.epss.c.percentile).where(
                        tables.epss.c.cve.in_(chunk)
                    )
                ):
                    epss[cve] = (float(score), float(percentile))
        out: dict[str, Exploitation] = {}
        for cve in sorted(kev.keys() | epss.keys()):
            ransomware, due = kev.get(cve, (False, None))
            score, percentile = epss.get(cve, (None, None))
            out[cve] = Exploitation(
                in_kev=cve in kev,
                kev_ransomware=ransomware,
                kev_due_date=due,
                epss=score,
                epss_percentile=percentile,
            )
        return out


class StoreSource(AdvisorySource):
    """The store's OSV records as an advisory source.

    Matching reads each package's compiled form (`prefetch` fetches many at once, `package_index`
    decodes one on first use), and findings read the matched records' columns (`facts`); only
    `for_package`, for callers that want whole `Advisory` objects, decodes records' JSON.
    """

    def __init__(self, store: AdvisoryStore) -> None:
        self._store = store
        self._compiled: dict[tuple[str, str], str | None] = {}
        self._indexes: dict[tuple[str, str], PackageIndex] = {}
        self._by_package: dict[tuple[str, str], tuple[Advisory, ...]] = {}
        self._parsed: dict[str, tuple[Advisory, dict[str, object]]] = {}
        self._facts: dict[str, AdvisoryFacts] = {}

    def prefetch(self, keys: Iterable[tuple[Ecosystem, str]]) -> None:
        """Fetch the compiled forms of many packages at once (a scan asks for all its components)."""
        grouped: dict[str, set[str]] = defaultdict(set)
        for ecosystem, name in keys:
            key = normalise(ecosystem, name)
            if (ecosystem.value, key) not in self._compiled:
                grouped[ecosystem.value].add(key)
        for ecosystem_name, names in grouped.items():
            found = self._store.compiled(ecosystem_name, names)
            for name in names:
                self._compiled[(ecosystem_name, name)] = found.get(name)

    def package_index(self, ecosystem: Ecosystem, name: str) -> PackageIndex:
        key = (ecosystem.value, normalise(ecosystem, name))
        index = self._indexes.get(key)
        if index is None:
            if key not in self._compiled:
                self.prefetch([(ecosystem, name)])
            text = self._compiled[key]
            index = compact.decode(ecosystem, key[1], text) if text else index_entries(ecosystem, key[1], ())
            self._indexes[key] = index
        return index

    def facts(self, ids: Collection[str]) -> dict[str, AdvisoryFacts]:
        missing = [i for i in ids if i not in self._facts]
        if missing:
            self._facts.update(self._store.facts(missing))
        return {i: self._facts[i] for i in ids if i in self._facts}

    def text_severity(self, advisory_id: str) -> str | None:
        facts = self.facts([advisory_id]).get(advisory_id)
        return facts.text_severity if facts is not None else None

    def for_package(self, ecosystem: Ecosystem, name: str) -> tuple[Advisory, ...]:
        """Whole records, decoded from their JSON (matching does not need them)."""
        key = (ecosystem.value, normalise(ecosystem, name))
        if key not in self._by_package:
            found = self._store.records(key[0], [key[1]])
            self._by_package[key] = tuple(
                self._advisory(record_id, data) for record_id, data in sorted(found.get(key[1], ()))
            )
        return self._by_package[key]

    def affected_symbols(self, advisory_id: str) -> tuple[AffectedSymbols, ...]:
        parsed = self._parsed.get(advisory_id)
        if parsed is None:
            data = self._store.record(advisory_id)
            if data is None:
                return ()
            self._advisory(advisory_id, data)
            parsed = self._parsed[advisory_id]
        return symbols_of(parsed[1])

    def _advisory(self, record_id: str, data: str) -> Advisory:
        parsed = self._parsed.get(record_id)
        if parsed is None:
            raw = json.loads(data)
            parsed = self._parsed[record_id] = (osv.from_data(raw, f"advisory store record {record_id}"), raw)
        return parsed[0]


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _utc_or_none(value: datetime | None) -> datetime | None:
    return None if value is None else _utc(value)


def exploitation_by_cve(store: AdvisoryStore | None, cves: Iterable[str]) -> Mapping[str, Exploitation]:
    return store.exploitation(cves) if store is not None else {}
