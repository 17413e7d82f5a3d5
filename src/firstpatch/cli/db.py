"""`firstpatch db update|import|status`: the advisory data in the store."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from firstpatch.cli.app import app, error

if TYPE_CHECKING:  # the CLI imports stages lazily, so that `firstpatch --help` starts fast
    from firstpatch.advisories.db.importer import ImportSummary
    from firstpatch.advisories.db.store import AdvisoryStore

db_app = typer.Typer(help="Advisory data (OSV, CISA KEV, FIRST EPSS) in the store.", no_args_is_help=True)
app.add_typer(db_app, name="db")

_DB_HELP = "Database URL (default: SQLite in the user data folder; FIRSTPATCH_DB)."


def _open(db: str | None) -> AdvisoryStore:
    from firstpatch.advisories.db.store import AdvisoryStore
    from firstpatch.store import default_url

    return AdvisoryStore(db or default_url())


def _report(summary: ImportSummary) -> None:
    for line in summary.errors:
        error(line)
    typer.echo(
        f"OSV records: {summary.added} added, {summary.changed} changed, {summary.unchanged} unchanged"
        + (f" ({', '.join(sorted(summary.ecosystems))})" if summary.ecosystems else "")
    )
    for kind, what in sorted(summary.feeds.items()):
        typer.echo(f"{kind.upper()}: {what}")
    if summary.passed_over:
        typer.echo(f"{len(summary.passed_over)} other files passed over (not OSV, KEV or EPSS)")


@db_app.command("import")
def import_(
    paths: Annotated[
        list[Path],
        typer.Argument(help="OSV records (JSON/YAML, zipped or in folders), KEV JSON, EPSS csv.gz."),
    ],
    db: Annotated[str | None, typer.Option(help=_DB_HELP)] = None,
) -> None:
    """Import advisory data from local files and folders, in one transaction."""
    with _open(db) as store:
        summary = store.import_paths(paths)
    _report(summary)
    if summary.errors:
        raise typer.Exit(2)


@db_app.command()
def update(
    db: Annotated[str | None, typer.Option(help=_DB_HELP)] = None,
    ecosystem: Annotated[
        list[str] | None,
        typer.Option(
            "--ecosystem", "-e", help="OSV ecosystem to download (repeat; default: all firstpatch matches)."
        ),
    ] = None,
    no_kev: Annotated[bool, typer.Option("--no-kev", help="Skip the CISA KEV catalog.")] = False,
    no_epss: Annotated[bool, typer.Option("--no-epss", help="Skip the FIRST EPSS scores.")] = False,
) -> None:
    """Download the OSV exports, CISA KEV and FIRST EPSS and import them, in one transaction."""
    from firstpatch.advisories.db.download import DEFAULT_ECOSYSTEMS, update_store

    with _open(db) as store:
        summary = update_store(
            store, ecosystems=tuple(ecosystem or DEFAULT_ECOSYSTEMS), kev=not no_kev, epss=not no_epss
        )
    _report(summary)
    if summary.errors:
        raise typer.Exit(2)


@db_app.command()
def status(db: Annotated[str | None, typer.Option(help=_DB_HELP)] = None) -> None:
    """Each advisory source: its record count, how old its data is, and where it came from."""
    from firstpatch.advisories.db.store import STALE_AFTER

    now = datetime.now(UTC)
    with _open(db) as store:
        sources = store.status()
        typer.echo(f"advisory store: {store.url}")
    if not sources:
        typer.echo(
            "no advisory data: scans use the snapshot shipped with firstpatch; run `firstpatch db update`"
        )
        return
    width = max(len(s.name) for s in sources)
    for source in sources:
        age = source.age(now)
        as_of = (source.data_as_of or source.imported_at).date().isoformat()
        stale = "  STALE" if age > STALE_AFTER else ""
        typer.echo(
            f"{source.name:<{width}}  {source.records:>8} records  data of {as_of} ({age.days} days old)"
            f"  imported {source.imported_at:%Y-%m-%d %H:%M} from {source.origin}{stale}"
        )
