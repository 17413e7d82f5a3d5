"""The finding page's triage forms: accept a risk until a day, mark a false positive, reopen.

Each needs a signed-in user with the triage role and the session's CSRF token; the store
records the decision as an event with the user's name and the time. A refused decision
re-renders the page with the reason and what was typed, so nothing the user wrote is lost.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from firstpatch.model import Fingerprint
from firstpatch.store import NotFoundError, TriageError
from firstpatch.web.pages import finding_page
from firstpatch.web.security import Board, FormViewer, Viewer
from firstpatch.web.urls import finding_url, is_id, target_of

router = APIRouter(include_in_schema=False)

MAX_REASON = 2000
ReasonField = Annotated[str, Form(max_length=MAX_REASON * 2)]


def _checked(viewer: Viewer, key: str, fingerprint: str, reason: str) -> tuple[str, str]:
    """The target, and the refusal to show (or "") for a decision by `viewer`."""
    target = target_of(key)
    if target is None or not is_id(fingerprint):
        raise NotFoundError("There is no such finding in the store.")
    if not viewer.user.can_triage:
        return (
            target,
            f"{viewer.user.name} has the {viewer.user.role.value} role, which may look but not triage.",
        )
    if not reason.strip():
        return target, "A reason is needed, so that others know why."
    if len(reason) > MAX_REASON or "\x00" in reason:
        return target, f"A reason is at most {MAX_REASON} characters of text."
    return target, ""


def _refused(
    request: Request,
    board: Board,
    viewer: Viewer,
    key: str,
    fingerprint: str,
    error: str,
    form: dict[str, str],
    status: int,
) -> Response:
    return finding_page(request, board, viewer, key, fingerprint, error=error, form=form, status_code=status)


def _done(target: str, fingerprint: str, what: str) -> Response:
    return RedirectResponse(f"{finding_url(target, fingerprint)}?done={what}", status_code=303)


@router.post("/projects/{key}/findings/{fingerprint}/accept-risk")
def accept_risk(
    request: Request,
    key: str,
    fingerprint: str,
    board: Board,
    viewer: FormViewer,
    reason: ReasonField = "",
    expires: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    form = {"action": "accept-risk", "reason": reason, "expires": expires}
    target, error = _checked(viewer, key, fingerprint, reason)
    status = 403 if error and not viewer.user.can_triage else 400
    day: date | None = None
    if not error:
        try:
            day = date.fromisoformat(expires.strip())
        except ValueError:
            error = "The last day must be a date (YYYY-MM-DD)."
    if error or day is None:
        return _refused(request, board, viewer, key, fingerprint, error, form, status)
    try:
        board.store.accept_risk(
            target, Fingerprint(fingerprint), reason=reason, who=viewer.user.name, expires=day
        )
    except TriageError as exc:
        return _refused(request, board, viewer, key, fingerprint, str(exc), form, 409)
    return _done(target, fingerprint, "accepted-risk")


@router.post("/projects/{key}/findings/{fingerprint}/false-positive")
def false_positive(
    request: Request, key: str, fingerprint: str, board: Board, viewer: FormViewer, reason: ReasonField = ""
) -> Response:
    return _decide(
        request,
        board,
        viewer,
        (key, fingerprint, reason),
        "false-positive",
        lambda target: board.store.mark_false_positive(
            target, Fingerprint(fingerprint), reason=reason, who=viewer.user.name
        ),
    )


@router.post("/projects/{key}/findings/{fingerprint}/reopen")
def reopen(
    request: Request, key: str, fingerprint: str, board: Board, viewer: FormViewer, reason: ReasonField = ""
) -> Response:
    return _decide(
        request,
        board,
        viewer,
        (key, fingerprint, reason),
        "reopened",
        lambda target: board.store.reopen(
            target, Fingerprint(fingerprint), reason=reason, who=viewer.user.name
        ),
    )


def _decide(
    request: Request,
    board: Board,
    viewer: Viewer,
    asked: tuple[str, str, str],
    done: str,
    decision: Callable[[str], object],
) -> Response:
    """A decision that needs only a reason: checked, applied, and the page shown again."""
    key, fingerprint, reason = asked
    form = {"action": "reopen" if done == "reopened" else done, "reason": reason}
    target, error = _checked(viewer, key, fingerprint, reason)
    if error:
        status = 403 if not viewer.user.can_triage else 400
        return _refused(request, board, viewer, key, fingerprint, error, form, status)
    try:
        decision(target)
    except TriageError as exc:
        return _refused(request, board, viewer, key, fingerprint, str(exc), form, 409)
    return _done(target, fingerprint, done)
