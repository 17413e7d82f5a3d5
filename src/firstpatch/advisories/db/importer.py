"""Importing records and feeds into the advisory tables: staged and switched in one transaction.

Everything an import changes is written inside a single database transaction that commits at
the end: a process killed half-way leaves nothing of its work, and readers keep the previous
data until the commit. Unchanged input costs a hash: a record whose bytes were imported before
is not parsed again, and a KEV or EPSS file identical to the last one is not read at all.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Connection, Table, delete, func, insert, select, update

from firstpatch.advisories import osv
from firstpatch.advisories.db import feeds, tables
from firstpatch.advisories.interface import AdvisoryError
from firstpatch.advisories.names import ecosystem_base, normalise
from firstpatch.model import Advisory

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
    _import_records(connection, inputs.records, summary)
    for ecosystem in sorted(summary.ecosystems):
        _refresh_osv_source(connection, ecosystem, origin, now)
    for feed in inputs.feeds:
        _import_feed(connection, feed, summary, now)
    return summary


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
    pending: list[tuple[Advisory, str, str]] = []
    for batch in parsed:
        for item in batch:
            if isinstance(item, str):
                summary.errors.append(item)
            else:
                pending.append(item)
        if len(pending) >= _BATCH:
            _write_records(connection, pending, summary)
            pending = []
    _write_records(connection, pending, summary)


def parse_records(records: list[feeds.RecordBytes]) -> list[tuple[Advisory, str, str] | str]:
    """Each record as (advisory, its JSON, digest of its bytes), or the one-line error naming it."""
    out: list[tuple[Advisory, str, str] | str] = []
    for record in records:
        try:
            data = feeds.record_data(record)
            out.append((osv.from_data(data, record.origin), feeds.as_json(data), record.digest))
        except AdvisoryError as exc:
            out.append(str(exc))
    return out


def _write_records(
    connection: Connection, pending: list[tuple[Advisory, str, str]], summary: ImportSummary
) -> None:
    if not pending:
        return
    # The last of several records with one id wins, as a later file replaces an earlier one.
    by_id = {advisory.id: (advisory, text, digest) for advisory, text, digest in pending}
    ids = list(by_id)
    existing: set[str] = set()
    for chunk in _chunks(ids):
        existing.update(
            connection.execute(select(tables.records.c.id).where(tables.records.c.id.in_(chunk))).scalars()
        )
        connection.execute(delete(tables.packages).where(tables.packages.c.record_id.in_(chunk)))
        connection.execute(delete(tables.records).where(tables.records.c.id.in_(chunk)))
    record_rows = []
    package_rows = []
    for advisory, text, digest in by_id.values():
        record_rows.append(
            {
                "id": advisory.id,
                "digest": digest,
                "modified": _newest(advisory),
                "withdrawn": advisory.withdrawn is not None,
                "data": text,
            }
        )
        keys = {
            (ecosystem_base(a.ecosystem), normalise(a.ecosystem, a.name)) for a in advisory.affected if a.name
        }
        for ecosystem, name in sorted(keys):
            package_rows.append({"ecosystem": ecosystem, "name": name, "record_id": advisory.id})
            summary.ecosystems.add(ecosystem)
    connection.execute(insert(tables.records), record_rows)
    if package_rows:
        connection.execute(insert(tables.packages), package_rows)
    summary.changed += len(existing)
    summary.added += len(by_id) - len(existing)


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
