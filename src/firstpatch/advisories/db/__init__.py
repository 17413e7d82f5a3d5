"""The advisory store: OSV records, CISA KEV and FIRST EPSS in the findings' database.

The tables are the advisories stage's own (`tables.py`), with their own Alembic environment and
version table (`firstpatch_advisories_alembic`), so that they migrate independently of the
store package's schema in the same database.
"""
