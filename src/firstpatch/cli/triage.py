"""`firstpatch triage`: list a project's findings against their deadlines, and decide about them.

Every decision is kept as an event with who made it, when and why; nothing is overwritten.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from firstpatch.cli.app import app
from firstpatch.cli.history import DbOption, FormatOption, open_database, print_json, target_of
from firstpatch.cli.lifecycle_views import (
    Screen,
    ViewFormat,
    event_json,
    events_table,
    location,
    safe,
    short,
    tracked_json,
    tracked_table,
)
from firstpatch.errors import UsageError
from firstpatch.model import Fingerprint

if TYPE_CHECKING:
    from firstpatch.store import DeadlinePolicy, Store, TrackedFinding

triage_app = typer.Typer(
    name="triage",
    help="List findings against their deadlines; accept a risk, mark a false positive, reopen.",
    no_args_is_help=True,
)
app.add_typer(triage_app, name="triage")

FingerprintArgument = Annotated[
    str, typer.Argument(help="The finding's fingerprint, or a unique start of it (as the tables show).")
]
ProjectOption = Annotated[
    Path | None,
    typer.Option("--project", "-p", help="The project folder, when the fingerprint is in several."),
]
ReasonOption = Annotated[str, typer.Option("--reason", "-r", help="Why; kept with the decision.")]
WhoOption = Annotated[str | None, typer.Option(help="Who decides (default: your login name).")]
PolicyOption = Annotated[
    Path | None,
    typer.Option(help="A TOML or YAML deadline policy (a [deadlines] table of days by kev/severity)."),
]
DeadlineOption = Annotated[
    list[str] | None,
    typer.Option("--deadline", help="Days allowed, e.g. --deadline high=20; repeatable; overrides --policy."),
]


def deadline_policy(policy: Path | None, deadlines: list[str] | None) -> DeadlinePolicy:
    from firstpatch.store import DEFAULT_POLICY, load_policy

    base = load_policy(policy) if policy is not None else DEFAULT_POLICY
    return base.with_overrides(deadlines or [])


@triage_app.command("list")
def list_findings(
    path: Annotated[Path, typer.Argument(help="The project folder that was scanned.")] = Path(),
    db: DbOption = None,
    format: FormatOption = ViewFormat.TABLE,
    every: Annotated[
        bool,
        typer.Option("--all", help="Also fixed findings and false positives, not only open and accepted."),
    ] = False,
    policy: PolicyOption = None,
    deadline: DeadlineOption = None,
) -> None:
    """A project's findings with status, days open against the days allowed, and due date."""
    from firstpatch.store import OPEN_STATUSES, FindingStatus

    rules = deadline_policy(policy, deadline)
    shown = None if every else OPEN_STATUSES | {FindingStatus.ACCEPTED_RISK}
    target = target_of(path)
    store = open_database(db)
    try:
        tracked = store.tracked_findings(target, frozenset(shown) if shown else None, rules)
    finally:
        store.close()
    if format is ViewFormat.JSON:
        print_json({"target": target, "findings": [tracked_json(item) for item in tracked]})
        return
    if not tracked:
        typer.echo(
            f"No {'' if every else 'open or accepted '}findings of {safe(target)} are stored.", err=True
        )
        return
    windows = [item.window for item in tracked if item.window is not None]
    in_kev = sum(1 for item in tracked if item.window is not None and _in_kev(item))
    days = ", ".join(
        f"{key} {getattr(rules, key) or 'never'}" for key in ("kev", "critical", "high", "medium", "low")
    )
    with Screen() as out:
        out.print(tracked_table(tracked))
        out.print(
            Text(
                f"{len(windows)} open ({sum(w.overdue for w in windows)} overdue, {in_kev} in KEV). "
                f"Days allowed: {days}.",
                style="bold",
            )
        )


def _in_kev(item: TrackedFinding) -> bool:
    return item.finding.exploitation is not None and item.finding.exploitation.in_kev


@triage_app.command()
def accept(
    fingerprint: FingerprintArgument,
    reason: ReasonOption,
    expires: Annotated[
        datetime,
        typer.Option(formats=["%Y-%m-%d"], help="The last day the risk stays accepted (YYYY-MM-DD)."),
    ],
    who: WhoOption = None,
    project: ProjectOption = None,
    db: DbOption = None,
    format: FormatOption = ViewFormat.TABLE,
) -> None:
    """Accept an open finding's risk until a date; after it, the finding reopens."""
    _decide(
        db,
        fingerprint,
        project,
        format,
        lambda store, target, found: store.accept_risk(
            target, found, reason=reason, who=_who(who), expires=expires.date()
        ),
    )


@triage_app.command("false-positive")
def false_positive(
    fingerprint: FingerprintArgument,
    reason: ReasonOption,
    who: WhoOption = None,
    project: ProjectOption = None,
    db: DbOption = None,
    format: FormatOption = ViewFormat.TABLE,
) -> None:
    """Mark a finding as not a vulnerability; later runs leave it so."""
    _decide(
        db,
        fingerprint,
        project,
        format,
        lambda store, target, found: store.mark_false_positive(target, found, reason=reason, who=_who(who)),
    )


@triage_app.command()
def reopen(
    fingerprint: FingerprintArgument,
    reason: ReasonOption,
    who: WhoOption = None,
    project: ProjectOption = None,
    db: DbOption = None,
    format: FormatOption = ViewFormat.TABLE,
) -> None:
    """Reopen an accepted, false-positive or fixed finding."""
    _decide(
        db,
        fingerprint,
        project,
        format,
        lambda store, target, found: store.reopen(target, found, reason=reason, who=_who(who)),
    )


@triage_app.command()
def log(
    fingerprint: FingerprintArgument,
    project: ProjectOption = None,
    db: DbOption = None,
    format: FormatOption = ViewFormat.TABLE,
) -> None:
    """Every status change of a finding, oldest first: when, from what to what, who, and why."""
    store = open_database(db)
    try:
        target, found = _locate(store, fingerprint, project)
        events = store.events(target, found)
    finally:
        store.close()
    if format is ViewFormat.JSON:
        print_json({"target": target, "fingerprint": found, "events": [event_json(e) for e in events]})
        return
    with Screen() as out:
        out.print(Text(f"{found} in {safe(target)}", style="bold"))
        out.print(events_table(events))


def _decide(
    db: str | None,
    fingerprint: str,
    project: Path | None,
    format: ViewFormat,
    decision: Callable[[Store, str, Fingerprint], TrackedFinding],
) -> None:
    """Find the finding the user named, apply their decision, and show where it left it."""
    store = open_database(db)
    try:
        target, found = _locate(store, fingerprint, project)
        tracked = decision(store, target, found)
    finally:
        store.close()
    _report(tracked, format)


def _locate(store: Store, fingerprint: str, project: Path | None) -> tuple[str, Fingerprint]:
    return store.locate(fingerprint.strip(), target_of(project) if project is not None else None)


def _who(who: str | None) -> str:
    if who is not None:
        return who
    try:
        return getpass.getuser()
    except (OSError, KeyError) as exc:
        raise UsageError("cannot tell who you are from the environment; pass --who NAME") from exc


def _report(tracked: TrackedFinding, format: ViewFormat) -> None:
    if format is ViewFormat.JSON:
        print_json(tracked_json(tracked))
        return
    finding = tracked.finding
    until = f" through {tracked.accepted_until.isoformat()}" if tracked.accepted_until is not None else ""
    with Screen() as out:
        out.print(
            Text(
                f"{short(tracked.fingerprint)} ({safe(finding.rule_id)}, {safe(location(finding))}) is now "
                f"{tracked.status.value}{until}, by {safe(tracked.status_by)}: {safe(tracked.status_reason)}"
            )
        )
