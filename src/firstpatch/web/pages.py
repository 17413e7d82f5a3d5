"""The dashboard's pages: sign-in, the overview, projects, runs and findings.

Server-rendered from the store's public API; every handler only reads (triage forms are in
`forms`), and none runs a scan.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import PurePath
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from firstpatch.model import Fingerprint, RunId
from firstpatch.store import NotFoundError, ProjectSummary, RunSummary
from firstpatch.web import charts, security, views
from firstpatch.web.fleet_view import NewestFleet, fleet_view
from firstpatch.web.rendering import page
from firstpatch.web.security import Board, FormViewer, PageViewer, Viewer
from firstpatch.web.urls import finding_url, is_id, project_url, run_url, target_of

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 100
WINDOW_ROWS = 15  # the patch-window chart shows the most urgent; the table lists them all
TREND_RUNS = 30
LOGIN_MAX_AGE = 3600
DEFAULT_ACCEPTANCE = timedelta(days=30)  # what the form proposes as the last day


def display_name(target: str) -> str:
    """A project's short name: its folder's (or repository's) last part."""
    return PurePath(target.rstrip("/")).name or target


# Signing in and out


@router.get("/login")
def login_form(
    request: Request, board: Board, then: Annotated[str | None, Query(alias="next")] = None
) -> Response:
    if request.cookies.get(security.SESSION_COOKIE) and board.accounts.session(
        request.cookies[security.SESSION_COOKIE]
    ):
        return RedirectResponse(security.safe_next(then), status_code=303)
    return _login_page(request, board, then, error="", status_code=200)


def _login_page(request: Request, board: Board, then: str | None, error: str, status_code: int) -> Response:
    nonce = security.login_nonce()
    response = page(
        request,
        "login.html.j2",
        None,
        {
            "login_token": security.login_token(board, nonce),
            "then": security.safe_next(then),
            "error": error,
            "no_users": not board.accounts.has_users(),
        },
        status_code,
    )
    security.set_cookie(response, request, security.LOGIN_COOKIE, nonce, LOGIN_MAX_AGE)
    return response


@router.post("/login")
def login(
    request: Request,
    board: Board,
    name: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=4096)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    then: Annotated[str, Form(alias="next", max_length=2048)] = "/",
) -> Response:
    if not security.login_token_valid(board, request.cookies.get(security.LOGIN_COOKIE), csrf_token):
        return _login_page(
            request,
            board,
            then,
            "The sign-in form had expired or came from elsewhere; please try again.",
            403,
        )
    user = board.accounts.authenticate(name, password)
    if user is None:
        return _login_page(request, board, then, "Wrong name or password.", 401)
    # A new session id at every sign-in: an id planted before it is worth nothing after.
    secret, _ = board.accounts.start_session(user)
    response = RedirectResponse(security.safe_next(then), status_code=303)
    security.set_session_cookie(response, request, secret)
    security.clear_cookie(response, request, security.LOGIN_COOKIE)
    return response


@router.post("/logout")
def logout(request: Request, board: Board, viewer: FormViewer) -> Response:
    secret = request.cookies.get(security.SESSION_COOKIE)
    if secret:
        board.accounts.end_session(secret)
    response = RedirectResponse("/login", status_code=303)
    security.clear_cookie(response, request, security.SESSION_COOKIE)
    return response


# Reading


@router.get("/")
def overview(request: Request, board: Board, viewer: PageViewer, fleet: NewestFleet) -> Response:
    seen = board.store.overview(board.policy, trend_runs=TREND_RUNS)
    oldest = sorted(
        (p.oldest_open for p in seen.projects if p.oldest_open is not None),
        key=lambda age: age.window.opened_at,
    )
    windows = [
        charts.WindowItem(
            f"{display_name(age.target)} · {age.rule_id}",
            age.window,
            finding_url(age.target, age.fingerprint),
            f"{age.title}; {age.severity.value}{', in KEV' if age.in_kev else ''}",
        )
        for age in oldest
    ]
    context = {
        "seen": seen,
        "display_name": display_name,
        "severity_chart": charts.severity_chart(
            "Open findings by severity", seen.open_by_severity, "Nothing is open."
        ),
        "trend_chart": _trend(seen.trend, "Findings per run, newest runs of every project"),
        "window_chart": charts.window_chart(
            "Oldest open finding of each project, against its deadline",
            windows[:WINDOW_ROWS],
            "No project has an open finding.",
        ),
        "fleet": fleet_view(fleet, (p.target for p in seen.projects)) if fleet is not None else None,
    }
    return page(request, "overview.html.j2", viewer, context)


def _trend(runs: tuple[RunSummary, ...] | list[RunSummary], title: str) -> charts.TrendChart:
    return charts.trend_chart(title, runs, [run_url(r.id) for r in runs], "No runs are stored yet.")


def project_of(board: Board, key: str) -> ProjectSummary:
    target = target_of(key)
    if target is not None:
        for project in board.store.projects(board.policy):
            if project.target == target:
                return project
    raise NotFoundError("There is no such project in the store.")


@router.get("/projects/{key}")
def project(
    request: Request,
    key: str,
    board: Board,
    viewer: PageViewer,
    show: Annotated[str, Query(max_length=20)] = "open",
    page_number: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
) -> Response:
    summary = project_of(board, key)
    target = summary.target
    statuses, _ = views.SHOWN.get(show, views.SHOWN["open"])
    show = show if show in views.SHOWN else "open"
    found = list(
        board.store.tracked_findings(
            target, statuses, board.policy, limit=PAGE_SIZE + 1, offset=(page_number - 1) * PAGE_SIZE
        )
    )
    more = len(found) > PAGE_SIZE
    found = found[:PAGE_SIZE]
    urgent = sorted((t for t in found if t.window is not None), key=views.urgency)
    items = [i for t in urgent if (i := views.window_item(t, finding_url(target, t.fingerprint))) is not None]
    runs = list(board.store.run_summaries(target, TREND_RUNS))
    context = {
        "project": summary,
        "name": display_name(target),
        "findings": found,
        "show": show,
        "filters": [
            (name, label, name == show, sum(summary.by_status.get(s, 0) for s in shown))
            for name, (shown, label) in views.SHOWN.items()
        ],
        "page_number": page_number,
        "more": more,
        "runs": runs,
        "window_chart": charts.window_chart(
            "Patch windows: days open against days allowed (most urgent first)",
            items[:WINDOW_ROWS],
            "No open finding on this page." if show in ("open", "all") else "Open findings are under “Open”.",
        ),
        "trend_chart": _trend(list(reversed(runs)), "Findings per run"),
        "severity_chart": charts.severity_chart(
            "Open findings by severity", summary.open_by_severity, "Nothing is open."
        ),
    }
    return page(request, "project.html.j2", viewer, context)


@router.get("/projects/{key}/findings/{fingerprint}")
def finding(request: Request, key: str, fingerprint: str, board: Board, viewer: PageViewer) -> Response:
    return finding_page(request, board, viewer, key, fingerprint)


def finding_page(
    request: Request,
    board: Board,
    viewer: Viewer,
    key: str,
    fingerprint: str,
    *,
    error: str = "",
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """A finding's page; the triage forms re-render it with what went wrong and what was typed."""
    target = target_of(key)
    if target is None or not is_id(fingerprint):
        raise NotFoundError("There is no such finding in the store.")
    tracked = board.store.tracked_finding(target, Fingerprint(fingerprint), board.policy)
    history = board.store.events(target, Fingerprint(fingerprint))
    item = views.window_item(tracked, "")
    today = datetime.now(UTC).date()
    context = {
        "tracked": tracked,
        "f": tracked.finding,
        "target": target,
        "name": display_name(target),
        "history": list(reversed(history)),
        "window_chart": charts.window_chart("", [item] if item else [], ""),
        "error": error,
        "form": form or {},
        "done": request.query_params.get("done", "") if not error else "",
        "action_base": finding_url(target, fingerprint),
        "today": today.isoformat(),
        "default_expires": (today + DEFAULT_ACCEPTANCE).isoformat(),
    }
    return page(request, "finding.html.j2", viewer, context, status_code)


@router.get("/runs/{run_id}")
def run(request: Request, run_id: str, board: Board, viewer: PageViewer) -> Response:
    if not is_id(run_id):
        raise NotFoundError("There is no such run in the store.")
    whole = board.store.load_run(RunId(run_id))
    summaries = list(board.store.run_summaries(whole.target))
    position = next(i for i, s in enumerate(summaries) if s.id == whole.id)
    previous = summaries[position + 1] if position + 1 < len(summaries) else None
    changes = board.store.diff_runs(previous.id, whole.id) if previous is not None else None
    context = {
        "run": whole,
        "summary": summaries[position],
        "name": display_name(whole.target),
        "previous": previous,
        "changes": changes,
        "project_link": project_url(whole.target),
    }
    return page(request, "run.html.j2", viewer, context)
