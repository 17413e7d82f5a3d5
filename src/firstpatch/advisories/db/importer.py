"""Importing records and feeds into the advisory tables: staged and switched in one transaction.

Everything an import changes is written inside a single database transaction that commits at
the end: a process killed half-way leaves nothing of its work, and readers keep the previous
data until the commit. Unchanged input costs a hash: a record whose bytes were imported before
is not parsed again, and a KEV or EPSS file identical to the last one is not read at all.

Each package a new or changed record names (or named) gets its compiled form rewritten
(`compact.py`), from the records parsed by this import and the stored JSON of its others.
`ensure_derived` rewrites every derived column and compiled form when they were written by
another compiled form or other version libraries (`advisory_meta`).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, Table, bindparam, delete, func, insert, select, update

from firstpatch.advisories import osv
from firstpatch.advisories.db import compact, feeds, tables
from firstpatch.advisories.facts import text_severity_of
from firstpatch.advisories.interface import AdvisoryError
from firstpatch.advisories.package_index import package_key
from firstpatch.advisories.versions import SCHEMES
from firstpatch.model import Advisory, Ecosystem
from firstpatch.store.engine import WRITES

_BATCH = 2000
_PARSE_BATCH = 400
_IN_LIMIT = 500  # bound parameters per IN list, well under SQLite's and PostgreSQL's limits


@dataclass
class ImportSummary:
    """What an import did; `errors` are one line each, naming the file (and line when known)."""

    added: int = 0
    changed: int = 0
    unchanged: int = 0
    feeds: dict[str, str] = field(default_factory=dict)  # kind -> what happened
    errors: list[str] = field(default_factory=list)
    passed_over: list[str] = field(default_factory=list)
    ecosystems: set[str] = field(default_factory=set)


def import_inputs(
    connection: Connection, inputs: feeds.Inputs, origin: str, now: datetime | None = None
) -> ImportSummary:
    """Write `inputs` through `connection`, which the caller holds in one write transaction."""
    now = now or datetime.now(UTC)
    summary = ImportSummary(passed_over=list(inputs.passed_over))
    _derive_all_if_stale(connection)
    _import_records(connection, inputs.records, summary)
    for ecosystem in sorted(summary.ecosystems):
        _refresh_osv_source(connection, ecosystem, origin, now)
    for feed in inputs.feeds:
        _import_feed(connection, feed, summary, now)
    return summary


# One parsed record: the advisory, its JSON, the digest of its bytes, its own severity word.
Parsed = tuple[Advisory, str, str, str | None]


def _import_records(
    connection: Connection, records: Sequence[feeds.RecordBytes], summary: ImportSummary
) -> None:
    known = set(connection.execute(select(tables.records.c.digest)).scalars())
    changed: list[feeds.RecordBytes] = []
    for record in records:
        digest = record.digest
        if digest in known:
            summary.unchanged += 1
            continue
        known.add(digest)
        changed.append(record)
    batches = [changed[start : start + _PARSE_BATCH] for start in range(0, len(changed), _PARSE_BATCH)]
    workers = min(os.cpu_count() or 1, len(batches))
    if workers > 1:
        # Parsing (YAML above all) is most of an import's work: spread it over the cores.
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            parsed = list(pool.map(parse_records, batches))
    else:
        parsed = [parse_records(batch) for batch in batches]
    fresh: dict[str, Advisory] = {}
    touched: set[tuple[str, str]] = set()
    pending: list[Parsed] = []
    for batch in parsed:
        for item in batch:
            if isinstance(item, str):
                summary.errors.append(item)
            else:
                pending.append(item)
        if len(pending) >= _BATCH:
            touched |= _write_records(connection, pending, summary, fresh)
            pending = []
    touched |= _write_records(connection, pending, summary, fresh)
    _compile_packages(connection, touched, fresh)


def parse_records(records: list[feeds.RecordBytes]) -> list[Parsed | str]:
    """Each record parsed, or the one-line error naming it."""
    out: list[Parsed | str] = []
    for record in records:
        try:
            data = feeds.record_data(record)
            advisory = osv.from_data(data, record.origin)
            compact.check_record(advisory)
            out.append((advisory, feeds.as_json(data), record.digest, text_severity_of(data)))
        except AdvisoryError as exc:
            out.append(str(exc))
        except ValueError as exc:  # a text the compiled form cannot hold
            out.append(f"{record.origin}: {exc}")
    return out


def _write_records(
    connection: Connection, pending: list[Parsed], summary: ImportSummary, fresh: dict[str, Advisory]
) -> set[tuple[str, str]]:
    """Write the records; the packages they name, or named before, whose compiled form changes."""
    if not pending:
        return set()
    # The last of several records with one id wins, as a later file replaces an earlier one.
    by_id = {item[0].id: item for item in pending}
    ids = list(by_id)
    existing: set[str] = set()
    touched: set[tuple[str, str]] = set()
    for chunk in _chunks(ids):
        existing.update(
            connection.execute(select(tables.records.c.id).where(tables.records.c.id.in_(chunk))).scalars()
        )
        touched.update(
            (ecosystem, name)
            for ecosystem, name in connection.execute(
                select(tables.packages.c.ecosystem, tables.packages.c.name).where(
                    tables.packages.c.record_id.in_(chunk)
                )
            )
        )
        connection.execute(delete(tables.packages).where(tables.packages.c.record_id.in_(chunk)))
        connection.execute(delete(tables.records).where(tables.records.c.id.in_(chunk)))
    record_rows = []
    package_rows = []
    for advisory, text, digest, word in by_id.values():
        record_rows.append(
            {
                "id": advisory.id,
                "digest": digest,
                "modified": _newest(advisory),
                "withdrawn": advisory.withdrawn is not None,
                "data": text,
                **_facts_columns(advisory, word),
            }
        )
        fresh[advisory.id] = advisory
        for ecosystem, name in sorted({package_key(a) for a in advisory.affected if a.name}):
            package_rows.append({"ecosystem": ecosystem, "name": name, "record_id": advisory.id})
            summary.ecosystems.add(ecosystem)
            touched.add((ecosystem, name))
    connection.execute(insert(tables.records), record_rows)
    if package_rows:
        connection.execute(insert(tables.packages), package_rows)
    summary.changed += len(existing)
    summary.added += len(by_id) - len(existing)
    return touched


def _facts_columns(advisory: Advisory, word: str | None) -> dict[str, object]:
    """The columns a finding quotes (`facts.AdvisoryFacts`), read back by `store.StoreSource`."""
    return {
        "summary": advisory.summary,
        "details": advisory.details,
        "aliases": "\n".join(advisory.aliases),
        "vectors": "\n".join(f"{v.type}\x1f{v.score}" for v in advisory.severity),
        "text_severity": word,
    }


def _compile_packages(
    connection: Connection, touched: set[tuple[str, str]], fresh: dict[str, Advisory]
) -> None:
    """Rewrite the compiled form of each touched package from its records that are not
    withdrawn: those parsed by this import, and the stored JSON of the others."""
    by_ecosystem: dict[str, list[str]] = {}
    for ecosystem, name in touched:
        if ecosystem in SCHEMES:  # others are never matched: no ordering for them
            by_ecosystem.setdefault(ecosystem, []).append(name)
    for ecosystem, names in sorted(by_ecosystem.items()):
        for chunk in _chunks(sorted(names)):
            links = connection.execute(
                select(tables.packages.c.name, tables.records.c.id)
                .join(tables.records, tables.records.c.id == tables.packages.c.record_id)
                .where(
                    tables.packages.c.ecosystem == ecosystem,
                    tables.packages.c.name.in_(chunk),
                    tables.records.c.withdrawn.is_(False),
                )
            ).all()
            _load_stored(connection, {record_id for _, record_id in links if record_id not in fresh}, fresh)
            records: dict[str, list[str]] = {}
            for name, record_id in links:
                records.setdefault(name, []).append(record_id)
            connection.execute(
                delete(tables.matching).where(
                    tables.matching.c.ecosystem == ecosystem, tables.matching.c.name.in_(chunk)
                )
            )
            rows: list[dict[str, object]] = []
            for name, ids in sorted(records.items()):
                rows.append(
                    {"ecosystem": ecosystem, "name": name, "data": _compiled(ecosystem, name, ids, fresh)}
                )
            bulk_insert(connection, tables.matching, rows)


def _compiled(ecosystem: str, name: str, ids: list[str], advisories: dict[str, Advisory]) -> str:
    key = (ecosystem, name)
    return compact.encode(
        Ecosystem(ecosystem),
        [
            (record_id, [entry for entry in advisories[record_id].affected if package_key(entry) == key])
            for record_id in sorted(ids)
        ],
    )


def _load_stored(connection: Connection, ids: set[str], into: dict[str, Advisory]) -> None:
    """Parse the stored JSON of records that this import did not parse (they were imported as
    valid records, so an error here means the table was changed by hand)."""
    for chunk in _chunks(sorted(ids)):
        for record_id, data in connection.execute(
            select(tables.records.c.id, tables.records.c.data).where(tables.records.c.id.in_(chunk))
        ):
            into[record_id] = osv.loads(data, f"advisory store record {record_id}")


def _derive_all_if_stale(connection: Connection) -> bool:
    """Rewrite every derived column and compiled form when `advisory_meta` says another compiled
    form or other version libraries wrote them; True when it did."""
    marker = connection.execute(
        select(tables.meta.c.value).where(tables.meta.c.key == "derived")
    ).scalar_one_or_none()
    if marker == compact.DERIVED:
        return False
    advisories: dict[str, Advisory] = {}
    rows = connection.execute(select(tables.records.c.id, tables.records.c.data)).all()
    updates = []
    for record_id, data in rows:
        raw = osv.decode(data, f"advisory store record {record_id}")
        advisory = advisories[record_id] = osv.from_data(raw, f"advisory store record {record_id}")
        updates.append({"key": record_id, **_facts_columns(advisory, text_severity_of(raw))})
    if updates:
        statement = (
            update(tables.records)
            .where(tables.records.c.id == bindparam("key"))
            .values(
                {
                    name: bindparam(name)
                    for name in ("summary", "details", "aliases", "vectors", "text_severity")
                }
            )
        )
        connection.execute(statement, updates)
    connection.execute(delete(tables.matching))
    touched = {
        (ecosystem, name)
        for ecosystem, name in connection.execute(select(tables.packages.c.ecosystem, tables.packages.c.name))
    }
    _compile_packages(connection, touched, advisories)
    if marker is None:
        connection.execute(insert(tables.meta).values(key="derived", value=compact.DERIVED))
    else:
        connection.execute(
            update(tables.meta).where(tables.meta.c.key == "derived").values(value=compact.DERIVED)
        )
    return True


def ensure_derived(engine: Engine) -> None:
    """Bring the derived columns and compiled forms up to date, in one transaction (a no-op
    read when they are)."""
    with engine.connect() as connection:
        marker = connection.execute(
            select(tables.meta.c.value).where(tables.meta.c.key == "derived")
        ).scalar_one_or_none()
    if marker == compact.DERIVED:
        return
    with engine.connect() as connection, connection.execution_options(**{WRITES: True}).begin():
        _derive_all_if_stale(connection)


def _newest(advisory: Advisory) -> datetime | None:
    """When the record last changed; Go's records say `modified: 0001-01-01`, so the later of
    modified and published."""
    times = [t for t in (advisory.modified, advisory.published) if t is not None]
    return max(times) if times else None


def _refresh_osv_source(connection: Connection, ecosystem: str, origin: str, now: datetime) -> None:
    ids = select(tables.packages.c.record_id).where(tables.packages.c.ecosystem == ecosystem)
    count = connection.execute(
        select(func.count(func.distinct(tables.packages.c.record_id))).where(
            tables.packages.c.ecosystem == ecosystem
        )
    ).scalar_one()
    newest = connection.execute(
        select(func.max(tables.records.c.modified)).where(tables.records.c.id.in_(ids))
    ).scalar_one()
    _set_source(connection, f"osv:{ecosystem}", count, now, newest, origin, None)


def _import_feed(connection: Connection, feed: feeds.FeedFile, summary: ImportSummary, now: datetime) -> None:
    digest = feed.digest
    previous = connection.execute(
        select(tables.sources.c.digest).where(tables.sources.c.name == feed.kind)
    ).scalar_one_or_none()
    if previous == digest:
        summary.feeds[feed.kind] = f"{feed.origin}: unchanged"
        return
    try:
        if feed.kind == "kev":
            entries, as_of = feeds.kev_entries(feed)
            rows: list[dict[str, object]] = [
                {
                    "cve": e.cve,
                    "vendor": e.vendor,
                    "product": e.product,
                    "name": e.name,
                    "date_added": e.date_added,
                    "due_date": e.due_date,
                    "ransomware": e.ransomware,
                }
                for e in {e.cve: e for e in entries}.values()
            ]
            table = tables.kev
        else:
            scores, as_of = feeds.epss_scores(feed)
            rows = [
                {"cve": s[0], "score": s[1], "percentile": s[2]} for s in {s[0]: s for s in scores}.values()
            ]
            table = tables.epss
    except AdvisoryError as exc:
        summary.errors.append(str(exc))
        return
    connection.execute(delete(table))
    bulk_insert(connection, table, rows)
    _set_source(connection, feed.kind, len(rows), now, as_of, feed.origin, digest)
    summary.feeds[feed.kind] = f"{feed.origin}: {len(rows)} entries"


def _set_source(
    connection: Connection,
    name: str,
    count: int,
    now: datetime,
    as_of: datetime | None,
    origin: str,
    digest: str | None,
) -> None:
    values = {"records": count, "imported_at": now, "data_as_of": as_of, "origin": origin, "digest": digest}
    updated = connection.execute(update(tables.sources).where(tables.sources.c.name == name).values(**values))
    if updated.rowcount == 0:
        connection.execute(insert(tables.sources).values(name=name, **values))


def bulk_insert(connection: Connection, table: Table, rows: list[dict[str, object]]) -> None:
    """Many rows at once through the driver: SQLAlchemy's per-row parameter handling costs more
    than SQLite's insert for the 360,000 rows of EPSS. PostgreSQL gets them by COPY."""
    if not rows:
        return
    columns = list(rows[0])
    values = [tuple(row[c] for c in columns) for row in rows]
    names = ", ".join(columns)
    if connection.dialect.name == "postgresql":
        driver = connection.connection.driver_connection
        with driver.cursor() as cursor, cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:  # type: ignore[union-attr]
            for value in values:
                copy.write_row(value)
        return
    marks = ", ".join("?" if connection.dialect.paramstyle == "qmark" else "%s" for _ in columns)
    connection.exec_driver_sql(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", values)  # noqa: S608 - our table and column names


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), _IN_LIMIT):
        yield items[start : start + _IN_LIMIT]
