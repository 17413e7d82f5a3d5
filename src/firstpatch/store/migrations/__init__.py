"""Alembic migrations for the store, run by `firstpatch.store.migrate` on every open."""
