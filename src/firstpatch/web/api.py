"""The JSON API under /api: what the pages show, for scripts; triage for the triage role.

Authenticated by an API token (`Authorization: Bearer TOKEN`) or a browser's session (writes
then need its `X-CSRF-Token`). Its OpenAPI description is at /api/openapi.json, behind the same
login. Handlers only read the store or record a decision: no scan ever runs in a request.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query

from firstpatch.model import Fingerprint, RunId, run_document
from firstpatch.store import FindingStatus, NotFoundError, ProjectSummary
from firstpatch.web.api_models import (
    AcceptRisk,
    Decision,
    DiffOut,
    EventOut,
    FindingsPage,
    FleetOut,
    MeOut,
    OverviewOut,
    Problem,
    ProjectOut,
    RunOut,
    TrackedOut,
    diff_out,
    event_out,
    fleet_out,
    overview_out,
    project_out,
    run_out,
    tracked_out,
)
from firstpatch.web.fleet_view import NewestFleet, fleet_view
from firstpatch.web.security import ApiViewer, Board, Viewer
from firstpatch.web.urls import ID_PATTERN, target_of

_READ: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "No session and no valid API token."},
    404: {"model": Problem, "description": "No such project, finding or run."},
}
_WRITE: dict[int | str, dict[str, Any]] = {
    **_READ,
    403: {"model": Problem, "description": "A read-only user, or a session write without its CSRF header."},
    409: {"model": Problem, "description": "The finding's status does not allow this change."},
}

router = APIRouter(prefix="/api", tags=["dashboard"], responses={401: _READ[401]})

ProjectKey = Annotated[
    str,
    Path(
        description="The project's key, as /api/projects lists it.",
        min_length=1,
        max_length=8192,
        pattern=r"^[A-Za-z0-9_-]+$",
    ),
]
FingerprintPath = Annotated[str, Path(description="The finding's fingerprint.", pattern=ID_PATTERN)]
RunPath = Annotated[str, Path(description="A run's id.", pattern=ID_PATTERN)]


def _target(key: str) -> str:
    target = target_of(key)
    if target is None:
        raise NotFoundError("no project with that key")
    return target


def _project(board: Board, key: str) -> ProjectSummary:
    target = _target(key)
    for project in board.store.projects(board.policy):
        if project.target == target:
            return project
    raise NotFoundError("no project with that key")


@router.get("/me", summary="Who is asking")
def me(viewer: ApiViewer) -> MeOut:
    return MeOut(
        name=viewer.user.name,
        role=viewer.user.role.value,
        can_triage=viewer.user.can_triage,
        signed_in_with="session" if viewer.session is not None else "token",
    )


@router.get("/overview", summary="Every project at a glance, and the trend of the newest runs")
def overview(board: Board, viewer: ApiViewer) -> OverviewOut:
    return overview_out(board.store.overview(board.policy))


@router.get(
    "/fleet",
    responses={404: {"model": Problem, "description": "The database holds no fleet run."}},
    summary="The newest fleet run: how each target of its list ended, and why the failed ones failed",
)
def fleet(board: Board, viewer: ApiViewer, newest: NewestFleet) -> FleetOut:
    if newest is None:
        raise NotFoundError("no fleet run in this database")
    return fleet_out(fleet_view(newest, (p.target for p in board.store.projects(board.policy))))


@router.get("/projects", summary="Every project with its open findings counted")
def projects(board: Board, viewer: ApiViewer) -> list[ProjectOut]:
    return [project_out(p) for p in board.store.projects(board.policy)]


@router.get("/projects/{key}", responses=_READ, summary="One project")
def project(key: ProjectKey, board: Board, viewer: ApiViewer) -> ProjectOut:
    return project_out(_project(board, key))


@router.get("/projects/{key}/runs", responses=_READ, summary="A project's runs, newest first")
def runs(
    key: ProjectKey,
    board: Board,
    viewer: ApiViewer,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[RunOut]:
    target = _project(board, key).target
    return [run_out(s) for s in board.store.run_summaries(target, limit)]


@router.get("/projects/{key}/findings", responses=_READ, summary="A project's findings, oldest first")
def findings(
    key: ProjectKey,
    board: Board,
    viewer: ApiViewer,
    status: Annotated[
        list[FindingStatus] | None, Query(description="Only these statuses (repeatable).")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> FindingsPage:
    target = _project(board, key).target
    found = board.store.tracked_findings(
        target, frozenset(status) if status else None, board.policy, limit=limit, offset=offset
    )
    return FindingsPage(target=target, limit=limit, offset=offset, findings=[tracked_out(t) for t in found])


@router.get(
    "/projects/{key}/findings/{fingerprint}", responses=_READ, summary="One finding and its patch window"
)
def finding(key: ProjectKey, fingerprint: FingerprintPath, board: Board, viewer: ApiViewer) -> TrackedOut:
    return tracked_out(board.store.tracked_finding(_target(key), Fingerprint(fingerprint), board.policy))


@router.get(
    "/projects/{key}/findings/{fingerprint}/events",
    responses=_READ,
    summary="A finding's status changes, in order",
)
def events(key: ProjectKey, fingerprint: FingerprintPath, board: Board, viewer: ApiViewer) -> list[EventOut]:
    return [event_out(e) for e in board.store.events(_target(key), Fingerprint(fingerprint))]


def _triager(viewer: Viewer) -> str:
    if not viewer.user.can_triage:
        raise HTTPException(
            403, f"{viewer.user.name} has the {viewer.user.role.value} role and may not triage"
        )
    return viewer.user.name


@router.post(
    "/projects/{key}/findings/{fingerprint}/accept-risk",
    responses=_WRITE,
    summary="Accept a finding's risk until a day",
)
def accept_risk(
    key: ProjectKey, fingerprint: FingerprintPath, body: AcceptRisk, board: Board, viewer: ApiViewer
) -> TrackedOut:
    who = _triager(viewer)
    changed = board.store.accept_risk(
        _target(key), Fingerprint(fingerprint), reason=body.reason, who=who, expires=body.expires
    )
    return tracked_out(changed)


@router.post(
    "/projects/{key}/findings/{fingerprint}/false-positive",
    responses=_WRITE,
    summary="Mark a finding a false positive",
)
def false_positive(
    key: ProjectKey, fingerprint: FingerprintPath, body: Decision, board: Board, viewer: ApiViewer
) -> TrackedOut:
    who = _triager(viewer)
    return tracked_out(
        board.store.mark_false_positive(_target(key), Fingerprint(fingerprint), reason=body.reason, who=who)
    )


@router.post("/projects/{key}/findings/{fingerprint}/reopen", responses=_WRITE, summary="Reopen a finding")
def reopen(
    key: ProjectKey, fingerprint: FingerprintPath, body: Decision, board: Board, viewer: ApiViewer
) -> TrackedOut:
    who = _triager(viewer)
    return tracked_out(
        board.store.reopen(_target(key), Fingerprint(fingerprint), reason=body.reason, who=who)
    )


@router.get(
    "/runs/{run_id}",
    responses=_READ,
    summary="A whole run as a findings-v1 document",
    response_description="The findings-v1 document of the run, as the JSON report writes it.",
)
def run(run_id: RunPath, board: Board, viewer: ApiViewer) -> dict[str, Any]:
    return run_document(board.store.load_run(RunId(run_id)))


@router.get("/runs/{base}/diff/{head}", responses=_READ, summary="What changed from one run to another")
def diff(base: RunPath, head: RunPath, board: Board, viewer: ApiViewer) -> DiffOut:
    return diff_out(board.store.diff_runs(RunId(base), RunId(head)))
