"""The advisory tables, on a metadata of their own (not the store package's).

`advisory_records` holds each OSV record once, by id, as the JSON it was read from, with the
digest of its source bytes so that an unchanged record is never parsed again, and the fields a
finding quotes (summary, details, aliases, CVSS vectors, the database's own severity word) in
columns, so that a scan reads them for its matched records without decoding any JSON.
`advisory_packages` indexes records by (ecosystem, normalised name), for `for_package`.
`advisory_matching` holds, per (ecosystem, normalised name), the package's records compiled for
matching (`compact.py`): its versions sorted once by the ecosystem's ordering and each record's
entries, so that a scan neither parses a record nor builds a version object per range event.
`advisory_meta` says which compiled form (and which version libraries) wrote it.
`advisory_kev` and `advisory_epss` hold the exploitation feeds by CVE id; `advisory_sources`
says, per source (`osv:PyPI`, `kev`, `epss`), how many records it has and how old they are.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

records = sa.Table(
    "advisory_records",
    metadata,
    sa.Column("id", sa.String(), primary_key=True),
    sa.Column("digest", sa.String(64), nullable=False, index=True),
    sa.Column("modified", sa.DateTime(timezone=True), nullable=True),
    sa.Column("withdrawn", sa.Boolean(), nullable=False),
    sa.Column("data", sa.Text(), nullable=False),  # the OSV record as JSON
    sa.Column("summary", sa.Text(), nullable=False, server_default=""),
    sa.Column("details", sa.Text(), nullable=False, server_default=""),
    sa.Column("aliases", sa.Text(), nullable=False, server_default=""),  # one a line
    sa.Column("vectors", sa.Text(), nullable=False, server_default=""),  # `type<US>score`, one a line
    sa.Column("text_severity", sa.String(), nullable=True),  # `database_specific.severity`
)

packages = sa.Table(
    "advisory_packages",
    metadata,
    sa.Column("ecosystem", sa.String(), primary_key=True),  # without a release suffix
    sa.Column("name", sa.String(), primary_key=True),  # normalised as the ecosystem compares names
    sa.Column(
        "record_id",
        sa.String(),
        sa.ForeignKey("advisory_records.id", ondelete="CASCADE"),
        primary_key=True,
    ),
)
sa.Index("ix_advisory_packages_record_id", packages.c.record_id)

matching = sa.Table(
    "advisory_matching",
    metadata,
    sa.Column("ecosystem", sa.String(), primary_key=True),
    sa.Column("name", sa.String(), primary_key=True),
    sa.Column("data", sa.Text(), nullable=False),
)

meta = sa.Table(
    "advisory_meta",
    metadata,
    sa.Column("key", sa.String(), primary_key=True),
    sa.Column("value", sa.String(), nullable=False),
)

kev = sa.Table(
    "advisory_kev",
    metadata,
    sa.Column("cve", sa.String(), primary_key=True),
    sa.Column("vendor", sa.String(), nullable=False),
    sa.Column("product", sa.String(), nullable=False),
    sa.Column("name", sa.String(), nullable=False),
    sa.Column("date_added", sa.String(), nullable=False),
    sa.Column("due_date", sa.String(), nullable=True),
    sa.Column("ransomware", sa.Boolean(), nullable=False),
)

epss = sa.Table(
    "advisory_epss",
    metadata,
    sa.Column("cve", sa.String(), primary_key=True),
    sa.Column("score", sa.Float(), nullable=False),
    sa.Column("percentile", sa.Float(), nullable=False),
)

sources = sa.Table(
    "advisory_sources",
    metadata,
    sa.Column("name", sa.String(), primary_key=True),  # osv:<ecosystem>, kev, epss
    sa.Column("records", sa.Integer(), nullable=False),
    sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column(
        "data_as_of", sa.DateTime(timezone=True), nullable=True
    ),  # newest record, catalog or score date
    sa.Column("origin", sa.String(), nullable=False),  # the file, folder or URL it came from
    sa.Column("digest", sa.String(64), nullable=True),  # of a whole-file feed, to skip an unchanged one
)
